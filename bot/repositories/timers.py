"""SQL for the ``timers`` table: every delayed action, one row each. Rows come back as ``Timer``s.

Times are stored as ``utc_iso`` strings. All of them are UTC with the same ``+00:00`` suffix, so
comparing the strings compares the moments ("...:00+00:00" sorts before "...:00.5+00:00").
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import msgspec

from bot.db import Queryable, Transaction
from bot.timeutil import from_iso, utc_iso

PENDING = "pending"
DONE = "done"
FAILED = "failed"
CANCELLED = "cancelled"

_COLUMNS = "id, kind, due_at, payload, attempts, created_at, status, last_error"


class Timer(msgspec.Struct, frozen=True):
    id: int
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    status: str = PENDING
    last_error: str | None = None


def _timer(row: sqlite3.Row) -> Timer:
    return Timer(
        id=int(row["id"]),
        kind=str(row["kind"]),
        due_at=from_iso(row["due_at"]),
        payload=json.loads(row["payload"]),
        attempts=int(row["attempts"]),
        created_at=from_iso(row["created_at"]),
        status=str(row["status"]),
        last_error=row["last_error"],
    )


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


async def insert(
    tx: Transaction, kind: str, due_at: datetime, payload_json: str, created_at: datetime
) -> int:
    return await tx.insert(
        "INSERT INTO timers (kind, due_at, payload, created_at) VALUES (?, ?, ?, ?)",
        (kind, utc_iso(due_at), payload_json, utc_iso(created_at)),
    )


async def get(conn: Queryable, timer_id: int) -> Timer | None:
    row = await conn.fetchone(f"SELECT {_COLUMNS} FROM timers WHERE id = ?", (timer_id,))  # noqa: S608
    return None if row is None else _timer(row)


async def due(
    conn: Queryable,
    now: datetime,
    kinds: Collection[str],
    *,
    after: tuple[datetime, int] | None = None,
    limit: int,
) -> list[Timer]:
    """Pending timers of the given kinds due at or before ``now``, in (due_at, id) order.

    ``after`` is a keyset cursor: only timers strictly after that (due_at, id) are returned, so a
    caller paging through can never see the same row twice.
    """
    if not kinds:
        return []
    sql = (
        # The partial index reads only the due rows, however many are pending later.
        f"SELECT {_COLUMNS} FROM timers INDEXED BY timers_pending_due "  # noqa: S608 (only "?" interpolated)
        f"WHERE status = 'pending' AND due_at <= ? AND kind IN ({_placeholders(len(kinds))})"
    )
    params: list[Any] = [utc_iso(now), *kinds]
    if after is not None:
        sql += " AND (due_at, id) > (?, ?)"
        params += [utc_iso(after[0]), after[1]]
    sql += " ORDER BY due_at, id LIMIT ?"
    params.append(limit)
    return [_timer(row) for row in await conn.fetchall(sql, params)]


async def due_kinds_counts(conn: Queryable, now: datetime, excluded_kinds: Collection[str]) -> dict[str, int]:
    """How many pending, due timers each kind outside ``excluded_kinds`` has (kinds with no handler)."""
    sql = (
        "SELECT kind, COUNT(*) AS n FROM timers INDEXED BY timers_pending_due "
        "WHERE status = 'pending' AND due_at <= ?"
    )
    params: list[Any] = [utc_iso(now)]
    if excluded_kinds:
        sql += f" AND kind NOT IN ({_placeholders(len(excluded_kinds))})"
        params += list(excluded_kinds)
    sql += " GROUP BY kind"
    return {str(row["kind"]): int(row["n"]) for row in await conn.fetchall(sql, params)}


async def mark_done(tx: Transaction, timer_id: int, ran_for_due_at: datetime, finished_at: datetime) -> bool:
    """Mark a timer done, unless it was cancelled or rescheduled while its handler ran.

    A timer moved to another time while it ran must fire again at the new time, so the update only
    applies if ``due_at`` is still the one the handler ran for.
    """
    cursor = await tx.execute(
        "UPDATE timers SET status = 'done', finished_at = ? "
        "WHERE id = ? AND status = 'pending' AND due_at = ?",
        (utc_iso(finished_at), timer_id, utc_iso(ran_for_due_at)),
    )
    return cursor.rowcount == 1


async def mark_failed_attempt(
    tx: Transaction,
    timer_id: int,
    ran_for_due_at: datetime,
    error: str,
    *,
    retry_at: datetime | None,
    now: datetime,
) -> Timer | None:
    """Count a failed run: retry at ``retry_at``, or with ``retry_at=None`` give up (status failed).

    Returns the updated timer, or None if it was cancelled or rescheduled while the handler ran.
    """
    if retry_at is None:
        sql = (
            "UPDATE timers SET attempts = attempts + 1, last_error = ?, status = 'failed', finished_at = ? "
            "WHERE id = ? AND status = 'pending' AND due_at = ?"
        )
        params: tuple[Any, ...] = (error, utc_iso(now), timer_id, utc_iso(ran_for_due_at))
    else:
        sql = (
            "UPDATE timers SET attempts = attempts + 1, last_error = ?, due_at = ? "
            "WHERE id = ? AND status = 'pending' AND due_at = ?"
        )
        params = (error, utc_iso(retry_at), timer_id, utc_iso(ran_for_due_at))
    # RETURNING: the updated row comes back with the write, no second statement.
    row = await tx.fetchone(f"{sql} RETURNING {_COLUMNS}", params)
    return None if row is None else _timer(row)


async def cancel(tx: Transaction, timer_id: int, now: datetime) -> bool:
    cursor = await tx.execute(
        "UPDATE timers SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'pending'",
        (utc_iso(now), timer_id),
    )
    return cursor.rowcount == 1


async def cancel_matching(
    tx: Transaction, kind: str, payload_fields: Mapping[str, Any], now: datetime
) -> int:
    """Cancel the pending timers of ``kind`` whose payload has each field equal to the given value.

    Field names must be plain identifiers (the caller checks); they travel as JSON-path parameters.
    """
    sql = "UPDATE timers SET status = 'cancelled', finished_at = ? WHERE status = 'pending' AND kind = ?"
    params: list[Any] = [utc_iso(now), kind]
    for name, value in payload_fields.items():
        sql += " AND json_extract(payload, ?) = ?"
        params += [f"$.{name}", value]
    cursor = await tx.execute(sql, params)
    return cursor.rowcount


def _matching_sql(payload_fields: Mapping[str, Any]) -> tuple[str, list[Any]]:
    sql = ""
    params: list[Any] = []
    for name, value in payload_fields.items():
        sql += " AND json_extract(payload, ?) = ?"
        params += [f"$.{name}", value]
    return sql, params


async def pending_matching(conn: Queryable, kind: str, payload_fields: Mapping[str, Any]) -> list[Timer]:
    """Pending timers of ``kind`` whose payload has each field equal to the given value, by due time."""
    where, params = _matching_sql(payload_fields)
    rows = await conn.fetchall(
        f"SELECT {_COLUMNS} FROM timers WHERE status = 'pending' AND kind = ?{where} "  # noqa: S608
        "ORDER BY due_at, id",
        [kind, *params],
    )
    return [_timer(row) for row in rows]


async def pending_with_payload(
    conn: Queryable,
    kind: str,
    payload_json: str,
    *,
    skip_ids: Collection[int] = (),
    later_than: datetime | None = None,
) -> int | None:
    """The id of a pending timer of ``kind`` with exactly this (canonical JSON) payload, if any."""
    sql = "SELECT id FROM timers WHERE status = 'pending' AND kind = ? AND payload = ?"
    params: list[Any] = [kind, payload_json]
    if later_than is not None:
        sql += " AND due_at > ?"
        params.append(utc_iso(later_than))
    sql += " ORDER BY due_at, id LIMIT ?"
    params.append(len(skip_ids) + 1)
    for row in await conn.fetchall(sql, params):
        if int(row["id"]) not in skip_ids:
            return int(row["id"])
    return None


def ensure_pending_in(
    conn: sqlite3.Connection,
    kind: str,
    due_at: datetime,
    payload_json: str,
    created_at: datetime,
    *,
    skip_ids: Collection[int] = (),
) -> int | None:
    """``pending_with_payload`` + ``insert`` for a ``Database.write`` function (on the database
    thread): the new timer's id, or None when a pending one with this payload exists already."""
    rows = conn.execute(
        "SELECT id FROM timers WHERE status = 'pending' AND kind = ? AND payload = ? "
        "ORDER BY due_at, id LIMIT ?",
        (kind, payload_json, len(skip_ids) + 1),
    ).fetchall()
    if any(int(row[0]) not in skip_ids for row in rows):
        return None
    cursor = conn.execute(
        "INSERT INTO timers (kind, due_at, payload, created_at) VALUES (?, ?, ?, ?)",
        (kind, utc_iso(due_at), payload_json, utc_iso(created_at)),
    )
    return cursor.lastrowid


async def reschedule(tx: Transaction, timer_id: int, due_at: datetime) -> bool:
    cursor = await tx.execute(
        "UPDATE timers SET due_at = ? WHERE id = ? AND status = 'pending'",
        (utc_iso(due_at), timer_id),
    )
    return cursor.rowcount == 1


async def earliest_due(
    conn: Queryable, kinds: Collection[str] | None = None, *, skip_ids: Collection[int] = ()
) -> datetime | None:
    """The earliest due time among pending timers (of ``kinds`` if given), ignoring ``skip_ids``.

    Walks the partial index on pending due times, so it reads only a few rows however many are pending;
    ``skip_ids`` (timers already running) is small, so at most that many extra rows are read.
    """
    if kinds is not None and not kinds:
        return None
    sql = "SELECT id, due_at FROM timers INDEXED BY timers_pending_due WHERE status = 'pending'"
    params: list[Any] = []
    if kinds is not None:
        sql += f" AND kind IN ({_placeholders(len(kinds))})"
        params += list(kinds)
    sql += " ORDER BY due_at, id LIMIT ?"
    params.append(len(skip_ids) + 1)
    for row in await conn.fetchall(sql, params):
        if int(row["id"]) not in skip_ids:
            return from_iso(row["due_at"])
    return None


async def upcoming(conn: Queryable, limit: int) -> list[Timer]:
    rows = await conn.fetchall(
        f"SELECT {_COLUMNS} FROM timers WHERE status = 'pending' ORDER BY due_at, id LIMIT ?",  # noqa: S608
        (limit,),
    )
    return [_timer(row) for row in rows]


async def pending_count(conn: Queryable) -> int:
    """Pending timers, from the counter the triggers of ``timer_counts`` keep (one row, any age)."""
    return int(await conn.fetchval("SELECT n FROM timer_counts WHERE status = 'pending'"))
