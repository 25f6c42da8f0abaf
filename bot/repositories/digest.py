"""SQL for the weekly digest: the week rows, the parts of a week's channel post, subscriptions and DM
deliveries; and the read-only summaries the digest's sections are built from.

The summaries read other features' tables (events, working groups, the directory) for one window of
time, one query each: they are what the digest shows, not part of those aggregates' own life cycle,
so they live here rather than widening every other repository with a query only the digest runs.
Each reads through an index on its time column or on the guild, so a digest costs a handful of
small reads however old the bot is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec

from bot.db import Queryable, Transaction
from bot.repositories.working_groups.groups import Texts, texts
from bot.timeutil import from_iso, utc_iso


class Week(msgspec.Struct, frozen=True):
    guild_id: int
    week: str  # ISO week in the digest's zone, "2027-W09"
    status: str  # "sent" or "skipped"
    trigger: str  # "schedule" or "moderator"
    actor_id: int | None
    scheduled_for: datetime | None
    since: datetime
    until: datetime
    created_at: datetime


class Part(msgspec.Struct, frozen=True):
    part: int
    language: str
    body: str  # JSON: the part's embeds
    channel_id: int | None
    message_id: int | None


class Delivery(msgspec.Struct, frozen=True):
    user_id: int
    parts_sent: int
    started_at: datetime | None


# --- weeks ------------------------------------------------------------------------------------------


def _week(r: sqlite3.Row) -> Week:
    return Week(
        guild_id=int(r["guild_id"]),
        week=str(r["week"]),
        status=str(r["status"]),
        trigger=str(r["trigger"]),
        actor_id=r["actor_id"],
        scheduled_for=None if r["scheduled_for"] is None else from_iso(r["scheduled_for"]),
        since=from_iso(r["since"]),
        until=from_iso(r["until"]),
        created_at=from_iso(r["created_at"]),
    )


async def get_week(conn: Queryable, guild_id: int, week: str) -> Week | None:
    row = await conn.fetchone("SELECT * FROM digest_weeks WHERE guild_id = ? AND week = ?", (guild_id, week))
    return None if row is None else _week(row)


async def last_until(conn: Queryable, guild_id: int) -> datetime | None:
    """The end of the window of the last digest sent in this server: the next one starts there."""
    value = await conn.fetchval(
        "SELECT max(until) FROM digest_weeks WHERE guild_id = ? AND status = 'sent'", (guild_id,)
    )
    return None if value is None else from_iso(value)


async def claim_week(
    tx: Transaction,
    guild_id: int,
    week: str,
    *,
    status: str,
    trigger: str,
    actor_id: int | None,
    scheduled_for: datetime | None,
    since: datetime,
    until: datetime,
    now: datetime,
) -> bool:
    """Write the week's row; False when the week already has one (sent, or skipped): the row is the
    guard against a second digest in the same week, whoever asks and however often the bot restarts."""
    result = await tx.execute(
        "INSERT INTO digest_weeks (guild_id, week, status, trigger, actor_id, scheduled_for, since, until, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, week) DO NOTHING",
        (
            guild_id,
            week,
            status,
            trigger,
            actor_id,
            None if scheduled_for is None else utc_iso(scheduled_for),
            utc_iso(since),
            utc_iso(until),
            utc_iso(now),
        ),
    )
    return bool(result.rowcount)


# --- parts of the channel post -----------------------------------------------------------------------


async def parts(conn: Queryable, guild_id: int, week: str) -> list[Part]:
    rows = await conn.fetchall(
        "SELECT part, language, body, channel_id, message_id FROM digest_parts "
        "WHERE guild_id = ? AND week = ? ORDER BY part",
        (guild_id, week),
    )
    return [
        Part(
            part=int(row["part"]),
            language=str(row["language"]),
            body=str(row["body"]),
            channel_id=row["channel_id"],
            message_id=row["message_id"],
        )
        for row in rows
    ]


async def store_parts(
    tx: Transaction, guild_id: int, week: str, language: str, bodies: Sequence[str]
) -> bool:
    """Keep the week's rendered parts, unless an earlier attempt already did (its parts win)."""
    if await tx.fetchval(
        "SELECT 1 FROM digest_parts WHERE guild_id = ? AND week = ? LIMIT 1", (guild_id, week)
    ):
        return False
    for index, body in enumerate(bodies):
        await tx.execute(
            "INSERT INTO digest_parts (guild_id, week, part, language, body) VALUES (?, ?, ?, ?, ?)",
            (guild_id, week, index, language, body),
        )
    return True


async def post_complete(conn: Queryable, guild_id: int, week: str) -> bool:
    """Whether the week's channel post is laid out and every part of it posted."""
    row = await conn.fetchone(
        "SELECT count(*) AS parts, count(message_id) AS posted FROM digest_parts "
        "WHERE guild_id = ? AND week = ?",
        (guild_id, week),
    )
    return row is not None and int(row["parts"]) > 0 and int(row["parts"]) == int(row["posted"])


async def record_part(
    tx: Transaction, guild_id: int, week: str, part: int, channel_id: int, message_id: int, now: datetime
) -> None:
    await tx.execute(
        "UPDATE digest_parts SET channel_id = ?, message_id = ?, posted_at = ? "
        "WHERE guild_id = ? AND week = ? AND part = ? AND message_id IS NULL",
        (channel_id, message_id, utc_iso(now), guild_id, week, part),
    )


# --- subscriptions and deliveries ----------------------------------------------------------------------


async def subscribe(tx: Transaction, guild_id: int, user_id: int, now: datetime) -> bool:
    result = await tx.execute(
        "INSERT INTO digest_subscriptions (guild_id, user_id, subscribed_at) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO NOTHING",
        (guild_id, user_id, utc_iso(now)),
    )
    return bool(result.rowcount)


async def unsubscribe(tx: Transaction, guild_id: int, user_id: int) -> bool:
    result = await tx.execute(
        "DELETE FROM digest_subscriptions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    return bool(result.rowcount)


async def is_subscribed(conn: Queryable, guild_id: int, user_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM digest_subscriptions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
    )


async def add_deliveries(tx: Transaction, guild_id: int, week: str) -> int:
    """One pending delivery per current subscriber, in subscription order; how many."""
    result = await tx.execute(
        "INSERT INTO digest_deliveries (guild_id, week, user_id) "
        "SELECT guild_id, ?, user_id FROM digest_subscriptions WHERE guild_id = ? "
        "ORDER BY subscribed_at, user_id ON CONFLICT DO NOTHING",
        (week, guild_id),
    )
    return int(result.rowcount)


async def pending_deliveries(conn: Queryable, guild_id: int, week: str) -> list[Delivery]:
    rows = await conn.fetchall(
        # Those an interrupted run had started come first: their DM channels are checked before sending.
        "SELECT user_id, parts_sent, started_at FROM digest_deliveries "
        "WHERE guild_id = ? AND week = ? AND status = 'pending' ORDER BY started_at IS NULL, user_id",
        (guild_id, week),
    )
    return [
        Delivery(
            user_id=int(row["user_id"]),
            parts_sent=int(row["parts_sent"]),
            started_at=None if row["started_at"] is None else from_iso(row["started_at"]),
        )
        for row in rows
    ]


async def start_delivery(tx: Transaction, guild_id: int, week: str, user_id: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE digest_deliveries SET started_at = coalesce(started_at, ?) "
        "WHERE guild_id = ? AND week = ? AND user_id = ?",
        (utc_iso(now), guild_id, week, user_id),
    )


async def record_delivery(
    tx: Transaction, guild_id: int, week: str, user_id: int, *, parts_sent: int, status: str, now: datetime
) -> None:
    await tx.execute(
        "UPDATE digest_deliveries SET parts_sent = max(parts_sent, ?), status = ?, recorded_at = ? "
        "WHERE guild_id = ? AND week = ? AND user_id = ? AND status = 'pending'",
        (parts_sent, status, utc_iso(now), guild_id, week, user_id),
    )


async def delivery_counts(conn: Queryable, guild_id: int, week: str) -> dict[str, int]:
    rows = await conn.fetchall(
        "SELECT status, count(*) AS n FROM digest_deliveries WHERE guild_id = ? AND week = ? GROUP BY status",
        (guild_id, week),
    )
    return {str(row["status"]): int(row["n"]) for row in rows}


# --- what the sections show ---------------------------------------------------------------------------


class Attendance(msgspec.Struct, frozen=True):
    occurrence_id: int
    title: str
    starts_at: datetime
    going: int
    checked_in: int


class StatusChangeRow(msgspec.Struct, frozen=True):
    group_id: int
    status: str
    changed_at: datetime


class DeliverableRow(msgspec.Struct, frozen=True):
    group_id: int
    title: Texts
    status: str
    link: str | None
    created: bool  # added in the window (else changed)


class PostRow(msgspec.Struct, frozen=True):
    group_id: int
    kind: str  # "update" or "summary"
    title: str | None
    body: str
    created_at: datetime
    channel_id: int | None
    message_id: int | None


class InitiativeRow(msgspec.Struct, frozen=True):
    group_id: int
    title: str
    organisation: str
    link: str | None


class GroupRow(msgspec.Struct, frozen=True):
    id: int
    key: str
    name: Texts


class NewOrganisation(msgspec.Struct, frozen=True):
    id: int
    name: str
    country: str
    website: str


class NewLeader(msgspec.Struct, frozen=True):
    user_id: int
    standing: str
    organisation: str


async def attendance(
    conn: Queryable, guild_id: int, since: datetime, until: datetime, max_duration: timedelta
) -> list[Attendance]:
    """Dates that ended in [since, until): RSVP "going" against check-ins. The lower bound on
    ``starts_at`` keeps the scan in the (guild_id, starts_at) index."""
    rows = await conn.fetchall(
        "SELECT o.id, coalesce(o.title, s.title) AS title, o.starts_at, coalesce(c.going, 0) AS going, "
        "(SELECT count(*) FROM event_check_ins i WHERE i.occurrence_id = o.id) AS checked_in "
        "FROM event_occurrences o JOIN event_series s ON s.id = o.series_id "
        "LEFT JOIN event_rsvp_counts c ON c.occurrence_id = o.id "
        "WHERE o.guild_id = ? AND o.status = 'scheduled' AND o.starts_at >= ? AND o.starts_at < ? "
        "AND o.ends_at >= ? AND o.ends_at < ? ORDER BY o.starts_at, o.id",
        (guild_id, utc_iso(since - max_duration), utc_iso(until), utc_iso(since), utc_iso(until)),
    )
    return [
        Attendance(
            occurrence_id=int(row["id"]),
            title=str(row["title"]),
            starts_at=from_iso(row["starts_at"]),
            going=int(row["going"]),
            checked_in=int(row["checked_in"]),
        )
        for row in rows
    ]


async def public_groups(conn: Queryable, guild_id: int) -> list[GroupRow]:
    """The groups whose work a public digest may show: public, not archived (a private group's work is
    for its members only)."""
    rows = await conn.fetchall(
        "SELECT id, key, name FROM wg_groups WHERE guild_id = ? AND visibility = 'public' "
        "AND archived_at IS NULL ORDER BY key",
        (guild_id,),
    )
    return [GroupRow(id=int(row["id"]), key=str(row["key"]), name=texts(row["name"])) for row in rows]


# The four reads below join the groups a public digest may show: a private group's work is for its
# members only, an archived group has no news. Each reads the first ``per_group`` rows of each group
# (the digest shows a few and counts the rest) and returns them with every group's count in the
# window, so a busy week costs what the digest shows, not what the groups wrote. Each group's rows
# are found through its table's (group_id, ...) index and numbered there; the posts and initiatives
# are read whole (their bodies, titles) only for those shown, the posts counted from the index alone.


def _counts(rows: list[sqlite3.Row]) -> dict[int, int]:
    return {int(row["group_id"]): int(row["in_window"]) for row in rows}


async def status_changes(
    conn: Queryable, guild_id: int, since: datetime, until: datetime, *, per_group: int
) -> tuple[list[StatusChangeRow], dict[int, int]]:
    rows = await conn.fetchall(
        "SELECT group_id, status, changed_at, in_window FROM ("
        " SELECT x.id, x.group_id, x.status, x.changed_at,"
        "  row_number() OVER (PARTITION BY x.group_id ORDER BY x.id) AS n,"
        "  count(*) OVER (PARTITION BY x.group_id) AS in_window"
        " FROM wg_status_history x JOIN wg_groups g ON g.id = x.group_id"
        " WHERE g.guild_id = ? AND g.visibility = 'public' AND g.archived_at IS NULL"
        " AND x.changed_at >= ? AND x.changed_at < ?"
        ") WHERE n <= ? ORDER BY group_id, id",
        (guild_id, utc_iso(since), utc_iso(until), per_group),
    )
    return [
        StatusChangeRow(
            group_id=int(row["group_id"]), status=str(row["status"]), changed_at=from_iso(row["changed_at"])
        )
        for row in rows
    ], _counts(rows)


async def deliverable_changes(
    conn: Queryable, guild_id: int, since: datetime, until: datetime, *, per_group: int
) -> tuple[list[DeliverableRow], dict[int, int]]:
    rows = await conn.fetchall(
        "SELECT group_id, title, status, link, created, in_window FROM ("
        " SELECT x.id, x.group_id, x.title, x.status, x.link, x.created_at >= ? AS created,"
        "  row_number() OVER (PARTITION BY x.group_id ORDER BY x.id) AS n,"
        "  count(*) OVER (PARTITION BY x.group_id) AS in_window"
        " FROM wg_deliverables x JOIN wg_groups g ON g.id = x.group_id"
        " WHERE g.guild_id = ? AND g.visibility = 'public' AND g.archived_at IS NULL"
        " AND x.updated_at >= ? AND x.updated_at < ?"
        ") WHERE n <= ? ORDER BY group_id, id",
        (utc_iso(since), guild_id, utc_iso(since), utc_iso(until), per_group),
    )
    return [
        DeliverableRow(
            group_id=int(row["group_id"]),
            title=texts(row["title"]),
            status=str(row["status"]),
            link=row["link"],
            created=bool(row["created"]),
        )
        for row in rows
    ], _counts(rows)


async def posts(
    conn: Queryable, guild_id: int, since: datetime, until: datetime, *, per_group: int
) -> tuple[list[PostRow], dict[int, int]]:
    """Progress updates and meeting notes written in the window: numbered over the (group_id, kind,
    created_at) index, then the bodies of those shown."""
    rows = await conn.fetchall(
        "SELECT x.group_id, x.kind, x.title, x.body, x.created_at, x.channel_id, x.message_id, r.in_window"
        " FROM ("
        "  SELECT p.id, row_number() OVER (PARTITION BY p.group_id ORDER BY p.created_at, p.id) AS n,"
        "   count(*) OVER (PARTITION BY p.group_id) AS in_window"
        "  FROM wg_posts p JOIN wg_groups g ON g.id = p.group_id"
        "  WHERE g.guild_id = ? AND g.visibility = 'public' AND g.archived_at IS NULL"
        "  AND p.kind IN ('update', 'summary') AND p.created_at >= ? AND p.created_at < ?"
        " ) AS r JOIN wg_posts x ON x.id = r.id"
        " WHERE r.n <= ? ORDER BY x.group_id, x.created_at, x.id",
        (guild_id, utc_iso(since), utc_iso(until), per_group),
    )
    return [
        PostRow(
            group_id=int(row["group_id"]),
            kind=str(row["kind"]),
            title=row["title"],
            body=str(row["body"]),
            created_at=from_iso(row["created_at"]),
            channel_id=row["channel_id"],
            message_id=row["message_id"],
        )
        for row in rows
    ], _counts(rows)


async def new_initiatives(
    conn: Queryable, guild_id: int, since: datetime, until: datetime, *, per_group: int
) -> tuple[list[InitiativeRow], dict[int, int]]:
    """Initiatives approved into a group's index in the window (pending ones are not public yet)."""
    rows = await conn.fetchall(
        "SELECT x.group_id, x.title, x.organisation, x.link, r.in_window FROM ("
        "  SELECT i.id, row_number() OVER (PARTITION BY i.group_id ORDER BY i.decided_at, i.id) AS n,"
        "   count(*) OVER (PARTITION BY i.group_id) AS in_window"
        "  FROM wg_initiatives i JOIN wg_groups g ON g.id = i.group_id"
        "  WHERE g.guild_id = ? AND g.visibility = 'public' AND g.archived_at IS NULL"
        "  AND i.status = 'approved' AND i.decided_at >= ? AND i.decided_at < ?"
        " ) AS r JOIN wg_initiatives x ON x.id = r.id"
        " WHERE r.n <= ? ORDER BY x.group_id, x.decided_at, x.id",
        (guild_id, utc_iso(since), utc_iso(until), per_group),
    )
    return [
        InitiativeRow(
            group_id=int(row["group_id"]),
            title=str(row["title"]),
            organisation=str(row["organisation"]),
            link=row["link"],
        )
        for row in rows
    ], _counts(rows)


async def new_organisations(
    conn: Queryable, guild_id: int, since: datetime, until: datetime, limit: int
) -> tuple[list[NewOrganisation], int]:
    """The first ``limit`` organisations added in the window (oldest first) and how many there are."""
    rows = await conn.fetchall(
        "SELECT id, name, country, website, count(*) OVER () AS total FROM organisations "
        "WHERE guild_id = ? AND status = 'active' AND created_at >= ? AND created_at < ? "
        "ORDER BY created_at, id LIMIT ?",
        (guild_id, utc_iso(since), utc_iso(until), limit),
    )
    found = [
        NewOrganisation(
            id=int(row["id"]), name=str(row["name"]), country=str(row["country"]), website=str(row["website"])
        )
        for row in rows
    ]
    return found, int(rows[0]["total"]) if rows else 0


async def new_leaders(
    conn: Queryable, guild_id: int, since: datetime, until: datetime, limit: int
) -> tuple[list[NewLeader], int]:
    """The first ``limit`` members verified as leader or representative of an active organisation in the
    window (oldest first) and how many there are."""
    rows = await conn.fetchall(
        "SELECT m.user_id, m.standing, o.name, count(*) OVER () AS total FROM organisation_members m "
        "JOIN organisations o ON o.id = m.organisation_id "
        "WHERE m.guild_id = ? AND m.standing IN ('leader', 'representative') AND o.status = 'active' "
        "AND m.verified_at >= ? AND m.verified_at < ? ORDER BY m.verified_at, m.user_id LIMIT ?",
        (guild_id, utc_iso(since), utc_iso(until), limit),
    )
    found = [
        NewLeader(user_id=int(row["user_id"]), standing=str(row["standing"]), organisation=str(row["name"]))
        for row in rows
    ]
    return found, int(rows[0]["total"]) if rows else 0


async def resend_skipped(
    tx: Transaction, guild_id: int, week: str, *, actor_id: int, until: datetime
) -> bool:
    """A week missed and skipped, sent after all by a moderator (``/digest send``)."""
    result = await tx.execute(
        "UPDATE digest_weeks SET status = 'sent', trigger = 'moderator', actor_id = ?, until = ? "
        "WHERE guild_id = ? AND week = ? AND status = 'skipped'",
        (actor_id, utc_iso(until), guild_id, week),
    )
    return bool(result.rowcount)
