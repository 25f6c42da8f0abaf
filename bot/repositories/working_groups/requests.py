"""SQL for requests to join a private group."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import msgspec

from bot.db import Queryable, Transaction
from bot.repositories.working_groups.groups import from_iso_or_none
from bot.timeutil import from_iso, utc_iso


class JoinRequest(msgspec.Struct, frozen=True):
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
        decided_at=from_iso_or_none(row["decided_at"]),
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
