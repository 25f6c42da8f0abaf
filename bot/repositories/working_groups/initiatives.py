"""SQL for a group's index of initiatives (submitted by members, approved by its coordinators)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import msgspec

from bot.db import Queryable, Transaction
from bot.timeutil import from_iso, utc_iso

# --- initiatives ---------------------------------------------------------------------------------


class Initiative(msgspec.Struct, frozen=True):
    id: int
    group_id: int
    submitted_by: int
    title: str
    organisation: str
    country: str | None  # ISO 3166-1 alpha-2; None only for an old row no country name matched
    country_text: str | None  # that old row's country as it was typed, shown as written
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
    "id, group_id, submitted_by, title, organisation, country, country_text, link, description, kind, "
    "language, status, submitted_at, decided_by, channel_id, message_id"
)


def _initiative(row: sqlite3.Row) -> Initiative:
    return Initiative(
        id=int(row["id"]),
        group_id=int(row["group_id"]),
        submitted_by=int(row["submitted_by"]),
        title=row["title"],
        organisation=row["organisation"],
        country=row["country"],
        country_text=row["country_text"],
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


async def approved_initiatives(
    conn: Queryable, group_id: int, kind: str | None = None, country: str | None = None
) -> list[Initiative]:
    """Approved entries of a group, optionally of one kind and one country (a code), by id (the service
    orders them by country name in the reader's language)."""
    where = ""
    params: list[object] = [group_id]
    if kind is not None:
        where += " AND kind = ?"
        params.append(kind)
    if country is not None:
        where += " AND country = ?"
        params.append(country)
    rows = await conn.fetchall(
        f"SELECT {_INITIATIVE_COLUMNS} FROM wg_initiatives "  # noqa: S608
        f"WHERE group_id = ? AND status = 'approved'{where} ORDER BY id",
        params,
    )
    return [_initiative(r) for r in rows]


async def decide_initiative(
    tx: Transaction, initiative_id: int, status: str, decided_by: int, now: datetime, search_body: str
) -> bool:
    """Close a pending entry; an approved one enters the search index with ``search_body`` (its
    organisation, description and country names, which SQL cannot work out), in the same transaction."""
    cursor = await tx.execute(
        "UPDATE wg_initiatives SET status = ?, decided_by = ?, decided_at = ? "
        "WHERE id = ? AND status = 'pending'",
        (status, decided_by, utc_iso(now), initiative_id),
    )
    if not cursor.rowcount:
        return False
    if status == "approved":
        await _index(tx, initiative_id, search_body)
    return True


async def _index(tx: Transaction, initiative_id: int, body: str) -> None:
    await tx.execute("DELETE FROM wg_search WHERE source = 'initiative' AND source_id = ?", (initiative_id,))
    await tx.execute(
        "INSERT INTO wg_search (title, body, source, source_id, group_id) "
        "SELECT title, ?, 'initiative', id, group_id FROM wg_initiatives WHERE id = ?",
        (body, initiative_id),
    )


async def written_countries(conn: Queryable) -> list[Initiative]:
    """Entries whose country is still the text typed before countries were codes."""
    rows = await conn.fetchall(
        f"SELECT {_INITIATIVE_COLUMNS} FROM wg_initiatives WHERE country IS NULL ORDER BY id"  # noqa: S608
    )
    return [_initiative(r) for r in rows]


async def set_initiative_country(
    tx: Transaction, initiative: Initiative, code: str, search_body: str
) -> None:
    """Give an old entry its country code (the text typed goes); an approved one is re-indexed."""
    await tx.execute(
        "UPDATE wg_initiatives SET country = ?, country_text = NULL WHERE id = ?", (code, initiative.id)
    )
    if initiative.status == "approved":
        await _index(tx, initiative.id, search_body)


async def set_initiative_message(
    tx: Transaction, initiative_id: int, channel_id: int, message_id: int
) -> None:
    await tx.execute(
        "UPDATE wg_initiatives SET channel_id = ?, message_id = ? WHERE id = ?",
        (channel_id, message_id, initiative_id),
    )
