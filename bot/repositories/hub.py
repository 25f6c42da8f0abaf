"""The public web hub's reads: only what anyone on the internet may see, in one place.

Every query here states what makes a row public, so the rule is read once rather than re-derived in
each page:

* organisations: ``status = 'active'`` (nothing of an archived organisation), no member rows;
* events: a series with no audience role (not leaders-only), not held in a private working group's
  channel nor linked to a private group (``wg_events``);
* working groups: ``visibility = 'public'``; their posts only once published (``message_id``);
  initiatives only once approved; never coordinators, members or join requests;
* consultations: closed, results posted, open to every member (no audience role), not an election
  (its candidates are members), not in a private group's channel; counts only, never a ballot, a
  voter or a comment;
* digests: the parts of weeks that were sent.

Functions take a ``sqlite3.Connection`` and run inside ``Database.read(fn)``: a page is one hand-off
and one snapshot.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime

import msgspec

# The feed's rows are read as the events repository reads them (its select and row readers), so the
# calendar is built from the same values /event calendar gets.
from bot.repositories.events import _OCCURRENCE_SELECT, Occurrence, Series, _occurrence, _series
from bot.repositories.working_groups.groups import Group, Texts, texts
from bot.timeutil import from_iso, utc_iso

# Channels and series a private group owns: what is said there stays there.
_PRIVATE_CHANNELS = (
    "SELECT channel_id FROM wg_groups WHERE guild_id = :guild AND visibility = 'private' "
    "AND channel_id IS NOT NULL"
)
_PUBLIC_SERIES = (  # a fixed fragment: no value is ever formatted into it
    f"""    s.guild_id = :guild AND s.audience_role_id IS NULL
    AND s.channel_id NOT IN ({_PRIVATE_CHANNELS})
    AND NOT EXISTS (SELECT 1 FROM wg_events w JOIN wg_groups g ON g.id = w.group_id
                    WHERE w.series_id = s.id AND g.visibility = 'private')
"""  # noqa: S608
)


class PublicOrganisation(msgspec.Struct, frozen=True):
    id: int
    name: str
    country: str
    region: str
    website: str
    descriptions: dict[str, str]
    joined_on: date

    def description(self, lang: str) -> str | None:
        return (
            self.descriptions.get(lang)
            or self.descriptions.get("en")
            or next(iter(self.descriptions.values()), None)
        )


class PublicEvent(msgspec.Struct, frozen=True):
    occurrence_id: int
    series_id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    recurrence: str
    group_key: str | None


class PublicWorkItem(msgspec.Struct, frozen=True):
    title: Texts
    status: str


class PublicDeliverable(msgspec.Struct, frozen=True):
    title: Texts
    kind: str
    status: str
    due_date: date | None
    link: str | None


class PublicPost(msgspec.Struct, frozen=True):
    kind: str
    title: str | None
    body: str
    created_at: datetime


class PublicDocument(msgspec.Struct, frozen=True):
    title: str
    url: str
    added_at: datetime


class PublicInitiative(msgspec.Struct, frozen=True):
    id: int
    group_key: str
    group_name: Texts
    title: str
    organisation: str
    country: str | None
    country_text: str | None
    link: str | None
    description: str
    kind: str


class DigestWeek(msgspec.Struct, frozen=True):
    week: str
    since: datetime
    until: datetime
    created_at: datetime


class DigestPart(msgspec.Struct, frozen=True):
    part: int
    language: str
    body: str


def data_version(conn: sqlite3.Connection) -> int:
    """SQLite's count of commits by other connections since this one opened: changes whenever the
    bot's writer commits anything."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def organisations(conn: sqlite3.Connection, guild_id: int) -> list[PublicOrganisation]:
    rows = conn.execute(
        "SELECT id, name, country, region, website, description_en, description_fr, description_es, "
        "joined_on FROM organisations WHERE guild_id = ? AND status = 'active' "
        "ORDER BY region, country, name_key, id",
        (guild_id,),
    )
    return [
        PublicOrganisation(
            id=int(r["id"]),
            name=r["name"],
            country=r["country"],
            region=r["region"],
            website=r["website"],
            descriptions={
                lang: r[f"description_{lang}"] for lang in ("en", "fr", "es") if r[f"description_{lang}"]
            },
            joined_on=date.fromisoformat(r["joined_on"]),
        )
        for r in rows
    ]


def upcoming_events(
    conn: sqlite3.Connection,
    guild_id: int,
    now: datetime,
    until: datetime,
    limit: int,
    group_id: int | None = None,
) -> list[PublicEvent]:
    """Scheduled occurrences of public series not yet ended and starting before ``until``."""
    group_filter = (
        ""
        if group_id is None
        else "AND EXISTS (SELECT 1 FROM wg_events w WHERE w.series_id = s.id AND w.group_id = :group)"
    )
    rows = conn.execute(
        f"""SELECT o.id, o.series_id, coalesce(o.title, s.title) AS title,
               coalesce(o.description, s.description) AS description, o.starts_at, o.ends_at,
               s.timezone, s.recurrence,
               (SELECT g.key FROM wg_events w JOIN wg_groups g ON g.id = w.group_id
                WHERE w.series_id = s.id AND g.visibility = 'public' LIMIT 1) AS group_key
            FROM event_occurrences o JOIN event_series s ON s.id = o.series_id
            WHERE o.guild_id = :guild AND o.status = 'scheduled' AND s.status = 'active'
              AND o.ends_at > :now AND o.starts_at < :until AND {_PUBLIC_SERIES} {group_filter}
            ORDER BY o.starts_at, o.id LIMIT :limit""",  # noqa: S608 - fixed fragments only
        {"guild": guild_id, "now": utc_iso(now), "until": utc_iso(until), "limit": limit, "group": group_id},
    )
    return [
        PublicEvent(
            occurrence_id=int(r["id"]),
            series_id=int(r["series_id"]),
            title=r["title"],
            description=r["description"],
            starts_at=from_iso(r["starts_at"]),
            ends_at=from_iso(r["ends_at"]),
            timezone=r["timezone"],
            recurrence=r["recurrence"],
            group_key=r["group_key"],
        )
        for r in rows
    ]


@dataclass
class CalendarRows:
    """What the rows of a feed's last read were turned into, by their values: a row read again
    unchanged is not turned into a struct again (4,000 rows take tens of milliseconds; comparing
    their values, a few). Each read keeps only its own rows, so this is as large as the feed."""

    series: dict[tuple[object, ...], Series] = field(default_factory=dict)
    occurrences: dict[tuple[object, ...], Occurrence] = field(default_factory=dict)


def public_calendar(
    conn: sqlite3.Connection, guild_id: int, group_id: int | None = None, known: CalendarRows | None = None
) -> list[tuple[Series, list[Occurrence]]]:
    """The series a public calendar feed carries (cancelled ones too: subscribed calendars must learn
    of the cancellation), the whole guild's or one public group's, each with its stored occurrences
    (cancelled included, by original start): ``build_calendar``'s input, read in one snapshot by the
    events repository's own select and row readers, on the reader's thread."""
    known = CalendarRows() if known is None else known
    group_filter = (
        ""
        if group_id is None
        else "AND EXISTS (SELECT 1 FROM wg_events w WHERE w.series_id = s.id AND w.group_id = :group)"
    )
    params = {"guild": guild_id, "group": group_id}
    seen = CalendarRows()
    rows = conn.execute(
        f"SELECT s.* FROM event_series s WHERE {_PUBLIC_SERIES} {group_filter} ORDER BY s.id",  # noqa: S608
        params,
    )
    for r in rows:
        values = tuple(r)
        seen.series[values] = known.series.get(values) or _series(r)
    entries: list[tuple[Series, list[Occurrence]]] = [(series, []) for series in seen.series.values()]
    by_series: dict[int, list[Occurrence]] = {series.id: occurrences for series, occurrences in entries}
    rows = conn.execute(
        f"{_OCCURRENCE_SELECT} WHERE {_PUBLIC_SERIES} {group_filter} ORDER BY o.series_id, o.original_start",
        params,
    )
    for r in rows:
        values = tuple(r)
        occurrence = known.occurrences.get(values) or _occurrence(r)
        seen.occurrences[values] = occurrence
        by_series[occurrence.series_id].append(occurrence)
    known.series, known.occurrences = seen.series, seen.occurrences
    return entries


_GROUP_COLUMNS = (
    "id, guild_id, key, name, stake, actions, mandate, description, visibility, status, role_id, "
    "channel_id, source, created_at, last_activity_at, nudged_for, archived_at"
)


def _group(r: sqlite3.Row) -> Group:
    return Group(
        id=int(r["id"]),
        guild_id=int(r["guild_id"]),
        key=r["key"],
        name=texts(r["name"]),
        stake=texts(r["stake"]),
        actions=texts(r["actions"]),
        mandate=texts(r["mandate"]),
        description=texts(r["description"]),
        visibility=r["visibility"],
        status=r["status"],
        role_id=None,  # never shown: the hub knows no Discord ids
        channel_id=None,
        source=r["source"],
        created_at=from_iso(r["created_at"]),
        last_activity_at=from_iso(r["last_activity_at"]),
        nudged_for=None,
        archived_at=None if r["archived_at"] is None else from_iso(r["archived_at"]),
    )


def public_groups(conn: sqlite3.Connection, guild_id: int) -> list[Group]:
    rows = conn.execute(
        f"SELECT {_GROUP_COLUMNS} FROM wg_groups WHERE guild_id = ? AND visibility = 'public' "  # noqa: S608
        "ORDER BY archived_at IS NOT NULL, key",
        (guild_id,),
    )
    return [_group(r) for r in rows]


def public_group(conn: sqlite3.Connection, guild_id: int, key: str) -> Group | None:
    row = conn.execute(
        f"SELECT {_GROUP_COLUMNS} FROM wg_groups WHERE guild_id = ? AND key = ? AND visibility = 'public'",  # noqa: S608
        (guild_id, key),
    ).fetchone()
    return None if row is None else _group(row)


def workplan(conn: sqlite3.Connection, group_id: int) -> list[PublicWorkItem]:
    rows = conn.execute(
        "SELECT title, status FROM wg_workplan_items WHERE group_id = ? ORDER BY id", (group_id,)
    )
    return [PublicWorkItem(texts(r["title"]), r["status"]) for r in rows]


def deliverables(conn: sqlite3.Connection, group_id: int) -> list[PublicDeliverable]:
    rows = conn.execute(
        "SELECT title, kind, status, due_date, link FROM wg_deliverables WHERE group_id = ? "
        "ORDER BY due_date IS NULL, due_date, id",
        (group_id,),
    )
    return [
        PublicDeliverable(
            texts(r["title"]),
            r["kind"],
            r["status"],
            None if r["due_date"] is None else date.fromisoformat(r["due_date"]),
            r["link"],
        )
        for r in rows
    ]


def published_posts(conn: sqlite3.Connection, group_id: int, limit: int) -> list[PublicPost]:
    """The group's meeting notes and progress updates that were posted in its (public) channel."""
    rows = conn.execute(
        "SELECT kind, title, body, created_at FROM wg_posts WHERE group_id = ? AND message_id IS NOT NULL "
        "ORDER BY created_at DESC, id DESC LIMIT ?",
        (group_id, limit),
    )
    return [PublicPost(r["kind"], r["title"], r["body"], from_iso(r["created_at"])) for r in rows]


def documents(conn: sqlite3.Connection, group_id: int) -> list[PublicDocument]:
    rows = conn.execute(
        "SELECT title, url, added_at FROM wg_documents WHERE group_id = ? ORDER BY added_at DESC, id DESC",
        (group_id,),
    )
    return [PublicDocument(r["title"], r["url"], from_iso(r["added_at"])) for r in rows]


def initiatives(conn: sqlite3.Connection, guild_id: int) -> list[PublicInitiative]:
    rows = conn.execute(
        "SELECT i.id, g.key, g.name, i.title, i.organisation, i.country, i.country_text, i.link, "
        "i.description, i.kind FROM wg_initiatives i JOIN wg_groups g ON g.id = i.group_id "
        "WHERE g.guild_id = ? AND g.visibility = 'public' AND i.status = 'approved' "
        "ORDER BY g.key, i.kind, i.title COLLATE NOCASE, i.id",
        (guild_id,),
    )
    return [
        PublicInitiative(
            id=int(r["id"]),
            group_key=r["key"],
            group_name=texts(r["name"]),
            title=r["title"],
            organisation=r["organisation"],
            country=r["country"],
            country_text=r["country_text"],
            link=r["link"],
            description=r["description"],
            kind=r["kind"],
        )
        for r in rows
    ]


def published_poll_ids(conn: sqlite3.Connection, guild_id: int, limit: int) -> list[int]:
    rows = conn.execute(
        f"""SELECT p.id FROM polls p
            WHERE p.guild_id = :guild AND p.status = 'closed' AND p.results_message_id IS NOT NULL
              AND p.audience_role_id IS NULL AND p.election_id IS NULL
              AND p.channel_id NOT IN ({_PRIVATE_CHANNELS})
            ORDER BY p.closed_at DESC, p.id DESC LIMIT :limit""",  # noqa: S608 - fixed fragments only
        {"guild": guild_id, "limit": limit},
    )
    return [int(r[0]) for r in rows]


def digest_weeks(conn: sqlite3.Connection, guild_id: int, limit: int) -> list[DigestWeek]:
    rows = conn.execute(
        "SELECT week, since, until, created_at FROM digest_weeks w WHERE guild_id = ? AND status = 'sent' "
        "AND EXISTS (SELECT 1 FROM digest_parts p WHERE p.guild_id = w.guild_id AND p.week = w.week "
        "AND p.message_id IS NOT NULL) ORDER BY week DESC LIMIT ?",
        (guild_id, limit),
    )
    return [
        DigestWeek(r["week"], from_iso(r["since"]), from_iso(r["until"]), from_iso(r["created_at"]))
        for r in rows
    ]


def digest_parts(conn: sqlite3.Connection, guild_id: int, week: str) -> list[DigestPart]:
    """The parts of a sent week that were posted (what the digest channel shows)."""
    rows = conn.execute(
        "SELECT p.part, p.language, p.body FROM digest_parts p JOIN digest_weeks w "
        "ON w.guild_id = p.guild_id AND w.week = p.week WHERE p.guild_id = ? AND p.week = ? "
        "AND w.status = 'sent' AND p.message_id IS NOT NULL ORDER BY p.part",
        (guild_id, week),
    )
    return [DigestPart(int(r["part"]), r["language"], r["body"]) for r in rows]
