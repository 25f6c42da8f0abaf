"""SQL for the working-groups aggregate: groups, coordinators, status history, workplan items,
deliverables, posts (progress updates and meeting summaries), documents, join requests and panels.

Texts a group carries in several languages are JSON objects ``{"en": ..., "fr": ..., "es": ...}``
read into ``Texts``. Membership is never stored: the group's Discord role is the truth.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from bot.db import Queryable, Transaction
from bot.timeutil import from_iso, utc_iso

TEXT_FIELDS = ("name", "stake", "actions", "mandate", "description")


@dataclass(frozen=True)
class Texts:
    """A text in one or more languages; ``get`` falls back to English, then to any language given."""

    values: Mapping[str, str] = field(default_factory=dict)

    def get(self, lang: str) -> str:
        if self.values.get(lang):
            return self.values[lang]
        if self.values.get("en"):
            return self.values["en"]
        return next((value for value in self.values.values() if value), "")

    def all(self) -> list[str]:
        return [value for value in self.values.values() if value]

    def json(self) -> str:
        return json.dumps(dict(self.values), ensure_ascii=False, sort_keys=True)

    def with_text(self, lang: str, text: str | None) -> Texts:
        values = dict(self.values)
        if text:
            values[lang] = text
        else:
            values.pop(lang, None)
        return Texts(values)

    def __bool__(self) -> bool:
        return bool(self.all())


def texts(raw: str | None) -> Texts:
    data = json.loads(raw) if raw else {}
    return Texts({str(k): str(v) for k, v in data.items() if isinstance(v, str)})


@dataclass(frozen=True)
class Group:
    id: int
    guild_id: int
    key: str
    name: Texts
    stake: Texts
    actions: Texts
    mandate: Texts
    description: Texts
    visibility: str  # "public" or "private"
    status: str
    role_id: int | None
    channel_id: int | None
    source: str  # "config" or "command"
    created_at: datetime
    last_activity_at: datetime
    nudged_for: datetime | None
    archived_at: datetime | None

    @property
    def private(self) -> bool:
        return self.visibility == "private"

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


@dataclass(frozen=True)
class StatusChange:
    id: int
    group_id: int
    status: str
    note: str | None
    actor_id: int | None
    changed_at: datetime


@dataclass(frozen=True)
class WorkplanItem:
    id: int
    group_id: int
    title: Texts
    status: str
    updated_at: datetime


@dataclass(frozen=True)
class Deliverable:
    id: int
    group_id: int
    title: Texts
    kind: str
    due_date: date | None
    status: str
    link: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Post:
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


@dataclass(frozen=True)
class Document:
    id: int
    group_id: int
    title: str
    url: str
    added_by: int
    added_at: datetime


@dataclass(frozen=True)
class JoinRequest:
    id: int
    group_id: int
    user_id: int
    language: str
    status: str
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    channel_id: int | None
    message_id: int | None


@dataclass(frozen=True)
class Panel:
    guild_id: int
    channel_id: int
    message_id: int


@dataclass(frozen=True)
class ReportRow:
    group_id: int
    key: str
    name: Texts
    status: str
    workplan_done: int
    workplan_total: int
    deliverables_done: int
    deliverables_total: int
    deliverables_overdue: int
    last_update_at: datetime | None
    last_activity_at: datetime


@dataclass(frozen=True)
class SearchHit:
    source: str  # "update", "summary", "document" or "initiative"
    source_id: int
    group_id: int
    title: str
    snippet: str
    channel_id: int | None
    message_id: int | None
    url: str | None
    rank: float
    group_name: Texts = field(default_factory=Texts)


def _dt(value: str | None) -> datetime | None:
    return None if value is None else from_iso(value)


def _group(row: sqlite3.Row) -> Group:
    return Group(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        key=str(row["key"]),
        name=texts(row["name"]),
        stake=texts(row["stake"]),
        actions=texts(row["actions"]),
        mandate=texts(row["mandate"]),
        description=texts(row["description"]),
        visibility=str(row["visibility"]),
        status=str(row["status"]),
        role_id=row["role_id"],
        channel_id=row["channel_id"],
        source=str(row["source"]),
        created_at=from_iso(row["created_at"]),
        last_activity_at=from_iso(row["last_activity_at"]),
        nudged_for=_dt(row["nudged_for"]),
        archived_at=_dt(row["archived_at"]),
    )


_GROUP_COLUMNS = (
    "id, guild_id, key, name, stake, actions, mandate, description, visibility, status, role_id, "
    "channel_id, source, created_at, last_activity_at, nudged_for, archived_at"
)


# --- groups ------------------------------------------------------------------------------------


async def insert_group(
    tx: Transaction,
    *,
    guild_id: int,
    key: str,
    texts_by_field: Mapping[str, Texts],
    visibility: str,
    status: str,
    source: str,
    role_id: int | None,
    channel_id: int | None,
    now: datetime,
) -> int:
    values = {name: texts_by_field.get(name, Texts()).json() for name in TEXT_FIELDS}
    return await tx.insert(
        "INSERT INTO wg_groups (guild_id, key, name, stake, actions, mandate, description, visibility, "
        "status, role_id, channel_id, source, created_at, last_activity_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            guild_id,
            key,
            values["name"],
            values["stake"],
            values["actions"],
            values["mandate"],
            values["description"],
            visibility,
            status,
            role_id,
            channel_id,
            source,
            utc_iso(now),
            utc_iso(now),
        ),
    )


_GROUP_SQL = f"SELECT {_GROUP_COLUMNS} FROM wg_groups WHERE id = ?"  # noqa: S608
_GROUP_BY_KEY_SQL = f"SELECT {_GROUP_COLUMNS} FROM wg_groups WHERE guild_id = ? AND key = ?"  # noqa: S608


async def get_group(conn: Queryable, group_id: int) -> Group | None:
    row = await conn.fetchone(_GROUP_SQL, (group_id,))
    return None if row is None else _group(row)


async def get_group_by_key(conn: Queryable, guild_id: int, key: str) -> Group | None:
    row = await conn.fetchone(_GROUP_BY_KEY_SQL, (guild_id, key))
    return None if row is None else _group(row)


@dataclass(frozen=True)
class GroupName:
    """What finding a group by name, autocomplete and search need of every group of a guild: no texts
    but the name are parsed, no dates (building a whole ``Group`` for every group of a guild on each
    keystroke would be most of the cost)."""

    id: int
    key: str
    name: Texts
    private: bool
    role_id: int | None
    archived: bool


_GROUP_NAMES_SQL = (
    "SELECT id, key, name, visibility, role_id, archived_at FROM wg_groups WHERE guild_id = ? ORDER BY key"
)


def _group_name(row: sqlite3.Row) -> GroupName:
    return GroupName(
        id=int(row["id"]),
        key=str(row["key"]),
        name=texts(row["name"]),
        private=row["visibility"] == "private",
        role_id=row["role_id"],
        archived=row["archived_at"] is not None,
    )


async def group_names(conn: Queryable, guild_id: int) -> list[GroupName]:
    """Every group of the guild, archived ones included, by key."""
    return [_group_name(row) for row in await conn.fetchall(_GROUP_NAMES_SQL, (guild_id,))]


# The same for a ``Database.read`` function (several reads in one trip to the database thread).


def get_group_in(conn: sqlite3.Connection, group_id: int) -> Group | None:
    row = conn.execute(_GROUP_SQL, (group_id,)).fetchone()
    return None if row is None else _group(row)


def get_group_by_key_in(conn: sqlite3.Connection, guild_id: int, key: str) -> Group | None:
    row = conn.execute(_GROUP_BY_KEY_SQL, (guild_id, key)).fetchone()
    return None if row is None else _group(row)


def group_names_in(conn: sqlite3.Connection, guild_id: int) -> list[GroupName]:
    return [_group_name(row) for row in conn.execute(_GROUP_NAMES_SQL, (guild_id,))]


def group_access_in(conn: sqlite3.Connection, guild_id: int) -> list[tuple[int, bool, int | None]]:
    """(id, private, role id) of every group of the guild: who may see a group's archive."""
    return [
        (int(row[0]), row[1] == "private", row[2])
        for row in conn.execute(
            "SELECT id, visibility, role_id FROM wg_groups WHERE guild_id = ?", (guild_id,)
        )
    ]


async def list_groups(conn: Queryable, guild_id: int, *, include_archived: bool = False) -> list[Group]:
    where = "" if include_archived else " AND archived_at IS NULL"
    rows = await conn.fetchall(
        f"SELECT {_GROUP_COLUMNS} FROM wg_groups WHERE guild_id = ?{where} ORDER BY key",  # noqa: S608
        (guild_id,),
    )
    return [_group(row) for row in rows]


async def group_by_role(conn: Queryable, guild_id: int, role_id: int) -> Group | None:
    row = await conn.fetchone(
        f"SELECT {_GROUP_COLUMNS} FROM wg_groups WHERE guild_id = ? AND role_id = ?",  # noqa: S608
        (guild_id, role_id),
    )
    return None if row is None else _group(row)


async def set_texts(tx: Transaction, group_id: int, field_name: str, value: Texts) -> None:
    if field_name not in TEXT_FIELDS:
        raise ValueError(f"not a group text: {field_name!r}")
    await tx.execute(
        f"UPDATE wg_groups SET {field_name} = ? WHERE id = ?",  # noqa: S608 - column from the allow-list above
        (value.json(), group_id),
    )


async def set_visibility(tx: Transaction, group_id: int, visibility: str) -> None:
    await tx.execute("UPDATE wg_groups SET visibility = ? WHERE id = ?", (visibility, group_id))


async def set_discord(tx: Transaction, group_id: int, role_id: int | None, channel_id: int | None) -> None:
    await tx.execute(
        "UPDATE wg_groups SET role_id = ?, channel_id = ? WHERE id = ?", (role_id, channel_id, group_id)
    )


async def set_status(
    tx: Transaction, group_id: int, status: str, note: str | None, actor_id: int | None, now: datetime
) -> int:
    await tx.execute("UPDATE wg_groups SET status = ? WHERE id = ?", (status, group_id))
    return await tx.insert(
        "INSERT INTO wg_status_history (group_id, status, note, actor_id, changed_at) VALUES (?, ?, ?, ?, ?)",
        (group_id, status, note, actor_id, utc_iso(now)),
    )


_HISTORY_SQL = (
    "SELECT id, group_id, status, note, actor_id, changed_at FROM wg_status_history "
    "WHERE group_id = ? ORDER BY id DESC LIMIT ?"
)


def _status_change(r: sqlite3.Row) -> StatusChange:
    return StatusChange(
        int(r["id"]), int(r["group_id"]), r["status"], r["note"], r["actor_id"], from_iso(r["changed_at"])
    )


async def status_history(conn: Queryable, group_id: int, limit: int = 10) -> list[StatusChange]:
    return [_status_change(r) for r in await conn.fetchall(_HISTORY_SQL, (group_id, limit))]


def status_history_in(conn: sqlite3.Connection, group_id: int, limit: int = 10) -> list[StatusChange]:
    return [_status_change(r) for r in conn.execute(_HISTORY_SQL, (group_id, limit))]


async def touch_activity(tx: Transaction, group_id: int, now: datetime) -> None:
    await tx.execute("UPDATE wg_groups SET last_activity_at = ? WHERE id = ?", (utc_iso(now), group_id))


async def set_nudged_for(tx: Transaction, group_id: int, activity_at: datetime) -> bool:
    """Record that the quiet spell since ``activity_at`` was nudged; False if it already was."""
    cursor = await tx.execute(
        "UPDATE wg_groups SET nudged_for = ? WHERE id = ? AND (nudged_for IS NULL OR nudged_for <> ?)",
        (utc_iso(activity_at), group_id, utc_iso(activity_at)),
    )
    return bool(cursor.rowcount)


async def archive(tx: Transaction, group_id: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE wg_groups SET archived_at = ? WHERE id = ? AND archived_at IS NULL", (utc_iso(now), group_id)
    )


async def names_in_guild(conn: Queryable, guild_id: int) -> list[tuple[int, Texts]]:
    rows = await conn.fetchall("SELECT id, name FROM wg_groups WHERE guild_id = ?", (guild_id,))
    return [(int(r["id"]), texts(r["name"])) for r in rows]


# --- coordinators --------------------------------------------------------------------------------


async def add_coordinator(tx: Transaction, group_id: int, user_id: int, added_by: int, now: datetime) -> bool:
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO wg_coordinators (group_id, user_id, added_by, added_at) VALUES (?, ?, ?, ?)",
        (group_id, user_id, added_by, utc_iso(now)),
    )
    return bool(cursor.rowcount)


async def remove_coordinator(tx: Transaction, group_id: int, user_id: int) -> bool:
    cursor = await tx.execute(
        "DELETE FROM wg_coordinators WHERE group_id = ? AND user_id = ?", (group_id, user_id)
    )
    return bool(cursor.rowcount)


_COORDINATORS_SQL = "SELECT user_id FROM wg_coordinators WHERE group_id = ? ORDER BY added_at, user_id"
_IS_COORDINATOR_SQL = "SELECT 1 FROM wg_coordinators WHERE group_id = ? AND user_id = ?"


async def coordinators(conn: Queryable, group_id: int) -> list[int]:
    return [int(r["user_id"]) for r in await conn.fetchall(_COORDINATORS_SQL, (group_id,))]


def coordinators_in(conn: sqlite3.Connection, group_id: int) -> list[int]:
    return [int(r["user_id"]) for r in conn.execute(_COORDINATORS_SQL, (group_id,))]


def is_coordinator_in(conn: sqlite3.Connection, group_id: int, user_id: int) -> bool:
    return conn.execute(_IS_COORDINATOR_SQL, (group_id, user_id)).fetchone() is not None


async def coordinators_by_group(conn: Queryable, guild_id: int) -> dict[int, list[int]]:
    rows = await conn.fetchall(
        "SELECT c.group_id, c.user_id FROM wg_coordinators c JOIN wg_groups g ON g.id = c.group_id "
        "WHERE g.guild_id = ? ORDER BY c.added_at, c.user_id",
        (guild_id,),
    )
    found: dict[int, list[int]] = {}
    for r in rows:
        found.setdefault(int(r["group_id"]), []).append(int(r["user_id"]))
    return found


async def is_coordinator(conn: Queryable, group_id: int, user_id: int) -> bool:
    return bool(await conn.fetchval(_IS_COORDINATOR_SQL, (group_id, user_id)))


# --- workplan and deliverables -------------------------------------------------------------------


def _item(row: sqlite3.Row) -> WorkplanItem:
    return WorkplanItem(
        int(row["id"]), int(row["group_id"]), texts(row["title"]), row["status"], from_iso(row["updated_at"])
    )


async def insert_workplan_item(
    tx: Transaction, group_id: int, title: Texts, status: str, now: datetime
) -> int:
    return await tx.insert(
        "INSERT INTO wg_workplan_items (group_id, title, status, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (group_id, title.json(), status, utc_iso(now), utc_iso(now)),
    )


async def get_workplan_item(conn: Queryable, item_id: int) -> WorkplanItem | None:
    row = await conn.fetchone(
        "SELECT id, group_id, title, status, updated_at FROM wg_workplan_items WHERE id = ?", (item_id,)
    )
    return None if row is None else _item(row)


_WORKPLAN_SQL = (
    "SELECT id, group_id, title, status, updated_at FROM wg_workplan_items WHERE group_id = ? ORDER BY id"
)


async def workplan(conn: Queryable, group_id: int) -> list[WorkplanItem]:
    return [_item(r) for r in await conn.fetchall(_WORKPLAN_SQL, (group_id,))]


def workplan_in(conn: sqlite3.Connection, group_id: int) -> list[WorkplanItem]:
    return [_item(r) for r in conn.execute(_WORKPLAN_SQL, (group_id,))]


async def update_workplan_item(
    tx: Transaction, item_id: int, *, title: Texts | None, status: str | None, now: datetime
) -> None:
    await tx.execute(
        "UPDATE wg_workplan_items SET title = coalesce(?, title), status = coalesce(?, status), "
        "updated_at = ? WHERE id = ?",
        (None if title is None else title.json(), status, utc_iso(now), item_id),
    )


async def delete_workplan_item(tx: Transaction, item_id: int) -> None:
    await tx.execute("DELETE FROM wg_workplan_items WHERE id = ?", (item_id,))


_DELIVERABLE_COLUMNS = "id, group_id, title, kind, due_date, status, link, updated_at"


def _deliverable(row: sqlite3.Row) -> Deliverable:
    return Deliverable(
        id=int(row["id"]),
        group_id=int(row["group_id"]),
        title=texts(row["title"]),
        kind=row["kind"],
        due_date=None if row["due_date"] is None else date.fromisoformat(row["due_date"]),
        status=row["status"],
        link=row["link"],
        updated_at=from_iso(row["updated_at"]),
    )


async def insert_deliverable(
    tx: Transaction,
    group_id: int,
    *,
    title: Texts,
    kind: str,
    due_date: date | None,
    status: str,
    link: str | None,
    now: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO wg_deliverables (group_id, title, kind, due_date, status, link, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            group_id,
            title.json(),
            kind,
            None if due_date is None else due_date.isoformat(),
            status,
            link,
            utc_iso(now),
            utc_iso(now),
        ),
    )


async def get_deliverable(conn: Queryable, deliverable_id: int) -> Deliverable | None:
    row = await conn.fetchone(
        f"SELECT {_DELIVERABLE_COLUMNS} FROM wg_deliverables WHERE id = ?",  # noqa: S608
        (deliverable_id,),
    )
    return None if row is None else _deliverable(row)


_DELIVERABLES_SQL = f"SELECT {_DELIVERABLE_COLUMNS} FROM wg_deliverables WHERE group_id = ? ORDER BY id"  # noqa: S608


async def deliverables(conn: Queryable, group_id: int) -> list[Deliverable]:
    return [_deliverable(r) for r in await conn.fetchall(_DELIVERABLES_SQL, (group_id,))]


def deliverables_in(conn: sqlite3.Connection, group_id: int) -> list[Deliverable]:
    return [_deliverable(r) for r in conn.execute(_DELIVERABLES_SQL, (group_id,))]


async def update_deliverable(
    tx: Transaction, deliverable_id: int, changes: Mapping[str, Any], now: datetime
) -> None:
    """``changes`` maps column (title, kind, due_date, status, link) to its new stored value."""
    allowed = ("title", "kind", "due_date", "status", "link")
    columns = [name for name in allowed if name in changes]
    if not columns:
        return
    assignments = ", ".join(f"{name} = ?" for name in columns)
    await tx.execute(
        f"UPDATE wg_deliverables SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608 - allow-listed
        [*(changes[name] for name in columns), utc_iso(now), deliverable_id],
    )


async def delete_deliverable(tx: Transaction, deliverable_id: int) -> None:
    await tx.execute("DELETE FROM wg_deliverables WHERE id = ?", (deliverable_id,))


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


async def recent_posts(conn: Queryable, group_id: int, kind: str, limit: int) -> list[Post]:
    return [_post(r) for r in await conn.fetchall(_RECENT_POSTS_SQL, (group_id, kind, limit))]


def recent_posts_in(conn: sqlite3.Connection, group_id: int, kind: str, limit: int) -> list[Post]:
    return [_post(r) for r in conn.execute(_RECENT_POSTS_SQL, (group_id, kind, limit))]


async def set_post_message(tx: Transaction, post_id: int, channel_id: int, message_id: int) -> None:
    await tx.execute(
        "UPDATE wg_posts SET channel_id = ?, message_id = ? WHERE id = ?", (channel_id, message_id, post_id)
    )


async def post_counts(conn: Queryable, guild_id: int) -> dict[int, int]:
    rows = await conn.fetchall(
        "SELECT p.group_id, count(*) AS n FROM wg_posts p JOIN wg_groups g ON g.id = p.group_id "
        "WHERE g.guild_id = ? GROUP BY p.group_id",
        (guild_id,),
    )
    return {int(r["group_id"]): int(r["n"]) for r in rows}


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


async def documents(conn: Queryable, group_id: int) -> list[Document]:
    return [_document(r) for r in await conn.fetchall(_DOCUMENTS_SQL, (group_id,))]


def documents_in(conn: sqlite3.Connection, group_id: int, limit: int) -> list[Document]:
    """The group's first ``limit`` documents (oldest first, as ``documents``)."""
    return [_document(r) for r in conn.execute(f"{_DOCUMENTS_SQL} LIMIT ?", (group_id, limit))]


async def get_document(conn: Queryable, document_id: int) -> Document | None:
    row = await conn.fetchone(
        "SELECT id, group_id, title, url, added_by, added_at FROM wg_documents WHERE id = ?", (document_id,)
    )
    return None if row is None else _document(row)


async def delete_document(tx: Transaction, document_id: int) -> None:
    await tx.execute("DELETE FROM wg_documents WHERE id = ?", (document_id,))


# --- join requests -------------------------------------------------------------------------------

_REQUEST_COLUMNS = (
    "id, group_id, user_id, language, status, requested_at, decided_by, decided_at, channel_id, message_id"
)


def _request(row: sqlite3.Row) -> JoinRequest:
    return JoinRequest(
        id=int(row["id"]),
        group_id=int(row["group_id"]),
        user_id=int(row["user_id"]),
        language=row["language"],
        status=row["status"],
        requested_at=from_iso(row["requested_at"]),
        decided_by=row["decided_by"],
        decided_at=_dt(row["decided_at"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
    )


async def insert_join_request(
    tx: Transaction, group_id: int, user_id: int, language: str, now: datetime
) -> int | None:
    """The new request's id, or None when the member already has a pending request for the group."""
    cursor = await tx.execute(
        "INSERT OR IGNORE INTO wg_join_requests (group_id, user_id, language, requested_at) "
        "VALUES (?, ?, ?, ?)",
        (group_id, user_id, language, utc_iso(now)),
    )
    return cursor.lastrowid if cursor.rowcount else None


async def get_join_request(conn: Queryable, request_id: int) -> JoinRequest | None:
    row = await conn.fetchone(
        f"SELECT {_REQUEST_COLUMNS} FROM wg_join_requests WHERE id = ?",  # noqa: S608
        (request_id,),
    )
    return None if row is None else _request(row)


async def pending_join_request(conn: Queryable, group_id: int, user_id: int) -> JoinRequest | None:
    row = await conn.fetchone(
        f"SELECT {_REQUEST_COLUMNS} FROM wg_join_requests "  # noqa: S608
        "WHERE group_id = ? AND user_id = ? AND status = 'pending'",
        (group_id, user_id),
    )
    return None if row is None else _request(row)


async def decide_join_request(
    tx: Transaction, request_id: int, status: str, decided_by: int | None, now: datetime
) -> bool:
    """Close a pending request; False if it was no longer pending (someone else decided first)."""
    cursor = await tx.execute(
        "UPDATE wg_join_requests SET status = ?, decided_by = ?, decided_at = ? "
        "WHERE id = ? AND status = 'pending'",
        (status, decided_by, utc_iso(now), request_id),
    )
    return bool(cursor.rowcount)


async def set_join_request_message(
    tx: Transaction, request_id: int, channel_id: int, message_id: int
) -> None:
    await tx.execute(
        "UPDATE wg_join_requests SET channel_id = ?, message_id = ? WHERE id = ?",
        (channel_id, message_id, request_id),
    )


# --- panels --------------------------------------------------------------------------------------


async def insert_panel(
    tx: Transaction, guild_id: int, channel_id: int, message_id: int, now: datetime
) -> None:
    await tx.execute(
        "INSERT OR REPLACE INTO wg_panels (guild_id, channel_id, message_id, created_at) VALUES (?, ?, ?, ?)",
        (guild_id, channel_id, message_id, utc_iso(now)),
    )


async def panels(conn: Queryable, guild_id: int) -> list[Panel]:
    rows = await conn.fetchall(
        "SELECT guild_id, channel_id, message_id FROM wg_panels WHERE guild_id = ? ORDER BY message_id",
        (guild_id,),
    )
    return [Panel(int(r["guild_id"]), int(r["channel_id"]), int(r["message_id"])) for r in rows]


async def delete_panel(tx: Transaction, message_id: int) -> None:
    await tx.execute("DELETE FROM wg_panels WHERE message_id = ?", (message_id,))


# --- report and search ---------------------------------------------------------------------------


async def report(conn: Queryable, guild_id: int, today: date) -> list[ReportRow]:
    """One row per active group, every count in one statement (correlated counts on indexed columns)."""
    rows = await conn.fetchall(
        """
        SELECT g.id, g.key, g.name, g.status, g.last_activity_at,
            (SELECT count(*) FROM wg_workplan_items w WHERE w.group_id = g.id AND w.status = 'completed')
                AS workplan_done,
            (SELECT count(*) FROM wg_workplan_items w WHERE w.group_id = g.id) AS workplan_total,
            (SELECT count(*) FROM wg_deliverables d WHERE d.group_id = g.id AND d.status = 'completed')
                AS deliverables_done,
            (SELECT count(*) FROM wg_deliverables d WHERE d.group_id = g.id) AS deliverables_total,
            (SELECT count(*) FROM wg_deliverables d WHERE d.group_id = g.id AND d.status <> 'completed'
                AND d.due_date IS NOT NULL AND d.due_date < ?) AS deliverables_overdue,
            (SELECT max(p.created_at) FROM wg_posts p WHERE p.group_id = g.id) AS last_update_at
        FROM wg_groups g
        WHERE g.guild_id = ? AND g.archived_at IS NULL
        ORDER BY g.key
        """,
        (today.isoformat(), guild_id),
    )
    return [
        ReportRow(
            group_id=int(r["id"]),
            key=r["key"],
            name=texts(r["name"]),
            status=r["status"],
            workplan_done=int(r["workplan_done"]),
            workplan_total=int(r["workplan_total"]),
            deliverables_done=int(r["deliverables_done"]),
            deliverables_total=int(r["deliverables_total"]),
            deliverables_overdue=int(r["deliverables_overdue"]),
            last_update_at=_dt(r["last_update_at"]),
            last_activity_at=from_iso(r["last_activity_at"]),
        )
        for r in rows
    ]


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


# --- initiatives ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Initiative:
    id: int
    group_id: int
    submitted_by: int
    title: str
    organisation: str
    country: str
    link: str | None
    description: str
    kind: str
    language: str
    status: str  # pending, approved, declined
    submitted_at: datetime
    decided_by: int | None
    channel_id: int | None
    message_id: int | None


_INITIATIVE_COLUMNS = (
    "id, group_id, submitted_by, title, organisation, country, link, description, kind, language, status, "
    "submitted_at, decided_by, channel_id, message_id"
)


def _initiative(row: sqlite3.Row) -> Initiative:
    return Initiative(
        id=int(row["id"]),
        group_id=int(row["group_id"]),
        submitted_by=int(row["submitted_by"]),
        title=row["title"],
        organisation=row["organisation"],
        country=row["country"],
        link=row["link"],
        description=row["description"],
        kind=row["kind"],
        language=row["language"],
        status=row["status"],
        submitted_at=from_iso(row["submitted_at"]),
        decided_by=row["decided_by"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
    )


async def insert_initiative(
    tx: Transaction,
    group_id: int,
    *,
    submitted_by: int,
    title: str,
    organisation: str,
    country: str,
    link: str | None,
    description: str,
    kind: str,
    language: str,
    now: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO wg_initiatives (group_id, submitted_by, title, organisation, country, link, "
        "description, kind, language, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            group_id,
            submitted_by,
            title,
            organisation,
            country,
            link,
            description,
            kind,
            language,
            utc_iso(now),
        ),
    )


async def get_initiative(conn: Queryable, initiative_id: int) -> Initiative | None:
    row = await conn.fetchone(
        f"SELECT {_INITIATIVE_COLUMNS} FROM wg_initiatives WHERE id = ?",  # noqa: S608
        (initiative_id,),
    )
    return None if row is None else _initiative(row)


async def approved_initiatives(conn: Queryable, group_id: int, kind: str | None = None) -> list[Initiative]:
    """Approved entries of a group, by country then title (the country filter folds accents in the
    service)."""
    where = ""
    params: list[object] = [group_id]
    if kind is not None:
        where = " AND kind = ?"
        params.append(kind)
    rows = await conn.fetchall(
        f"SELECT {_INITIATIVE_COLUMNS} FROM wg_initiatives "  # noqa: S608
        f"WHERE group_id = ? AND status = 'approved'{where} "
        "ORDER BY country COLLATE NOCASE, title COLLATE NOCASE",
        params,
    )
    return [_initiative(r) for r in rows]


async def decide_initiative(
    tx: Transaction, initiative_id: int, status: str, decided_by: int, now: datetime
) -> bool:
    cursor = await tx.execute(
        "UPDATE wg_initiatives SET status = ?, decided_by = ?, decided_at = ? "
        "WHERE id = ? AND status = 'pending'",
        (status, decided_by, utc_iso(now), initiative_id),
    )
    return bool(cursor.rowcount)


async def set_initiative_message(
    tx: Transaction, initiative_id: int, channel_id: int, message_id: int
) -> None:
    await tx.execute(
        "UPDATE wg_initiatives SET channel_id = ?, message_id = ? WHERE id = ?",
        (channel_id, message_id, initiative_id),
    )


# --- roundtables (events hosted by a group) ------------------------------------------------------


@dataclass(frozen=True)
class Roundtable:
    occurrence_id: int
    title: str
    starts_at: datetime
    attended: int  # members who checked in


async def link_event(tx: Transaction, group_id: int, series_id: int) -> None:
    await tx.execute(
        "INSERT OR IGNORE INTO wg_events (group_id, series_id) VALUES (?, ?)", (group_id, series_id)
    )


async def roundtables(
    conn: Queryable, group_id: int, now: datetime, *, upcoming: bool, limit: int
) -> list[Roundtable]:
    """The group's scheduled occurrences from now on (soonest first) or before now (latest first),
    with their check-in counts. Reads the events tables: a group's roundtables are events."""
    rows = await conn.fetchall(_ROUNDTABLES_SQL[upcoming], (group_id, utc_iso(now), limit))
    return [_roundtable(r) for r in rows]


def roundtables_in(
    conn: sqlite3.Connection, group_id: int, now: datetime, *, upcoming: bool, limit: int
) -> list[Roundtable]:
    return [_roundtable(r) for r in conn.execute(_ROUNDTABLES_SQL[upcoming], (group_id, utc_iso(now), limit))]


def _roundtables_sql(upcoming: bool) -> str:
    comparison, order = (">=", "ASC") if upcoming else ("<", "DESC")
    return f"""
        SELECT o.id, coalesce(o.title, s.title) AS title, o.starts_at,
            (SELECT count(*) FROM event_check_ins c WHERE c.occurrence_id = o.id) AS attended
        FROM wg_events w
        JOIN event_series s ON s.id = w.series_id
        JOIN event_occurrences o ON o.series_id = s.id
        WHERE w.group_id = ? AND o.status = 'scheduled' AND s.status = 'active' AND o.starts_at {comparison} ?
        ORDER BY o.starts_at {order}
        LIMIT ?
        """  # noqa: S608 - the comparison and order come from the two literals above


_ROUNDTABLES_SQL: Final = {True: _roundtables_sql(True), False: _roundtables_sql(False)}


def _roundtable(r: sqlite3.Row) -> Roundtable:
    return Roundtable(int(r["id"]), r["title"], from_iso(r["starts_at"]), int(r["attended"]))


async def unposted(conn: Queryable, group_id: int) -> dict[str, list[int]]:
    """What the group's outbox never got into its channel (the channel was gone or closed to the bot):
    posts, pending join requests and pending initiatives without a message."""
    found: dict[str, list[int]] = {}
    for kind, sql in (
        ("post", "SELECT id FROM wg_posts WHERE group_id = ? AND message_id IS NULL ORDER BY id"),
        (
            "join_request",
            "SELECT id FROM wg_join_requests "
            "WHERE group_id = ? AND status = 'pending' AND message_id IS NULL",
        ),
        (
            "initiative",
            "SELECT id FROM wg_initiatives WHERE group_id = ? AND status = 'pending' AND message_id IS NULL",
        ),
    ):
        found[kind] = [int(r["id"]) for r in await conn.fetchall(sql, (group_id,))]
    return found
