"""SQL for a group's index of initiatives (submitted by members, approved by its coordinators)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.db import Queryable, Transaction
from bot.timeutil import from_iso, utc_iso

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
