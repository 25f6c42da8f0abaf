"""SQL for consultations: polls, their options, ballots and choices, nudges, elections, nominations.

Functions of a ``sqlite3.Connection``, called inside ``db.write(fn)`` / ``db.read(fn)`` (one hand-off
for a whole action). Rows become the frozen structs (msgspec) of ``bot.services.consultations.model``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from bot.timeutil import from_iso, utc_iso


class PollOption(msgspec.Struct, frozen=True):
    position: int  # 1..20, the order shown
    label: str
    candidate_id: int | None = None  # an election's candidate


class Poll(msgspec.Struct, frozen=True):
    id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    creator_id: int
    question: str
    kind: str  # single | multiple | ranked
    max_choices: int | None  # multiple: at most this many ticked (None: any)
    voters: str  # members | organisations
    audience_role_id: int | None
    anonymous: bool
    results: str  # live | hidden
    comments: bool
    quorum_kind: str | None  # ballots | percent | None
    quorum: int | None
    language: str | None
    election_id: int | None
    seats: int
    opens_at: datetime
    closes_at: datetime
    status: str  # open | closed
    closed_at: datetime | None
    closed_by: int | None
    ballot_count: int
    results_message_id: int | None
    reminder_message_id: int | None
    created_at: datetime
    options: tuple[PollOption, ...]

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def by_organisation(self) -> bool:
        return self.voters == "organisations"

    def option(self, position: int) -> PollOption | None:
        return next((o for o in self.options if o.position == position), None)


class Ballot(msgspec.Struct, frozen=True):
    """A recorded ballot. ``cast_by`` is None when the reader may not see it (anonymous poll)."""

    id: int
    poll_id: int
    user_id: int | None  # members mode
    organisation_id: int | None  # organisation mode
    cast_by: int | None
    cast_at: datetime
    choices: tuple[int, ...]  # option positions, in rank order for a ranked poll
    comment: str | None


class Election(msgspec.Struct, frozen=True):
    id: int
    guild_id: int
    channel_id: int
    creator_id: int
    title: str
    seats: int
    max_nominations: int
    language: str | None
    nominations_close_at: datetime
    voting_closes_at: datetime
    status: str  # nominating | short (too few candidates, moderators decide) | voting | closed
    created_at: datetime
    poll_id: int | None = None


class Nomination(msgspec.Struct, frozen=True):
    id: int
    election_id: int
    organisation_id: int
    nominee_id: int
    nominated_by: int
    nominated_at: datetime
    status: str  # pending | accepted | declined
    answered_at: datetime | None


_POLL_COLUMNS = (
    "id, guild_id, channel_id, message_id, creator_id, question, kind, max_choices, voters, "
    "audience_role_id, anonymous, results, comments, quorum_kind, quorum, language, election_id, seats, "
    "opens_at, closes_at, status, closed_at, closed_by, ballot_count, results_message_id, "
    "reminder_message_id, created_at"
)


def _time(value: str | None) -> datetime | None:
    return None if value is None else from_iso(value)


def _poll(row: sqlite3.Row, options: tuple[PollOption, ...]) -> Poll:
    return Poll(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        creator_id=row["creator_id"],
        question=row["question"],
        kind=row["kind"],
        max_choices=row["max_choices"],
        voters=row["voters"],
        audience_role_id=row["audience_role_id"],
        anonymous=bool(row["anonymous"]),
        results=row["results"],
        comments=bool(row["comments"]),
        quorum_kind=row["quorum_kind"],
        quorum=row["quorum"],
        language=row["language"],
        election_id=row["election_id"],
        seats=row["seats"],
        opens_at=from_iso(row["opens_at"]),
        closes_at=from_iso(row["closes_at"]),
        status=row["status"],
        closed_at=_time(row["closed_at"]),
        closed_by=row["closed_by"],
        ballot_count=row["ballot_count"],
        results_message_id=row["results_message_id"],
        reminder_message_id=row["reminder_message_id"],
        created_at=from_iso(row["created_at"]),
        options=options,
    )


# --- polls ---------------------------------------------------------------------------------------------


def insert_poll(
    conn: sqlite3.Connection, values: dict[str, Any], options: Sequence[tuple[str, str, int | None]]
) -> int:
    """A poll and its options ((label, label_key, candidate_id), in order); returns its id."""
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = conn.execute(
        f"INSERT INTO polls ({columns}) VALUES ({marks})",  # noqa: S608  # columns: the service's names
        tuple(values.values()),
    )
    poll_id = cursor.lastrowid
    assert poll_id is not None
    conn.executemany(
        "INSERT INTO poll_options (poll_id, position, label, label_key, candidate_id) VALUES (?, ?, ?, ?, ?)",
        [
            (poll_id, position, label, key, candidate)
            for position, (label, key, candidate) in enumerate(options, 1)
        ],
    )
    return poll_id


def options_of(conn: sqlite3.Connection, poll_id: int) -> tuple[PollOption, ...]:
    rows = conn.execute(
        "SELECT position, label, candidate_id FROM poll_options WHERE poll_id = ? ORDER BY position",
        (poll_id,),
    ).fetchall()
    return tuple(PollOption(row["position"], row["label"], row["candidate_id"]) for row in rows)


def get_poll(conn: sqlite3.Connection, poll_id: int) -> Poll | None:
    row = conn.execute(f"SELECT {_POLL_COLUMNS} FROM polls WHERE id = ?", (poll_id,)).fetchone()  # noqa: S608
    return None if row is None else _poll(row, options_of(conn, poll_id))


def open_polls(conn: sqlite3.Connection, guild_id: int, limit: int) -> list[Poll]:
    rows = conn.execute(
        f"SELECT {_POLL_COLUMNS} FROM polls WHERE guild_id = ? AND status = 'open'"  # noqa: S608
        " ORDER BY closes_at, id LIMIT ?",
        (guild_id, limit),
    ).fetchall()
    return [_poll(row, options_of(conn, row["id"])) for row in rows]


def find_polls(conn: sqlite3.Connection, guild_id: int, text: str, limit: int) -> list[Poll]:
    """Polls whose question contains ``text`` (any case): open ones soonest deadline first, then the
    closed ones most recent first. For the ``poll`` option's autocomplete."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = conn.execute(
        f"SELECT {_POLL_COLUMNS} FROM polls WHERE guild_id = ? AND question LIKE ? ESCAPE '\\'"  # noqa: S608
        " ORDER BY status = 'open' DESC, CASE WHEN status = 'open' THEN closes_at END,"
        " closes_at DESC, id DESC LIMIT ?",
        (guild_id, f"%{escaped}%", limit),
    ).fetchall()
    return [_poll(row, options_of(conn, row["id"])) for row in rows]


def replace_options(conn: sqlite3.Connection, poll_id: int, options: Sequence[tuple[str, str]]) -> None:
    conn.execute("DELETE FROM poll_options WHERE poll_id = ?", (poll_id,))
    conn.executemany(
        "INSERT INTO poll_options (poll_id, position, label, label_key) VALUES (?, ?, ?, ?)",
        [(poll_id, position, label, key) for position, (label, key) in enumerate(options, 1)],
    )


def set_message(
    conn: sqlite3.Connection, poll_id: int, column: str, channel_id: int, message_id: int
) -> bool:
    """Record a posted message (``message``, ``results``, ``reminder``): once; False if already set."""
    if column == "message":
        sql = "UPDATE polls SET channel_id = ?, message_id = ? WHERE id = ? AND message_id IS NULL"
        params: tuple[Any, ...] = (channel_id, message_id, poll_id)
    elif column == "results":
        sql = (
            "UPDATE polls SET results_channel_id = ?, results_message_id = ?"
            " WHERE id = ? AND results_message_id IS NULL"
        )
        params = (channel_id, message_id, poll_id)
    elif column == "reminder":
        sql = "UPDATE polls SET reminder_message_id = ? WHERE id = ? AND reminder_message_id IS NULL"
        params = (message_id, poll_id)
    else:
        raise ValueError(column)
    return conn.execute(sql, params).rowcount == 1


def close_poll(
    conn: sqlite3.Connection, poll_id: int, at: datetime, by: int | None, eligible: dict[str, Any]
) -> bool:
    """Close an open poll (exactly once: the conditional UPDATE); False if it was closed already."""
    cursor = conn.execute(
        "UPDATE polls SET status = 'closed', closed_at = ?, closed_by = ?, eligible = ?"
        " WHERE id = ? AND status = 'open'",
        (utc_iso(at), by, json.dumps(eligible, sort_keys=True), poll_id),
    )
    return cursor.rowcount == 1


def eligible_at_close(conn: sqlite3.Connection, poll_id: int) -> dict[str, Any] | None:
    value = conn.execute("SELECT eligible FROM polls WHERE id = ?", (poll_id,)).fetchone()
    return None if value is None or value[0] is None else dict(json.loads(value[0]))


# --- ballots -------------------------------------------------------------------------------------------


def _ballot(row: sqlite3.Row, choices: tuple[int, ...], *, show_caster: bool) -> Ballot:
    return Ballot(
        id=row["id"],
        poll_id=row["poll_id"],
        user_id=row["user_id"] if show_caster else None,
        organisation_id=row["organisation_id"],
        cast_by=row["cast_by"] if show_caster else None,
        cast_at=from_iso(row["cast_at"]),
        choices=choices,
        comment=row["comment"],
    )


def _choices(conn: sqlite3.Connection, ballot_id: int) -> tuple[int, ...]:
    rows = conn.execute("SELECT position FROM poll_choices WHERE ballot_id = ? ORDER BY rank", (ballot_id,))
    return tuple(row[0] for row in rows)


def ballot_of(
    conn: sqlite3.Connection, poll_id: int, *, user_id: int | None = None, organisation_id: int | None = None
) -> Ballot | None:
    """The ballot of a member (members mode) or of an organisation, with who cast it."""
    if organisation_id is not None:
        row = conn.execute(
            "SELECT * FROM poll_ballots WHERE poll_id = ? AND organisation_id = ?", (poll_id, organisation_id)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT * FROM poll_ballots WHERE poll_id = ? AND user_id = ?", (poll_id, user_id)
        ).fetchone()
    return None if row is None else _ballot(row, _choices(conn, row["id"]), show_caster=True)


def put_ballot(
    conn: sqlite3.Connection,
    poll_id: int,
    *,
    user_id: int | None,
    organisation_id: int | None,
    cast_by: int,
    at: datetime,
    choices: Sequence[int],
    comment: str | None,
    keep_comment: bool,
) -> tuple[int, Ballot | None]:
    """Record or replace a ballot; returns its id and the ballot it replaced (None: a new one)."""
    previous = ballot_of(conn, poll_id, user_id=user_id, organisation_id=organisation_id)
    if previous is None:
        cursor = conn.execute(
            "INSERT INTO poll_ballots (poll_id, user_id, organisation_id, cast_by, cast_at, first_cast_at,"
            " comment) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (poll_id, user_id, organisation_id, cast_by, utc_iso(at), utc_iso(at), comment),
        )
        ballot_id = cursor.lastrowid
        assert ballot_id is not None
    else:
        ballot_id = previous.id
        conn.execute(
            "UPDATE poll_ballots SET cast_by = ?, cast_at = ?, comment = ? WHERE id = ?",
            (cast_by, utc_iso(at), previous.comment if keep_comment else comment, ballot_id),
        )
        conn.execute("DELETE FROM poll_choices WHERE ballot_id = ?", (ballot_id,))
    conn.executemany(
        "INSERT INTO poll_choices (ballot_id, poll_id, position, rank) VALUES (?, ?, ?, ?)",
        [(ballot_id, poll_id, position, rank) for rank, position in enumerate(choices, 1)],
    )
    return ballot_id, previous


def ballots_of(conn: sqlite3.Connection, poll_id: int, *, show_caster: bool) -> list[Ballot]:
    """Every ballot of a poll with its choices, in the order they were first cast."""
    choices: dict[int, list[int]] = {}
    # Through the poll's ballots (poll_id, ...) and each ballot's choices (ballot_id, ...): poll_choices
    # has no index on its poll_id, and a scan of it reads every ballot of every poll.
    for row in conn.execute(
        "SELECT c.ballot_id, c.position FROM poll_ballots b JOIN poll_choices c ON c.ballot_id = b.id"
        " WHERE b.poll_id = ? ORDER BY c.ballot_id, c.rank",
        (poll_id,),
    ):
        choices.setdefault(row[0], []).append(row[1])
    rows = conn.execute(
        "SELECT * FROM poll_ballots WHERE poll_id = ? ORDER BY first_cast_at, id", (poll_id,)
    ).fetchall()
    return [_ballot(row, tuple(choices.get(row["id"], ())), show_caster=show_caster) for row in rows]


def has_open_ballot(conn: sqlite3.Connection, organisation_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM poll_ballots b JOIN polls p ON p.id = b.poll_id"
        " WHERE b.organisation_id = ? AND p.status = 'open' LIMIT 1",
        (organisation_id,),
    ).fetchone()
    return row is not None


# --- the directory, as a consultation reads it -----------------------------------------------------------


def representative_of(conn: sqlite3.Connection, guild_id: int, user_id: int) -> tuple[int, str] | None:
    """(organisation id, name) of the active organisation the member is a verified representative of."""
    row = conn.execute(
        "SELECT o.id, o.name FROM organisation_members m JOIN organisations o ON o.id = m.organisation_id"
        " WHERE m.guild_id = ? AND m.user_id = ? AND m.standing = 'representative' AND o.status = 'active'",
        (guild_id, user_id),
    ).fetchone()
    return None if row is None else (row[0], row[1])


def leader_of(conn: sqlite3.Connection, guild_id: int, user_id: int) -> int | None:
    """The active organisation the member is a verified leader or representative of."""
    row = conn.execute(
        "SELECT o.id FROM organisation_members m JOIN organisations o ON o.id = m.organisation_id"
        " WHERE m.guild_id = ? AND m.user_id = ? AND m.standing IN ('leader', 'representative')"
        " AND o.status = 'active'",
        (guild_id, user_id),
    ).fetchone()
    return None if row is None else int(row[0])


def active_organisations(conn: sqlite3.Connection, guild_id: int) -> list[sqlite3.Row]:
    """id, name, country, region of the guild's active organisations, by region, country, name."""
    return conn.execute(
        "SELECT id, name, country, region FROM organisations WHERE guild_id = ? AND status = 'active'"
        " ORDER BY region, country, name_key, id",
        (guild_id,),
    ).fetchall()


def organisations_by_id(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, sqlite3.Row]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = conn.execute(
        f"SELECT id, name, country, region FROM organisations WHERE id IN ({marks})",  # noqa: S608
        tuple(ids),
    )
    return {row["id"]: row for row in rows}


def representatives(conn: sqlite3.Connection, organisation_id: int) -> tuple[int, ...]:
    rows = conn.execute(
        "SELECT user_id FROM organisation_members WHERE organisation_id = ? AND standing = 'representative'"
        " ORDER BY verified_at, user_id",
        (organisation_id,),
    )
    return tuple(row[0] for row in rows)


def answered_organisations(conn: sqlite3.Connection, poll_id: int) -> set[int]:
    rows = conn.execute(
        "SELECT organisation_id FROM poll_ballots WHERE poll_id = ? AND organisation_id IS NOT NULL",
        (poll_id,),
    )
    return {row[0] for row in rows}


# --- nudges --------------------------------------------------------------------------------------------


def record_nudge(
    conn: sqlite3.Connection, poll_id: int, organisation_id: int, day: str, by: int, at: datetime
) -> bool:
    """True when this is the organisation's first nudge of the day for this poll."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO poll_nudges (poll_id, organisation_id, day, nudged_by, nudged_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (poll_id, organisation_id, day, by, utc_iso(at)),
    )
    return cursor.rowcount == 1


# --- elections -----------------------------------------------------------------------------------------


def _election(row: sqlite3.Row, poll_id: int | None) -> Election:
    return Election(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        creator_id=row["creator_id"],
        title=row["title"],
        seats=row["seats"],
        max_nominations=row["max_nominations"],
        language=row["language"],
        nominations_close_at=from_iso(row["nominations_close_at"]),
        voting_closes_at=from_iso(row["voting_closes_at"]),
        status=row["status"],
        created_at=from_iso(row["created_at"]),
        poll_id=poll_id,
    )


def insert_election(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = conn.execute(
        f"INSERT INTO elections ({columns}) VALUES ({marks})",  # noqa: S608  # columns: the service's names
        tuple(values.values()),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def get_election(conn: sqlite3.Connection, election_id: int) -> Election | None:
    row = conn.execute("SELECT * FROM elections WHERE id = ?", (election_id,)).fetchone()
    if row is None:
        return None
    poll = conn.execute("SELECT id FROM polls WHERE election_id = ?", (election_id,)).fetchone()
    return _election(row, None if poll is None else poll[0])


def find_elections(
    conn: sqlite3.Connection, guild_id: int, text: str, statuses: Sequence[str], limit: int
) -> list[Election]:
    """Elections of the guild in one of ``statuses`` whose title contains ``text`` (any case), the
    soonest close of nominations first: the ``election`` option's autocomplete."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    marks = ", ".join("?" for _ in statuses)
    rows = conn.execute(
        "SELECT e.*, p.id AS poll_id FROM elections e LEFT JOIN polls p ON p.election_id = e.id"  # noqa: S608  # marks only
        f" WHERE e.guild_id = ? AND e.status IN ({marks}) AND e.title LIKE ? ESCAPE '\\'"
        " ORDER BY e.nominations_close_at, e.id LIMIT ?",
        (guild_id, *statuses, f"%{escaped}%", limit),
    ).fetchall()
    return [_election(row, row["poll_id"]) for row in rows]


def set_election(conn: sqlite3.Connection, election_id: int, changes: dict[str, Any]) -> None:
    allowed = {"status", "nominations_close_at", "voting_closes_at", "seats"}
    if not changes or not set(changes) <= allowed:
        raise ValueError(f"not election columns: {sorted(changes)}")
    assignments = ", ".join(f"{column} = ?" for column in changes)
    values = [utc_iso(v) if isinstance(v, datetime) else v for v in changes.values()]
    conn.execute(f"UPDATE elections SET {assignments} WHERE id = ?", (*values, election_id))  # noqa: S608  # allow-listed


def _nomination(row: sqlite3.Row) -> Nomination:
    return Nomination(
        id=row["id"],
        election_id=row["election_id"],
        organisation_id=row["organisation_id"],
        nominee_id=row["nominee_id"],
        nominated_by=row["nominated_by"],
        nominated_at=from_iso(row["nominated_at"]),
        status=row["status"],
        answered_at=_time(row["answered_at"]),
    )


def insert_nomination(
    conn: sqlite3.Connection, election_id: int, organisation_id: int, nominee_id: int, by: int, at: datetime
) -> int | None:
    """A new nomination's id; None when the person is already nominated in this election."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO election_nominations (election_id, organisation_id, nominee_id, nominated_by,"
        " nominated_at) VALUES (?, ?, ?, ?, ?)",
        (election_id, organisation_id, nominee_id, by, utc_iso(at)),
    )
    return cursor.lastrowid if cursor.rowcount == 1 else None


def get_nomination(conn: sqlite3.Connection, nomination_id: int) -> Nomination | None:
    row = conn.execute("SELECT * FROM election_nominations WHERE id = ?", (nomination_id,)).fetchone()
    return None if row is None else _nomination(row)


def nominations_of(
    conn: sqlite3.Connection, election_id: int, organisation_id: int | None = None
) -> list[Nomination]:
    if organisation_id is None:
        rows = conn.execute(
            "SELECT * FROM election_nominations WHERE election_id = ? ORDER BY nominated_at, id",
            (election_id,),
        )
    else:
        rows = conn.execute(
            "SELECT * FROM election_nominations WHERE election_id = ? AND organisation_id = ?"
            " ORDER BY nominated_at, id",
            (election_id, organisation_id),
        )
    return [_nomination(row) for row in rows]


def answer_nomination(conn: sqlite3.Connection, nomination_id: int, status: str, at: datetime) -> bool:
    """Accept or decline a pending nomination (exactly once); False if it was answered already."""
    cursor = conn.execute(
        "UPDATE election_nominations SET status = ?, answered_at = ? WHERE id = ? AND status = 'pending'",
        (status, utc_iso(at), nomination_id),
    )
    return cursor.rowcount == 1


# --- what the digest, the statistics and the newsletter read ----------------------------------------


def closed_between(conn: sqlite3.Connection, guild_id: int, since: datetime, until: datetime) -> list[Poll]:
    """Polls closed in [since, until), in the order they closed (``polls_guild_open`` covers the
    guild and status; closed polls of a server are few next to its ballots)."""
    rows = conn.execute(
        f"SELECT {_POLL_COLUMNS} FROM polls WHERE guild_id = ? AND status = 'closed'"  # noqa: S608
        " AND closed_at >= ? AND closed_at < ? ORDER BY closed_at, id",
        (guild_id, utc_iso(since), utc_iso(until)),
    ).fetchall()
    return [_poll(row, options_of(conn, row["id"])) for row in rows]
