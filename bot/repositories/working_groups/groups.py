"""SQL for working groups themselves: the group and its texts, status history, coordinators, the
panels listing the groups, the events a group hosts (roundtables) and what its outbox never posted.

Texts a group carries in several languages are JSON objects ``{"en": ..., "fr": ..., "es": ...}``
read into ``Texts``. Membership is never stored: the group's Discord role is the truth.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Final

import msgspec

from bot.db import Queryable, Transaction
from bot.timeutil import from_iso, utc_iso

TEXT_FIELDS = ("name", "stake", "actions", "mandate", "description")


class Texts(msgspec.Struct, frozen=True):
    """A text in one or more languages; ``get`` falls back to English, then to any language given."""

    values: Mapping[str, str] = msgspec.field(default_factory=dict)

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


class Group(msgspec.Struct, frozen=True):
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


class StatusChange(msgspec.Struct, frozen=True):
    id: int
    group_id: int
    status: str
    note: str | None
    actor_id: int | None
    changed_at: datetime


class Panel(msgspec.Struct, frozen=True):
    guild_id: int
    channel_id: int
    message_id: int


def from_iso_or_none(value: str | None) -> datetime | None:
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
        nudged_for=from_iso_or_none(row["nudged_for"]),
        archived_at=from_iso_or_none(row["archived_at"]),
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


class GroupName(msgspec.Struct, frozen=True):
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


# The reads of groups are synchronous, for a ``Database.read`` function: a card's several reads go
# to the database thread in one trip (``bot/services/working_groups/reads.py``).


def get_group_in(conn: sqlite3.Connection, group_id: int) -> Group | None:
    row = conn.execute(_GROUP_SQL, (group_id,)).fetchone()
    return None if row is None else _group(row)


def get_group_by_key_in(conn: sqlite3.Connection, guild_id: int, key: str) -> Group | None:
    row = conn.execute(_GROUP_BY_KEY_SQL, (guild_id, key)).fetchone()
    return None if row is None else _group(row)


def group_names_in(conn: sqlite3.Connection, guild_id: int) -> list[GroupName]:
    """Every group of the guild, archived ones included, by key."""
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


# --- roundtables (events hosted by a group) ------------------------------------------------------


class Roundtable(msgspec.Struct, frozen=True):
    occurrence_id: int
    title: str
    starts_at: datetime
    attended: int  # members who checked in


async def link_event(tx: Transaction, group_id: int, series_id: int) -> None:
    await tx.execute(
        "INSERT OR IGNORE INTO wg_events (group_id, series_id) VALUES (?, ?)", (group_id, series_id)
    )


def roundtables_in(
    conn: sqlite3.Connection, group_id: int, now: datetime, *, upcoming: bool, limit: int
) -> list[Roundtable]:
    """The group's scheduled occurrences from now on (soonest first) or before now (latest first),
    with their check-in counts. Reads the events tables: a group's roundtables are events."""
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
