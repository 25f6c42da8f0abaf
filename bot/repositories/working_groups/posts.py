"""SQL for what a group publishes: posts (progress updates and meeting summaries), documents, and the
search across them and the approved initiatives."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import datetime

import msgspec

from bot.db import Queryable, Transaction
from bot.repositories.working_groups.groups import Texts, texts
from bot.timeutil import from_iso, utc_iso


class Post(msgspec.Struct, frozen=True):
    id: int
    group_id: int
    kind: str  # "update" or "summary"
    author_id: int
    title: str | None
    body: str
    occurrence_id: int | None
    created_at: datetime
    channel_id: int | None
    message_id: int | None


class Document(msgspec.Struct, frozen=True):
    id: int
    group_id: int
    title: str
    url: str
    added_by: int
    added_at: datetime


class SearchHit(msgspec.Struct, frozen=True):
    source: str  # "update", "summary", "document" or "initiative"
    source_id: int
    group_id: int
    title: str
    snippet: str
    channel_id: int | None
    message_id: int | None
    url: str | None
    rank: float
    group_name: Texts = msgspec.field(default_factory=Texts)


# --- posts (updates and summaries) ---------------------------------------------------------------

_POST_COLUMNS = (
    "id, group_id, kind, author_id, title, body, occurrence_id, created_at, channel_id, message_id"
)


def _post(row: sqlite3.Row) -> Post:
    return Post(
        id=int(row["id"]),
        group_id=int(row["group_id"]),
        kind=row["kind"],
        author_id=int(row["author_id"]),
        title=row["title"],
        body=row["body"],
        occurrence_id=row["occurrence_id"],
        created_at=from_iso(row["created_at"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
    )


async def insert_post(
    tx: Transaction,
    group_id: int,
    *,
    kind: str,
    author_id: int,
    title: str | None,
    body: str,
    occurrence_id: int | None,
    now: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO wg_posts (group_id, kind, author_id, title, body, occurrence_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (group_id, kind, author_id, title, body, occurrence_id, utc_iso(now)),
    )


async def get_post(conn: Queryable, post_id: int) -> Post | None:
    row = await conn.fetchone(f"SELECT {_POST_COLUMNS} FROM wg_posts WHERE id = ?", (post_id,))  # noqa: S608
    return None if row is None else _post(row)


_RECENT_POSTS_SQL = (
    f"SELECT {_POST_COLUMNS} FROM wg_posts WHERE group_id = ? AND kind = ? "  # noqa: S608
    "ORDER BY created_at DESC, id DESC LIMIT ?"
)


def recent_posts_in(conn: sqlite3.Connection, group_id: int, kind: str, limit: int) -> list[Post]:
    return [_post(r) for r in conn.execute(_RECENT_POSTS_SQL, (group_id, kind, limit))]


async def set_post_message(tx: Transaction, post_id: int, channel_id: int, message_id: int) -> None:
    await tx.execute(
        "UPDATE wg_posts SET channel_id = ?, message_id = ? WHERE id = ?", (channel_id, message_id, post_id)
    )


async def posted_message_ids(conn: Queryable, group_id: int) -> set[int]:
    """The messages already recorded for the group's posts: a retry never adopts one of them."""
    rows = await conn.fetchall(
        "SELECT message_id FROM wg_posts WHERE group_id = ? AND message_id IS NOT NULL", (group_id,)
    )
    return {int(r["message_id"]) for r in rows}


# --- documents -----------------------------------------------------------------------------------


def _document(row: sqlite3.Row) -> Document:
    return Document(
        int(row["id"]),
        int(row["group_id"]),
        row["title"],
        row["url"],
        int(row["added_by"]),
        from_iso(row["added_at"]),
    )


async def insert_document(
    tx: Transaction, group_id: int, title: str, url: str, added_by: int, now: datetime
) -> int | None:
    """The new document's id, or None when the group already lists that URL."""
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO wg_documents (group_id, title, url, added_by, added_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (group_id, title, url, added_by, utc_iso(now)),
    )
    return cursor.lastrowid if cursor.rowcount else None


_DOCUMENTS_SQL = (
    "SELECT id, group_id, title, url, added_by, added_at FROM wg_documents WHERE group_id = ? ORDER BY id"
)


def documents_in(conn: sqlite3.Connection, group_id: int, limit: int = -1) -> list[Document]:
    """The group's first ``limit`` documents (all of them by default), oldest first."""
    return [_document(r) for r in conn.execute(f"{_DOCUMENTS_SQL} LIMIT ?", (group_id, limit))]


async def get_document(conn: Queryable, document_id: int) -> Document | None:
    row = await conn.fetchone(
        "SELECT id, group_id, title, url, added_by, added_at FROM wg_documents WHERE id = ?", (document_id,)
    )
    return None if row is None else _document(row)


async def delete_document(tx: Transaction, document_id: int) -> None:
    await tx.execute("DELETE FROM wg_documents WHERE id = ?", (document_id,))


# --- search --------------------------------------------------------------------------------------


# The page of a search: ranked (bm25) inside FTS5 among the matches from rowid ? on, in the groups the
# member may see, then only the page is joined to its rows. {marks}: one placeholder per group id.
_SEARCH_SQL = """
    WITH hits AS (
        SELECT rowid, rank, source, source_id, group_id, title,
            snippet(wg_search, 1, '**', '**', '…', 16) AS snippet
        FROM wg_search
        WHERE wg_search MATCH ? AND rowid >= ? AND group_id IN ({marks})
        ORDER BY rank
        LIMIT ?
    )
    SELECT h.source, h.source_id, h.group_id, h.title, h.snippet, h.rank, g.name AS group_name,
        p.channel_id, p.message_id, d.url AS doc_url, i.link AS initiative_url
    FROM hits h
    LEFT JOIN wg_groups g ON g.id = h.group_id
    LEFT JOIN wg_posts p ON h.source IN ('update', 'summary') AND p.id = h.source_id
    LEFT JOIN wg_documents d ON h.source = 'document' AND d.id = h.source_id
    LEFT JOIN wg_initiatives i ON h.source = 'initiative' AND i.id = h.source_id
    ORDER BY h.rank
"""


# A search ranks (bm25) at most this many of its matches, the most recent ones (see search_in).
RANK_WINDOW = 300


def search_in(
    conn: sqlite3.Connection,
    match: str,
    *,
    group_ids: Collection[int],
    limit: int,
) -> list[SearchHit]:
    """Best-first (bm25) hits for an FTS5 ``match`` expression among ``group_ids`` (the groups the
    member may see), with their group's name: the best of the ``RANK_WINDOW`` most recent matches the
    member may see (all of them when there are fewer). FTS5 ranks them in its own sorter (which also
    carries the positions ``snippet`` needs) and stops at the limit, so only the page is joined.
    For a ``Database.read`` function."""
    if not group_ids or limit <= 0:
        return []
    marks = ", ".join("?" for _ in group_ids)
    # Ranked among the RANK_WINDOW most recent matches: bm25 costs per match, and a word every other
    # post contains would make a search's cost grow with the archive's age, while ranking only the
    # newest matches mostly gives the same first results. A rarer query, with fewer matches than the
    # window, is ranked among all of them; so is a query whose window holds too few the member may
    # see (private groups' posts filling it).
    newest = conn.execute(
        "SELECT rowid FROM wg_search WHERE wg_search MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (match, RANK_WINDOW - 1),
    ).fetchone()
    windowed = newest is not None
    sql = _SEARCH_SQL.format(marks=marks)
    rows = conn.execute(sql, [match, int(newest[0]) if windowed else 0, *group_ids, limit]).fetchall()
    if windowed and len(rows) < limit:
        rows = conn.execute(sql, [match, 0, *group_ids, limit]).fetchall()
    names: dict[int, Texts] = {}
    hits = []
    for r in rows:
        group_id = int(r["group_id"])
        if group_id not in names:
            names[group_id] = texts(r["group_name"])
        hits.append(
            SearchHit(
                source=r["source"],
                source_id=int(r["source_id"]),
                group_id=group_id,
                title=r["title"] or "",
                snippet=r["snippet"] or "",
                channel_id=r["channel_id"],
                message_id=r["message_id"],
                url=r["doc_url"] or r["initiative_url"],
                rank=float(r["rank"]),
                group_name=names[group_id],
            )
        )
    return hits
