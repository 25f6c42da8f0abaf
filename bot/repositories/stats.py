"""Read-only SQL for /stats and the newsletter: figures over a window of time from the events,
consultations, working-groups, directory and engagement tables.

Functions of a ``sqlite3.Connection`` (rows with ``sqlite3.Row``), so the bot runs a report in one
``db.read(fn)`` hand-off and one snapshot, and the newsletter's command line runs the same functions
on a read-only connection (``bot.cli._common.open_read_only``) without starting the database layer.
Each query reads through an index on the guild and a time column.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

import msgspec

from bot.timeutil import from_iso, utc_iso


class EventFigures(msgspec.Struct, frozen=True):
    occurrence_id: int
    series_id: int
    title: str
    series_title: str
    starts_at: datetime
    going: int
    checked_in: int
    has_link: bool
    clickers: int  # unique members who opened the meeting link through its button
    clicks: int
    recurrence: str


class PollFigures(msgspec.Struct, frozen=True):
    id: int
    question: str
    voters: str
    closed_at: datetime
    ballots: int
    eligible: dict[str, object] | None  # organisation mode: registered at the close


class OrganisationTurnout(msgspec.Struct, frozen=True):
    organisation_id: int
    name: str
    country: str
    region: str
    answered: int  # consultations of the window it answered


class GroupActivity(msgspec.Struct, frozen=True):
    group_id: int
    key: str
    name: str  # JSON texts {"en": ...}
    status: str
    updates: int
    summaries: int
    deliverables: int
    status_changes: int
    initiatives: int


def events_ended(
    conn: sqlite3.Connection, guild_id: int, start: datetime, end: datetime, max_duration: timedelta
) -> list[EventFigures]:
    """Scheduled occurrences that ended in [start, end), oldest first, with RSVPs, check-ins and the
    meeting link's clicks. The lower bound on ``starts_at`` keeps the scan in the guild's index."""
    rows = conn.execute(
        "SELECT o.id, o.series_id, coalesce(o.title, s.title) AS title, s.title AS series_title,"
        " o.starts_at, s.recurrence, coalesce(c.going, 0) AS going,"
        " (SELECT count(*) FROM event_check_ins i WHERE i.occurrence_id = o.id) AS checked_in,"
        " (SELECT count(*) FROM event_link_clicks k WHERE k.occurrence_id = o.id) AS clickers,"
        " (SELECT coalesce(sum(k.clicks), 0) FROM event_link_clicks k"
        "   WHERE k.occurrence_id = o.id) AS clicks,"
        " CASE WHEN o.link IS NULL THEN s.link IS NOT NULL ELSE o.link != '' END AS has_link"
        " FROM event_occurrences o JOIN event_series s ON s.id = o.series_id"
        " LEFT JOIN event_rsvp_counts c ON c.occurrence_id = o.id"
        " WHERE o.guild_id = ? AND o.status = 'scheduled' AND o.starts_at >= ? AND o.starts_at < ?"
        " AND o.ends_at >= ? AND o.ends_at <= ? ORDER BY o.starts_at, o.id",
        (guild_id, utc_iso(start - max_duration), utc_iso(end), utc_iso(start), utc_iso(end)),
    ).fetchall()
    return [
        EventFigures(
            occurrence_id=int(row["id"]),
            series_id=int(row["series_id"]),
            title=str(row["title"]),
            series_title=str(row["series_title"]),
            starts_at=from_iso(row["starts_at"]),
            going=int(row["going"]),
            checked_in=int(row["checked_in"]),
            has_link=bool(row["has_link"]),
            clickers=int(row["clickers"]),
            clicks=int(row["clicks"]),
            recurrence=str(row["recurrence"]),
        )
        for row in rows
    ]


def polls_closed(
    conn: sqlite3.Connection, guild_id: int, start: datetime, end: datetime
) -> list[PollFigures]:
    rows = conn.execute(
        "SELECT id, question, voters, closed_at, ballot_count, eligible FROM polls"
        " WHERE guild_id = ? AND status = 'closed' AND closed_at >= ? AND closed_at < ?"
        " ORDER BY closed_at, id",
        (guild_id, utc_iso(start), utc_iso(end)),
    ).fetchall()
    return [
        PollFigures(
            id=int(row["id"]),
            question=str(row["question"]),
            voters=str(row["voters"]),
            closed_at=from_iso(row["closed_at"]),
            ballots=int(row["ballot_count"]),
            eligible=None if row["eligible"] is None else dict(json.loads(row["eligible"])),
        )
        for row in rows
    ]


def organisation_turnout(conn: sqlite3.Connection, poll_ids: list[int]) -> list[OrganisationTurnout]:
    """How many of these consultations each organisation answered (organisations that answered none
    are the registered ones less these)."""
    if not poll_ids:
        return []
    marks = ", ".join("?" for _ in poll_ids)
    # Counted in the ballots' (poll_id, organisation_id) index first, then joined to the few hundred
    # organisations: a join per ballot first was a third slower over a year of consultations.
    rows = conn.execute(
        "SELECT o.id, o.name, o.country, o.region, a.answered FROM ("  # noqa: S608
        "SELECT organisation_id, count(*) AS answered FROM poll_ballots"
        f" WHERE poll_id IN ({marks}) AND organisation_id IS NOT NULL GROUP BY organisation_id"
        ") AS a JOIN organisations o ON o.id = a.organisation_id ORDER BY a.answered DESC, o.name_key, o.id",
        tuple(poll_ids),
    ).fetchall()
    return [
        OrganisationTurnout(
            organisation_id=int(row["id"]),
            name=str(row["name"]),
            country=str(row["country"]),
            region=str(row["region"]),
            answered=int(row["answered"]),
        )
        for row in rows
    ]


def group_activity(
    conn: sqlite3.Connection, guild_id: int, start: datetime, end: datetime
) -> list[GroupActivity]:
    """Every group not archived, with what it recorded in [start, end) (moderators see private
    groups' figures too: counts, never their contents)."""
    window = (utc_iso(start), utc_iso(end))
    rows = conn.execute(
        "SELECT g.id, g.key, g.name, g.status,"
        " (SELECT count(*) FROM wg_posts p WHERE p.group_id = g.id AND p.kind = 'update'"
        "   AND p.created_at >= ? AND p.created_at < ?) AS updates,"
        " (SELECT count(*) FROM wg_posts p WHERE p.group_id = g.id AND p.kind = 'summary'"
        "   AND p.created_at >= ? AND p.created_at < ?) AS summaries,"
        " (SELECT count(*) FROM wg_deliverables d WHERE d.group_id = g.id"
        "   AND d.updated_at >= ? AND d.updated_at < ?) AS deliverables,"
        " (SELECT count(*) FROM wg_status_history h WHERE h.group_id = g.id"
        "   AND h.changed_at >= ? AND h.changed_at < ?) AS status_changes,"
        " (SELECT count(*) FROM wg_initiatives x WHERE x.group_id = g.id AND x.status = 'approved'"
        "   AND x.decided_at >= ? AND x.decided_at < ?) AS initiatives"
        " FROM wg_groups g WHERE g.guild_id = ? AND g.archived_at IS NULL ORDER BY g.key",
        (*window, *window, *window, *window, *window, guild_id),
    ).fetchall()
    return [
        GroupActivity(
            group_id=int(row["id"]),
            key=str(row["key"]),
            name=str(row["name"]),
            status=str(row["status"]),
            updates=int(row["updates"]),
            summaries=int(row["summaries"]),
            deliverables=int(row["deliverables"]),
            status_changes=int(row["status_changes"]),
            initiatives=int(row["initiatives"]),
        )
        for row in rows
    ]


def organisations_created(
    conn: sqlite3.Connection, guild_id: int, start: datetime, end: datetime
) -> list[datetime]:
    rows = conn.execute(
        "SELECT created_at FROM organisations WHERE guild_id = ? AND created_at >= ? AND created_at < ?"
        " ORDER BY created_at",
        (guild_id, utc_iso(start), utc_iso(end)),
    )
    return [from_iso(row[0]) for row in rows]


def members_verified(
    conn: sqlite3.Connection, guild_id: int, start: datetime, end: datetime
) -> list[datetime]:
    rows = conn.execute(
        "SELECT verified_at FROM organisation_members WHERE guild_id = ? AND verified_at >= ?"
        " AND verified_at < ? ORDER BY verified_at",
        (guild_id, utc_iso(start), utc_iso(end)),
    )
    return [from_iso(row[0]) for row in rows]


def member_events(
    conn: sqlite3.Connection, guild_id: int, start: datetime, end: datetime
) -> list[tuple[str, datetime]]:
    rows = conn.execute(
        "SELECT kind, at FROM guild_member_events WHERE guild_id = ? AND at >= ? AND at < ? ORDER BY at, id",
        (guild_id, utc_iso(start), utc_iso(end)),
    )
    return [(str(row[0]), from_iso(row[1])) for row in rows]


def totals(conn: sqlite3.Connection, guild_id: int, at: datetime) -> tuple[int, int]:
    """(active organisations, verified members of organisations) as of ``at``."""
    organisations = conn.execute(
        "SELECT count(*) FROM organisations WHERE guild_id = ? AND created_at < ?"
        " AND (archived_at IS NULL OR archived_at >= ?)",
        (guild_id, utc_iso(at), utc_iso(at)),
    ).fetchone()[0]
    members = conn.execute(
        "SELECT count(*) FROM organisation_members WHERE guild_id = ? AND verified_at < ?",
        (guild_id, utc_iso(at)),
    ).fetchone()[0]
    return int(organisations), int(members)


# --- what the newsletter adds ------------------------------------------------------------------------


class GroupPost(msgspec.Struct, frozen=True):
    group_id: int
    group_name: str  # JSON texts
    kind: str  # update | summary
    title: str | None
    body: str
    occurrence_id: int | None
    created_at: datetime


class Upcoming(msgspec.Struct, frozen=True):
    occurrence_id: int
    title: str
    starts_at: datetime


def public_posts(conn: sqlite3.Connection, guild_id: int, start: datetime, end: datetime) -> list[GroupPost]:
    """Progress updates and meeting notes of public groups in [start, end): the newsletter is public."""
    rows = conn.execute(
        "SELECT p.group_id, g.name, p.kind, p.title, p.body, p.occurrence_id, p.created_at FROM wg_posts p"
        " JOIN wg_groups g ON g.id = p.group_id WHERE g.guild_id = ? AND g.visibility = 'public'"
        " AND g.archived_at IS NULL AND p.created_at >= ? AND p.created_at < ?"
        " ORDER BY g.key, p.created_at, p.id",
        (guild_id, utc_iso(start), utc_iso(end)),
    ).fetchall()
    return [
        GroupPost(
            group_id=int(row[0]),
            group_name=str(row[1]),
            kind=str(row[2]),
            title=row[3],
            body=str(row[4]),
            occurrence_id=row[5],
            created_at=from_iso(row[6]),
        )
        for row in rows
    ]


def upcoming(
    conn: sqlite3.Connection, guild_id: int, start: datetime, end: datetime, limit: int
) -> list[Upcoming]:
    rows = conn.execute(
        "SELECT o.id, coalesce(o.title, s.title), o.starts_at FROM event_occurrences o"
        " JOIN event_series s ON s.id = o.series_id WHERE o.guild_id = ? AND o.status = 'scheduled'"
        " AND o.starts_at >= ? AND o.starts_at < ? ORDER BY o.starts_at, o.id LIMIT ?",
        (guild_id, utc_iso(start), utc_iso(end), limit),
    ).fetchall()
    return [Upcoming(int(row[0]), str(row[1]), from_iso(row[2])) for row in rows]


def new_organisations(
    conn: sqlite3.Connection, guild_id: int, start: datetime, end: datetime
) -> list[tuple[str, str, str]]:
    """(name, country, website) of the active organisations added in [start, end)."""
    rows = conn.execute(
        "SELECT name, country, website FROM organisations WHERE guild_id = ? AND status = 'active'"
        " AND created_at >= ? AND created_at < ? ORDER BY created_at, id",
        (guild_id, utc_iso(start), utc_iso(end)),
    ).fetchall()
    return [(str(row[0]), str(row[1]), str(row[2])) for row in rows]
