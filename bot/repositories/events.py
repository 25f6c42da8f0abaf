"""SQL for the events aggregate: series, occurrences, RSVPs, check-ins, reminder delivery logs and the
notices of edits and cancellations.

Occurrences are always read joined with their series, merging per-occurrence overrides over the
series' values, and with their RSVP counts in the same statement (no N+1: one row of
``event_rsvp_counts``, kept by triggers, per returned row).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec

from bot.db import Queryable, Transaction
from bot.timeutil import from_iso, parse_lead_times, utc_iso


class RsvpCounts(msgspec.Struct, frozen=True):
    going: int = 0
    maybe: int = 0
    declined: int = 0


class Occurrence(msgspec.Struct, frozen=True):
    """One concrete meeting, with the series' values merged with this occurrence's overrides.

    ``starts_at``/``ends_at`` are UTC; ``timezone`` is the zone the organiser planned in (for display
    and .ics). ``status`` is "scheduled" or "cancelled".
    """

    id: int
    series_id: int
    guild_id: int
    title: str
    description: str
    link: str | None
    timezone: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    recurrence: str
    channel_id: int
    audience_role_id: int | None
    organiser_id: int
    status: str
    lead_times: tuple[timedelta, ...]
    announcement_channel_id: int | None
    announcement_message_id: int | None
    discord_event_id: int | None
    counts: RsvpCounts = msgspec.field(default_factory=RsvpCounts)
    original_start: datetime | None = None  # the rule's start before any per-occurrence move
    source_key: str | None = None  # calendar key for seeded series
    sequence: int = 0  # edits of this occurrence on its own
    has_overrides: bool = False  # differs from what the series rule says (an .ics RECURRENCE-ID)
    language: str | None = None  # of its public posts; None = the channel's, else the server's

    @property
    def is_recurring(self) -> bool:
        return self.recurrence != "none"


class Series(msgspec.Struct, frozen=True):
    id: int
    guild_id: int
    title: str
    description: str
    link: str | None
    timezone: str
    local_start: str  # "YYYY-MM-DD HH:MM" in ``timezone``: the rule's anchor
    duration_minutes: int
    recurrence: str
    channel_id: int
    audience_role_id: int | None
    lead_times: str
    organiser_id: int
    created_at: datetime
    status: str
    source_key: str | None
    sequence: int
    language: str | None = None  # of its public posts; None = the channel's, else the server's


class Rsvp(msgspec.Struct, frozen=True):
    user_id: int
    status: str
    updated_at: datetime


class CheckIn(msgspec.Struct, frozen=True):
    user_id: int
    checked_in_at: datetime


# --- series ---------------------------------------------------------------------------------------

_SERIES_COLUMNS = (
    "guild_id",
    "title",
    "description",
    "link",
    "timezone",
    "local_start",
    "duration_minutes",
    "recurrence",
    "channel_id",
    "audience_role_id",
    "lead_times",
    "organiser_id",
    "created_at",
    "source_key",
    "language",
)
# Columns an edit may change (names are interpolated only from this allow-list, never from input).
_SERIES_EDITABLE = frozenset(
    {
        "title",
        "description",
        "link",
        "timezone",
        "local_start",
        "duration_minutes",
        "lead_times",
        "channel_id",
        "language",
    }
)
_OCCURRENCE_OVERRIDES = frozenset({"title", "description", "link", "lead_times", "channel_id", "language"})


async def insert_series(tx: Transaction, values: dict[str, Any]) -> int | None:
    """Insert a series; None when a seeded series with the same (guild, source_key) already exists."""
    columns = ", ".join(_SERIES_COLUMNS)
    marks = ", ".join("?" for _ in _SERIES_COLUMNS)
    row = await tx.fetchone(
        f"INSERT INTO event_series ({columns}) VALUES ({marks}) "  # noqa: S608 - fixed column list
        "ON CONFLICT (guild_id, source_key) DO NOTHING RETURNING id",
        [values.get(column) for column in _SERIES_COLUMNS],
    )
    return None if row is None else int(row[0])


async def get_series(conn: Queryable, series_id: int) -> Series | None:
    row = await conn.fetchone("SELECT * FROM event_series WHERE id = ?", (series_id,))
    return None if row is None else _series(row)


async def series_of_guild(conn: Queryable, guild_id: int) -> list[Series]:
    rows = await conn.fetchall("SELECT * FROM event_series WHERE guild_id = ? ORDER BY id", (guild_id,))
    return [_series(row) for row in rows]


async def series_keys(conn: Queryable, guild_id: int) -> set[str]:
    rows = await conn.fetchall(
        "SELECT source_key FROM event_series WHERE guild_id = ? AND source_key IS NOT NULL", (guild_id,)
    )
    return {str(row[0]) for row in rows}


async def active_recurring_series(conn: Queryable) -> list[Series]:
    rows = await conn.fetchall(
        "SELECT * FROM event_series WHERE status = 'active' AND recurrence != 'none' ORDER BY id"
    )
    return [_series(row) for row in rows]


async def update_series(tx: Transaction, series_id: int, changes: dict[str, Any]) -> None:
    """Apply edited fields and bump the iCalendar SEQUENCE."""
    await _update_bumping_sequence(tx, "event_series", _SERIES_EDITABLE, changes, series_id)


async def _update_bumping_sequence(
    tx: Transaction, table: str, allowed: frozenset[str], values: dict[str, Any], row_id: int
) -> None:
    """UPDATE allow-listed ``values`` of one row and bump its iCalendar SEQUENCE.

    Column names come only from ``allowed`` (never from user input), so the f-string is safe.
    """
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not editable in {table}: {sorted(unknown)}")
    assignments = "".join(f"{column} = ?, " for column in values)
    await tx.execute(
        f"UPDATE {table} SET {assignments}sequence = sequence + 1 WHERE id = ?",  # noqa: S608 - allow-listed
        [*values.values(), row_id],
    )


async def set_series_cancelled(tx: Transaction, series_id: int) -> None:
    await tx.execute(
        "UPDATE event_series SET status = 'cancelled', sequence = sequence + 1 WHERE id = ?", (series_id,)
    )


async def set_materialised_until(tx: Transaction, series_id: int, until: datetime) -> None:
    await tx.execute(
        "UPDATE event_series SET materialised_until = max(coalesce(materialised_until, ''), ?) WHERE id = ?",
        (utc_iso(until), series_id),
    )


def _series(row: sqlite3.Row) -> Series:
    return Series(
        id=row["id"],
        guild_id=row["guild_id"],
        title=row["title"],
        description=row["description"],
        link=row["link"],
        timezone=row["timezone"],
        local_start=row["local_start"],
        duration_minutes=row["duration_minutes"],
        recurrence=row["recurrence"],
        channel_id=row["channel_id"],
        audience_role_id=row["audience_role_id"],
        lead_times=row["lead_times"],
        organiser_id=row["organiser_id"],
        created_at=from_iso(row["created_at"]),
        status=row["status"],
        source_key=row["source_key"],
        sequence=row["sequence"],
        language=row["language"],
    )


# --- occurrences ----------------------------------------------------------------------------------


async def insert_occurrence(
    tx: Transaction, series_id: int, guild_id: int, starts_at: datetime, ends_at: datetime
) -> int | None:
    """Insert the rule's occurrence starting at ``starts_at``; None if it already exists (idempotent)."""
    row = await tx.fetchone(
        "INSERT INTO event_occurrences (series_id, guild_id, original_start, starts_at, ends_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (series_id, original_start) DO NOTHING RETURNING id",
        (series_id, guild_id, utc_iso(starts_at), utc_iso(starts_at), utc_iso(ends_at)),
    )
    return None if row is None else int(row[0])


_OCCURRENCE_SELECT = """
SELECT o.id, o.series_id, o.guild_id, o.original_start, o.starts_at, o.ends_at, o.status,
       coalesce(o.title, s.title) AS title,
       coalesce(o.description, s.description) AS description,
       CASE WHEN o.link IS NULL THEN s.link ELSE nullif(o.link, '') END AS link,
       coalesce(o.lead_times, s.lead_times) AS lead_times,
       o.sequence, o.announcement_channel_id, o.announcement_message_id, o.discord_event_id,
       (o.title IS NOT NULL OR o.description IS NOT NULL OR o.link IS NOT NULL OR o.lead_times IS NOT NULL
        OR o.channel_id IS NOT NULL OR o.starts_at != o.original_start
        OR round((julianday(o.ends_at) - julianday(o.starts_at)) * 1440) != s.duration_minutes)
         AS has_overrides,
       coalesce(o.channel_id, s.channel_id) AS channel_id,
       s.timezone, s.recurrence, s.audience_role_id, s.organiser_id, s.source_key,
       coalesce(o.language, s.language) AS language,
       coalesce(c.going, 0) AS going, coalesce(c.maybe, 0) AS maybe, coalesce(c.declined, 0) AS declined
FROM event_occurrences o
JOIN event_series s ON s.id = o.series_id
LEFT JOIN event_rsvp_counts c ON c.occurrence_id = o.id
"""


# Stored lead-time lists repeat (a series' every occurrence, the config's default): each is parsed
# once, not once per row read (parsing ten rows' lists took a third of building a page of them).
_stored_lead_times = functools.lru_cache(maxsize=256)(parse_lead_times)


def _occurrence(row: sqlite3.Row) -> Occurrence:
    starts_at, ends_at = from_iso(row["starts_at"]), from_iso(row["ends_at"])
    return Occurrence(
        id=row["id"],
        series_id=row["series_id"],
        guild_id=row["guild_id"],
        title=row["title"],
        description=row["description"],
        link=row["link"],
        timezone=row["timezone"],
        starts_at=starts_at,
        ends_at=ends_at,
        duration_minutes=round((ends_at - starts_at).total_seconds() / 60),
        recurrence=row["recurrence"],
        channel_id=row["channel_id"],
        audience_role_id=row["audience_role_id"],
        organiser_id=row["organiser_id"],
        status=row["status"],
        lead_times=_stored_lead_times(row["lead_times"]),
        announcement_channel_id=row["announcement_channel_id"],
        announcement_message_id=row["announcement_message_id"],
        discord_event_id=row["discord_event_id"],
        counts=RsvpCounts(going=row["going"], maybe=row["maybe"], declined=row["declined"]),
        original_start=from_iso(row["original_start"]),
        source_key=row["source_key"],
        sequence=row["sequence"],
        has_overrides=bool(row["has_overrides"]),
        language=row["language"],
    )


async def get_occurrence(conn: Queryable, occurrence_id: int) -> Occurrence | None:
    row = await conn.fetchone(f"{_OCCURRENCE_SELECT} WHERE o.id = ?", (occurrence_id,))
    return None if row is None else _occurrence(row)


async def latest_original_start_before(conn: Queryable, series_id: int, before: datetime) -> datetime | None:
    """The rule start of the series' last occurrence before ``before`` (any status), if any."""
    value = await conn.fetchval(
        "SELECT max(original_start) FROM event_occurrences WHERE series_id = ? AND original_start < ?",
        (series_id, utc_iso(before)),
    )
    return None if value is None else from_iso(value)


async def occurrences_from(
    conn: Queryable, series_id: int, original_start: datetime, now: datetime
) -> list[Occurrence]:
    """Scheduled, not yet ended occurrences of a series from ``original_start`` on, in rule order."""
    rows = await conn.fetchall(
        f"{_OCCURRENCE_SELECT} WHERE o.series_id = ? AND o.original_start >= ? AND o.status = 'scheduled' "
        "AND o.ends_at > ? ORDER BY o.original_start",
        (series_id, utc_iso(original_start), utc_iso(now)),
    )
    return [_occurrence(row) for row in rows]


async def occurrences_of_series(conn: Queryable, series_ids: Sequence[int]) -> list[Occurrence]:
    """Every stored occurrence (cancelled included) of these series, by series then start."""
    if not series_ids:
        return []
    marks = ", ".join("?" for _ in series_ids)
    rows = await conn.fetchall(
        f"{_OCCURRENCE_SELECT} WHERE o.series_id IN ({marks}) ORDER BY o.series_id, o.original_start",
        list(series_ids),
    )
    return [_occurrence(row) for row in rows]


def _upcoming_where(
    guild_id: int, now: datetime, until: datetime, max_duration: timedelta
) -> tuple[str, list[Any]]:
    # The lower bound on starts_at (nothing lasts longer than max_duration) keeps the scan inside the
    # (guild_id, starts_at) partial index instead of walking every past occurrence.
    return (
        "o.guild_id = ? AND o.status = 'scheduled' "
        "AND o.starts_at >= ? AND o.starts_at < ? AND o.ends_at > ?",
        [guild_id, utc_iso(now - max_duration), utc_iso(until), utc_iso(now)],
    )


# The total of ``/event list``, counted from the (guild_id, starts_at) partial index alone where it can
# be: an occurrence starting at or after ``now`` has not ended (``CHECK (ends_at > starts_at)``), so only
# those that started within ``max_duration`` before ``now`` need their row read for ``ends_at``.
# (``ends_at > ?`` over the whole window would read every row in it, a cost growing with the calendar.)
_COUNT_UPCOMING = (
    "SELECT (SELECT count(*) FROM event_occurrences WHERE guild_id = ? AND status = 'scheduled' "
    "AND starts_at >= ? AND starts_at < ?) "
    "+ (SELECT count(*) FROM event_occurrences WHERE guild_id = ? AND status = 'scheduled' "
    "AND starts_at >= ? AND starts_at < ? AND ends_at > ?)"
)


def _count_upcoming_params(
    guild_id: int, now: datetime, until: datetime, max_duration: timedelta
) -> tuple[Any, ...]:
    started = utc_iso(now - max_duration)
    split = utc_iso(min(now, until))
    return (guild_id, split, utc_iso(until), guild_id, started, split, utc_iso(now))


def upcoming_page(
    conn: sqlite3.Connection,
    guild_id: int,
    now: datetime,
    until: datetime,
    max_duration: timedelta,
    limit: int,
    offset: int,
) -> tuple[list[Occurrence], int]:
    """A page of scheduled occurrences not yet ended, starting before ``until`` (soonest first, with
    their counts), and how many there are in all; for ``Database.read`` (one hand-off, one snapshot)."""
    where, params = _upcoming_where(guild_id, now, until, max_duration)
    rows = conn.execute(
        f"{_OCCURRENCE_SELECT} WHERE {where} ORDER BY o.starts_at, o.id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    total = conn.execute(
        _COUNT_UPCOMING, _count_upcoming_params(guild_id, now, until, max_duration)
    ).fetchone()[0]
    return [_occurrence(row) for row in rows], int(total)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    conn: Queryable, guild_id: int, text: str, now: datetime, max_duration: timedelta, limit: int
) -> list[Occurrence]:
    """Scheduled, not-ended occurrences whose title contains ``text`` or whose UTC date starts with it."""
    escaped = _like_escape(text.strip())
    rows = await conn.fetchall(
        f"{_OCCURRENCE_SELECT} WHERE o.guild_id = ? AND o.status = 'scheduled' "
        "AND o.starts_at >= ? AND o.ends_at > ? "
        "AND (coalesce(o.title, s.title) LIKE ? ESCAPE '\\' OR o.starts_at LIKE ? ESCAPE '\\') "
        "ORDER BY coalesce(o.title, s.title) LIKE ? ESCAPE '\\' DESC, o.starts_at, o.id LIMIT ?",
        (
            guild_id,
            utc_iso(now - max_duration),
            utc_iso(now),
            f"%{escaped}%",
            f"{escaped}%",
            f"{escaped}%",
            limit,
        ),
    )
    return [_occurrence(row) for row in rows]


async def set_occurrence_overrides(tx: Transaction, occurrence_id: int, overrides: dict[str, Any]) -> None:
    """Set per-occurrence overrides (NULL = back to the series' value) and bump its SEQUENCE."""
    await _update_bumping_sequence(tx, "event_occurrences", _OCCURRENCE_OVERRIDES, overrides, occurrence_id)


async def clear_overrides(tx: Transaction, occurrence_ids: Sequence[int], columns: Sequence[str]) -> None:
    """Drop per-occurrence overrides of ``columns`` so the series' new value shows everywhere."""
    unknown = set(columns) - _OCCURRENCE_OVERRIDES
    if unknown:
        raise ValueError(f"not an occurrence override: {sorted(unknown)}")
    if not occurrence_ids or not columns:
        return
    assignments = ", ".join(f"{column} = NULL" for column in columns)
    await tx.executemany(
        f"UPDATE event_occurrences SET {assignments} WHERE id = ?",  # noqa: S608 - allow-listed
        [(occurrence_id,) for occurrence_id in occurrence_ids],
    )


async def freeze_inherited(tx: Transaction, series_id: int, before: datetime, values: dict[str, Any]) -> None:
    """Give the series' occurrences before ``before`` their current inherited ``values`` as overrides,
    so a "from this occurrence on" edit of the series leaves the earlier ones as they were."""
    unknown = set(values) - _OCCURRENCE_OVERRIDES
    if unknown:
        raise ValueError(f"not an occurrence override: {sorted(unknown)}")
    if not values:
        return
    # link NULL on the series is stored as '' on the occurrence: "no link", not "inherit".
    assignments = ", ".join(f"{column} = coalesce({column}, ?)" for column in values)
    params = ["" if column == "link" and value is None else value for column, value in values.items()]
    await tx.execute(
        f"UPDATE event_occurrences SET {assignments} WHERE series_id = ? AND original_start < ?",  # noqa: S608
        [*params, series_id, utc_iso(before)],
    )


async def set_occurrence_times(
    tx: Transaction, occurrence_id: int, starts_at: datetime, ends_at: datetime
) -> None:
    await tx.execute(
        "UPDATE event_occurrences SET starts_at = ?, ends_at = ?, sequence = sequence + 1 WHERE id = ?",
        (utc_iso(starts_at), utc_iso(ends_at), occurrence_id),
    )


async def reanchor_occurrences(tx: Transaction, moves: Sequence[tuple[int, datetime, datetime]]) -> None:
    """Give occurrences new rule starts (and ends) after the series' anchor changed.

    Done in two passes: a new original_start may equal another row's current one, and the
    UNIQUE (series_id, original_start) constraint is checked row by row.
    """
    await tx.executemany(
        "UPDATE event_occurrences SET original_start = 'moving:' || id WHERE id = ?",
        [(occurrence_id,) for occurrence_id, _, _ in moves],
    )
    await tx.executemany(
        "UPDATE event_occurrences SET original_start = ?, starts_at = ?, ends_at = ? WHERE id = ?",
        [
            (utc_iso(start), utc_iso(start), utc_iso(end), occurrence_id)
            for occurrence_id, start, end in moves
        ],
    )


async def delete_cancelled_from(tx: Transaction, series_id: int, original_start: datetime) -> None:
    """Drop a series' cancelled occurrences from ``original_start`` on: after the series is re-anchored
    they belong to a date pattern that no longer exists."""
    await tx.execute(
        "DELETE FROM event_occurrences WHERE series_id = ? AND original_start >= ? AND status = 'cancelled'",
        (series_id, utc_iso(original_start)),
    )


async def cancel_occurrences(tx: Transaction, occurrence_ids: Sequence[int]) -> None:
    await tx.executemany(
        "UPDATE event_occurrences SET status = 'cancelled', sequence = sequence + 1 WHERE id = ?",
        [(occurrence_id,) for occurrence_id in occurrence_ids],
    )


async def set_announcement(tx: Transaction, occurrence_id: int, channel_id: int, message_id: int) -> bool:
    cursor = await tx.execute(
        "UPDATE event_occurrences SET announcement_channel_id = ?, announcement_message_id = ? WHERE id = ?",
        (channel_id, message_id, occurrence_id),
    )
    return cursor.rowcount > 0


async def set_discord_event_id(tx: Transaction, occurrence_id: int, discord_event_id: int | None) -> bool:
    cursor = await tx.execute(
        "UPDATE event_occurrences SET discord_event_id = ? WHERE id = ?", (discord_event_id, occurrence_id)
    )
    return cursor.rowcount > 0


# --- RSVPs and check-ins --------------------------------------------------------------------------


_COUNTS_SQL = "SELECT going, maybe, declined FROM event_rsvp_counts WHERE occurrence_id = ?"
_UPSERT_RSVP_SQL = (
    "INSERT INTO event_rsvps (occurrence_id, user_id, status, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (occurrence_id, user_id) "
    "DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at"
)


def _counts(row: sqlite3.Row | None) -> RsvpCounts:
    return RsvpCounts() if row is None else RsvpCounts(going=row[0], maybe=row[1], declined=row[2])


# For a ``Database.write`` or ``read`` function: an RSVP click is one trip to the database thread.


def occurrence_in(conn: sqlite3.Connection, occurrence_id: int) -> Occurrence | None:
    row = conn.execute(f"{_OCCURRENCE_SELECT} WHERE o.id = ?", (occurrence_id,)).fetchone()
    return None if row is None else _occurrence(row)


def upsert_rsvp_in(
    conn: sqlite3.Connection, occurrence_id: int, user_id: int, status: str, now: datetime
) -> None:
    conn.execute(_UPSERT_RSVP_SQL, (occurrence_id, user_id, status, utc_iso(now)))


def counts_in(conn: sqlite3.Connection, occurrence_id: int) -> RsvpCounts:
    return _counts(conn.execute(_COUNTS_SQL, (occurrence_id,)).fetchone())


async def rsvps(conn: Queryable, occurrence_id: int) -> list[Rsvp]:
    rows = await conn.fetchall(
        "SELECT user_id, status, updated_at FROM event_rsvps WHERE occurrence_id = ? "
        "ORDER BY CASE status WHEN 'going' THEN 0 WHEN 'maybe' THEN 1 ELSE 2 END, updated_at, user_id",
        (occurrence_id,),
    )
    return [Rsvp(row["user_id"], row["status"], from_iso(row["updated_at"])) for row in rows]


async def user_ids_answering(
    conn: Queryable, occurrence_ids: Sequence[int], statuses: Sequence[str]
) -> list[int]:
    """Distinct members whose answer to any of these occurrences is one of ``statuses``."""
    if not occurrence_ids:
        return []
    occ_marks = ", ".join("?" for _ in occurrence_ids)
    status_marks = ", ".join("?" for _ in statuses)
    rows = await conn.fetchall(
        f"SELECT DISTINCT user_id FROM event_rsvps WHERE occurrence_id IN ({occ_marks}) "  # noqa: S608
        f"AND status IN ({status_marks}) ORDER BY user_id",
        [*occurrence_ids, *statuses],
    )
    return [int(row[0]) for row in rows]


async def insert_check_in(tx: Transaction, occurrence_id: int, user_id: int, now: datetime) -> bool:
    """Record a check-in; False when the member had already checked in (the first time is kept)."""
    row = await tx.fetchone(
        "INSERT INTO event_check_ins (occurrence_id, user_id, checked_in_at) VALUES (?, ?, ?) "
        "ON CONFLICT (occurrence_id, user_id) DO NOTHING RETURNING 1",
        (occurrence_id, user_id, utc_iso(now)),
    )
    return row is not None


async def get_check_in(conn: Queryable, occurrence_id: int, user_id: int) -> CheckIn | None:
    value = await conn.fetchval(
        "SELECT checked_in_at FROM event_check_ins WHERE occurrence_id = ? AND user_id = ?",
        (occurrence_id, user_id),
    )
    return None if value is None else CheckIn(user_id, from_iso(value))


async def check_ins(conn: Queryable, occurrence_id: int) -> list[CheckIn]:
    rows = await conn.fetchall(
        "SELECT user_id, checked_in_at FROM event_check_ins WHERE occurrence_id = ? "
        "ORDER BY checked_in_at, user_id",
        (occurrence_id,),
    )
    return [CheckIn(row["user_id"], from_iso(row["checked_in_at"])) for row in rows]


async def count_check_ins(conn: Queryable, occurrence_id: int) -> int:
    return int(
        await conn.fetchval("SELECT count(*) FROM event_check_ins WHERE occurrence_id = ?", (occurrence_id,))
    )


# --- reminder delivery logs -----------------------------------------------------------------------


async def reminder_post(conn: Queryable, occurrence_id: int, lead_seconds: int) -> tuple[bool, int | None]:
    """(already posted?, message id) for the channel reminder of (occurrence, lead)."""
    row = await conn.fetchone(
        "SELECT channel_message_id FROM event_reminder_deliveries "
        "WHERE occurrence_id = ? AND lead_seconds = ?",
        (occurrence_id, lead_seconds),
    )
    return (False, None) if row is None else (True, row[0])


async def record_reminder_post(
    tx: Transaction, occurrence_id: int, lead_seconds: int, channel_message_id: int | None, now: datetime
) -> None:
    await tx.execute(
        "INSERT INTO event_reminder_deliveries (occurrence_id, lead_seconds, channel_message_id, sent_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (occurrence_id, lead_seconds) DO NOTHING",
        (occurrence_id, lead_seconds, channel_message_id, utc_iso(now)),
    )


async def pending_dm_recipients(
    conn: Queryable, occurrence_id: int, guild_id: int, lead_seconds: int
) -> list[int]:
    """Members going or maybe, with reminder DMs on (the default), not yet DM'd for this reminder."""
    rows = await conn.fetchall(
        "SELECT r.user_id FROM event_rsvps r "
        "LEFT JOIN member_settings m ON m.guild_id = ? AND m.user_id = r.user_id "
        "WHERE r.occurrence_id = ? AND r.status IN ('going', 'maybe') AND coalesce(m.dm_reminders, 1) = 1 "
        "AND NOT EXISTS (SELECT 1 FROM event_reminder_dms d WHERE d.occurrence_id = r.occurrence_id "
        "                AND d.lead_seconds = ? AND d.user_id = r.user_id) "
        "ORDER BY r.user_id",
        (guild_id, occurrence_id, lead_seconds),
    )
    return [int(row[0]) for row in rows]


async def record_dm(
    tx: Transaction, occurrence_id: int, lead_seconds: int, user_id: int, status: str, now: datetime
) -> None:
    await tx.execute(
        "INSERT INTO event_reminder_dms (occurrence_id, lead_seconds, user_id, status, recorded_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (occurrence_id, lead_seconds, user_id) DO NOTHING",
        (occurrence_id, lead_seconds, user_id, status, utc_iso(now)),
    )


async def next_per_audience(conn: Queryable, guild_id: int, now: datetime) -> list[Occurrence]:
    """For each audience role of the guild's active series, its next scheduled, not-ended occurrence."""
    rows = await conn.fetchall(
        f"{_OCCURRENCE_SELECT} WHERE o.id IN ("  # noqa: S608 - fixed SQL
        "  SELECT (SELECT o2.id FROM event_occurrences o2 JOIN event_series s2 ON s2.id = o2.series_id"
        "          WHERE s2.audience_role_id = a.role AND s2.guild_id = ? AND s2.status = 'active'"
        "            AND o2.status = 'scheduled' AND o2.ends_at > ? ORDER BY o2.starts_at LIMIT 1)"
        "  FROM (SELECT DISTINCT audience_role_id AS role FROM event_series"
        "        WHERE guild_id = ? AND status = 'active' AND audience_role_id IS NOT NULL) a"
        ") ORDER BY o.starts_at",
        (guild_id, utc_iso(now), guild_id),
    )
    return [_occurrence(row) for row in rows]


# --- notices of edits and cancellations -------------------------------------------------------------


class Notice(msgspec.Struct, frozen=True):
    """What an edit or a cancellation tells people: ``kind`` "changed" (DMs) or "cancelled" (a post
    in the channel and DMs); ``posted`` once the channel post is done or found impossible."""

    id: int
    occurrence_id: int
    kind: str
    series_count: int | None
    created_at: datetime
    posted: bool
    channel_message_id: int | None


async def insert_notice(
    tx: Transaction,
    occurrence_id: int,
    kind: str,
    series_count: int | None,
    user_ids: Sequence[int],
    now: datetime,
    *,
    post: bool,
) -> int:
    """A notice and its recipients (each "pending"); without ``post`` there is no channel post to make."""
    stamp = utc_iso(now)
    row = await tx.fetchone(
        "INSERT INTO event_notices (occurrence_id, kind, series_count, created_at, posted_at) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        (occurrence_id, kind, series_count, stamp, None if post else stamp),
    )
    assert row is not None
    notice_id = int(row[0])
    await tx.executemany(
        "INSERT INTO event_notice_dms (notice_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(notice_id, user_id) for user_id in user_ids],
    )
    return notice_id


async def get_notice(conn: Queryable, notice_id: int) -> Notice | None:
    row = await conn.fetchone(
        "SELECT id, occurrence_id, kind, series_count, created_at, posted_at, channel_message_id "
        "FROM event_notices WHERE id = ?",
        (notice_id,),
    )
    if row is None:
        return None
    return Notice(
        id=row["id"],
        occurrence_id=row["occurrence_id"],
        kind=row["kind"],
        series_count=row["series_count"],
        created_at=from_iso(row["created_at"]),
        posted=row["posted_at"] is not None,
        channel_message_id=row["channel_message_id"],
    )


async def record_notice_post(
    tx: Transaction, notice_id: int, channel_message_id: int | None, now: datetime
) -> None:
    """The channel post of a notice is done (``None``: it could not be made); the first record wins."""
    await tx.execute(
        "UPDATE event_notices SET posted_at = ?, channel_message_id = ? WHERE id = ? AND posted_at IS NULL",
        (utc_iso(now), channel_message_id, notice_id),
    )


async def notice_recipients(conn: Queryable, notice_id: int, status: str) -> list[int]:
    """The members of a notice with this DM status, in id order (the order they are DM'd in)."""
    rows = await conn.fetchall(
        "SELECT user_id FROM event_notice_dms WHERE notice_id = ? AND status = ? ORDER BY user_id",
        (notice_id, status),
    )
    return [int(row[0]) for row in rows]


async def record_notice_dm(tx: Transaction, notice_id: int, user_id: int, status: str, now: datetime) -> None:
    """One member's DM of a notice: "sent" or "skipped_closed"; only a pending one is updated."""
    await tx.execute(
        "UPDATE event_notice_dms SET status = ?, recorded_at = ? "
        "WHERE notice_id = ? AND user_id = ? AND status = 'pending'",
        (status, utc_iso(now), notice_id, user_id),
    )
