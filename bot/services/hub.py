"""The public web hub's read model: what the pages and calendar feeds of ``bot/web/`` show.

No ``discord`` and no web framework here: the service reads the database through ``Database.read``
(``bot/repositories/hub.py`` says what is public) and returns plain values; ``bot/web`` renders them.
The hub shows the first configured guild: the Alliance has one server.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import msgspec

from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.repositories import hub as repo
from bot.repositories.hub import (
    DigestPart,
    DigestWeek,
    PublicDeliverable,
    PublicDocument,
    PublicEvent,
    PublicInitiative,
    PublicOrganisation,
    PublicPost,
    PublicWorkItem,
)
from bot.repositories.working_groups.groups import Group
from bot.services.consultations import ConsultationService
from bot.services.events.ics import EventTextCache, build_calendar

__all__ = [
    "CALENDAR_STAMP",
    "DigestPart",
    "DigestView",
    "DigestWeek",
    "GroupPage",
    "HubService",
    "OptionResult",
    "PublicDeliverable",
    "PublicDocument",
    "PublicEvent",
    "PublicInitiative",
    "PublicOrganisation",
    "PublicPost",
    "PublicResult",
    "PublicWorkItem",
]

UPCOMING_DAYS = 180
UPCOMING_LIMIT = 100
POSTS_LIMIT = 10
RESULTS_LIMIT = 30
DIGEST_WEEKS = 52
# The feed is built with this DTSTAMP so that its bytes (hence its ETag) change only when an event
# does; the web layer writes the time of that change in its place.
CALENDAR_STAMP = datetime(1970, 1, 1, tzinfo=UTC)


class GroupPage(msgspec.Struct, frozen=True):
    group: Group
    workplan: tuple[PublicWorkItem, ...]
    deliverables: tuple[PublicDeliverable, ...]
    posts: tuple[PublicPost, ...]
    documents: tuple[PublicDocument, ...]
    events: tuple[PublicEvent, ...]
    initiatives: tuple[PublicInitiative, ...]


class OptionResult(msgspec.Struct, frozen=True):
    label: str
    count: int
    percent: float
    winner: bool


class PublicResult(msgspec.Struct, frozen=True):
    """A closed consultation's published result: counts only, never a ballot or who cast it."""

    id: int
    question: str
    kind: str
    by_organisation: bool
    closed_at: datetime
    ballots: int
    registered: int | None
    turnout_percent: float | None
    quorum_reached: bool | None
    options: tuple[OptionResult, ...]
    by_region: tuple[tuple[str, int, int], ...]  # (M49 sub-region, answered, registered)


class DigestView(msgspec.Struct, frozen=True):
    week: DigestWeek
    language: str
    embeds: tuple[tuple[str, str], ...]  # (title, description), as posted


class HubService:
    """``HubService(db, clock, config, consultations)``: the public pages' data."""

    def __init__(
        self, db: Database, clock: Clock, config: Config, consultations: ConsultationService
    ) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        self._consultations = consultations
        # icalendar serialises a VEVENT in about half a millisecond: 2,000 series are a second or more,
        # and any commit (an RSVP) makes the feeds rebuild. Only the series that changed are
        # serialised again; see EventTextCache for why its keys cannot go stale.
        self._event_texts = EventTextCache()
        self._calendar_rows: dict[int | None, repo.CalendarRows] = {}  # by feed (None: the whole)

    @property
    def guild_id(self) -> int:
        return self._config.guild_ids[0]

    async def data_version(self) -> int:
        """A number that changes whenever anything is committed: the pages' cache key (bot/web/cache.py)."""
        return await self._db.read(repo.data_version)

    async def organisations(self) -> list[PublicOrganisation]:
        return await self._db.read(repo.organisations, self.guild_id)

    async def upcoming_events(self) -> list[PublicEvent]:
        now = self._clock.now()
        return await self._db.read(
            repo.upcoming_events, self.guild_id, now, now + timedelta(days=UPCOMING_DAYS), UPCOMING_LIMIT
        )

    async def groups(self) -> list[Group]:
        return await self._db.read(repo.public_groups, self.guild_id)

    async def group(self, key: str) -> GroupPage | None:
        now = self._clock.now()

        def read(conn: sqlite3.Connection) -> GroupPage | None:
            group = repo.public_group(conn, self.guild_id, key)
            if group is None:
                return None
            return GroupPage(
                group=group,
                workplan=tuple(repo.workplan(conn, group.id)),
                deliverables=tuple(repo.deliverables(conn, group.id)),
                posts=tuple(repo.published_posts(conn, group.id, POSTS_LIMIT)),
                documents=tuple(repo.documents(conn, group.id)),
                events=tuple(
                    repo.upcoming_events(
                        conn, self.guild_id, now, now + timedelta(days=UPCOMING_DAYS), 20, group_id=group.id
                    )
                ),
                initiatives=tuple(i for i in repo.initiatives(conn, self.guild_id) if i.group_key == key),
            )

        return await self._db.read(read)

    async def initiatives(self) -> list[PublicInitiative]:
        return await self._db.read(repo.initiatives, self.guild_id)

    async def results(self) -> list[PublicResult]:
        results: list[PublicResult] = []
        for poll_id in await self._db.read(repo.published_poll_ids, self.guild_id, RESULTS_LIMIT):
            tally = await self._consultations.tally(poll_id)
            poll = tally.poll
            assert poll.closed_at is not None
            results.append(
                PublicResult(
                    id=poll.id,
                    question=poll.question,
                    kind=poll.kind,
                    by_organisation=poll.by_organisation,
                    closed_at=poll.closed_at,
                    ballots=tally.turnout.ballots,
                    registered=tally.turnout.registered,
                    turnout_percent=tally.turnout.percent,
                    quorum_reached=tally.quorum_reached,
                    options=tuple(
                        OptionResult(o.label, o.count, o.percent, o.position in tally.winners)
                        for o in tally.options
                    ),
                    by_region=tuple((r.region, r.answered, r.registered) for r in tally.turnout.by_region),
                )
            )
        return results

    async def digest_weeks(self) -> list[DigestWeek]:
        return await self._db.read(repo.digest_weeks, self.guild_id, DIGEST_WEEKS)

    async def digest(self, week: str) -> DigestView | None:
        weeks = {w.week: w for w in await self.digest_weeks()}
        if week not in weeks:
            return None
        parts = await self._db.read(repo.digest_parts, self.guild_id, week)
        if not parts:
            return None
        embeds = tuple(
            (str(item.get("title") or ""), str(item.get("description") or ""))
            for part in parts
            for item in json.loads(part.body)
        )
        return DigestView(weeks[week], parts[0].language, embeds)

    async def group_exists(self, key: str) -> int | None:
        group = await self._db.read(repo.public_group, self.guild_id, key)
        return None if group is None else group.id

    async def calendar(self, group_key: str | None = None) -> bytes | None:
        """The public feed (RFC 5545): every public series, or one public group's; None for an unknown
        or private group. UIDs are /event calendar's (``series-<id>@wim-alliance-bot``); meeting links
        are left out (the public web is not the members' Discord)."""
        group_id = None
        if group_key is not None:
            group_id = await self.group_exists(group_key)
            if group_id is None:
                return None
        known = self._calendar_rows.setdefault(group_id, repo.CalendarRows())
        entries = await self._db.read(repo.public_calendar, self.guild_id, group_id, known)
        # Built on a worker thread: the first build after a start serialises every series (a second or
        # more for 2,000), and the bot's event loop goes on answering interactions meanwhile.
        return await asyncio.to_thread(
            build_calendar,
            entries,
            stamp=CALENDAR_STAMP,
            links=False,
            cache=self._event_texts,
        )
