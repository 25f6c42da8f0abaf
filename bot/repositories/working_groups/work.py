"""SQL for a group's work: its workplan items and deliverables, and the report of every group's
progress."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import msgspec

from bot.db import Queryable, Transaction
from bot.repositories.working_groups.groups import Texts, from_iso_or_none, texts
from bot.timeutil import from_iso, utc_iso


class WorkplanItem(msgspec.Struct, frozen=True):
    id: int
    group_id: int
    title: Texts
    status: str
    updated_at: datetime


class Deliverable(msgspec.Struct, frozen=True):
    id: int
    group_id: int
    title: Texts
    kind: str
    due_date: date | None
    status: str
    link: str | None
    updated_at: datetime


class ReportRow(msgspec.Struct, frozen=True):
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


# --- report --------------------------------------------------------------------------------------


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
            last_update_at=from_iso_or_none(r["last_update_at"]),
            last_activity_at=from_iso(r["last_activity_at"]),
        )
        for r in rows
    ]
