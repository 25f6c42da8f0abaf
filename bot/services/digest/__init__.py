"""The weekly digest: what happened and what is coming, posted once per ISO week in the digest
channel and sent by direct message to its subscribers. No ``discord`` here: the cog renders the
``EmbedSpec``s this service lays out and posts them.

The digest is a registry of sections: each feature contributes a ``SectionBuilder``
(``register_section``), called with the server, the window (since the last digest, until now) and
the reader's language; a builder with nothing to say returns None and its section is left out. The
events, working-groups and directory sections are registered here (``bot.services.digest.sections``);
another feature registers its own in ``build_services`` (docs/ARCHITECTURE.md, "The weekly digest").

Exactly once per ISO week (of the digest's zone): the week's row in ``digest_weeks`` is claimed in
the same transaction as the post and DM timers (the outbox), by the scheduled ``digest.weekly`` timer
or by ``/digest send``, and a second claim finds the row. The scheduled timer is kept with
``TimerService.ensure_pending`` (one per server) and re-armed for the next week in that transaction.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import msgspec

from bot.clock import Clock
from bot.config import Config
from bot.db import Database, Transaction
from bot.errors import UserFacingError
from bot.i18n import Catalog
from bot.repositories import digest as repo
from bot.repositories import timers as timers_repo
from bot.services.digest.layout import pack, section_embeds
from bot.services.digest.model import (
    DIGEST_DM,
    DIGEST_POST,
    DIGEST_WEEKLY,
    FIRST_WINDOW,
    LATE_LIMIT,
    Claim,
    Digest,
    EmbedSpec,
    PostPart,
    PostPlan,
    Section,
    SectionBuilder,
)
from bot.services.digest.sections import CoreSections, timestamp
from bot.services.timers import TimerService
from bot.timeutil import from_iso, get_zone, utc_iso

__all__ = [
    "DIGEST_DM",
    "DIGEST_POST",
    "DIGEST_WEEKLY",
    "LATE_LIMIT",
    "Claim",
    "Delivery",
    "Digest",
    "DigestService",
    "EmbedSpec",
    "PostPart",
    "PostPlan",
    "Section",
    "SectionBuilder",
]

log = logging.getLogger(__name__)

Delivery = repo.Delivery

# Where the sections of today's features sit; a feature registering later picks its place between
# them (consultations: 30, after the working groups, before the directory).
ORDER_EVENTS = 10
ORDER_WORKING_GROUPS = 20
ORDER_DIRECTORY = 40
ORDER_ATTENDANCE = 50


class _Registered(msgspec.Struct, frozen=True):
    order: int
    key: str
    builder: SectionBuilder


class DigestService:
    def __init__(
        self, db: Database, clock: Clock, timers: TimerService, config: Config, catalog: Catalog | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._config = config
        self._catalog = catalog if catalog is not None else Catalog.load()
        self._sections: list[_Registered] = []
        core = CoreSections(db, clock, config, self._catalog)
        self.register_section("events", core.upcoming_events, order=ORDER_EVENTS)
        self.register_section("working_groups", core.working_groups, order=ORDER_WORKING_GROUPS)
        self.register_section("directory", core.directory, order=ORDER_DIRECTORY)
        self.register_section("attendance", core.attendance, order=ORDER_ATTENDANCE)

    # --- the registry --------------------------------------------------------------------------------

    def register_section(self, key: str, builder: SectionBuilder, *, order: int) -> None:
        """Add a feature's section: ``await builder(guild_id, since, until, lang) -> Section | None``.
        Sections appear by ``order``; registering a key again replaces its builder."""
        self._sections = sorted(
            [entry for entry in self._sections if entry.key != key] + [_Registered(order, key, builder)],
            key=lambda entry: (entry.order, entry.key),
        )

    @property
    def catalog(self) -> Catalog:
        """The catalog the sections are worded from (a feature's builder words its own with it)."""
        return self._catalog

    @property
    def section_keys(self) -> tuple[str, ...]:
        return tuple(entry.key for entry in self._sections)

    # --- time ----------------------------------------------------------------------------------------

    def week_of(self, moment: datetime) -> str:
        """The ISO week of ``moment`` in the digest's zone: "2027-W09"."""
        iso = moment.astimezone(get_zone(self._config.digest.timezone)).isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    def next_slot(self, after: datetime | None = None) -> datetime:
        """The first digest time strictly after ``after`` (default: now), in UTC."""
        return self._config.digest.next_run(self._clock.now() if after is None else after)

    async def arm(self, guild_id: int) -> datetime:
        """Make sure the next scheduled digest of ``guild_id`` is pending; its due time.

        A pending one is kept, overdue included (the bot was down at its time: its handler decides
        whether it is still worth sending); one at another time than the configuration now says (the
        day or time was changed) moves to the configured slot."""
        now = self._clock.now()
        slot = self.next_slot(now)
        timer_id = await self._timers.ensure_pending(DIGEST_WEEKLY, slot, {"guild_id": guild_id})
        timer = await self._timers.get(timer_id)
        if timer is None:
            return slot
        if timer.due_at > now and timer.due_at != slot:
            await self._timers.reschedule(timer_id, slot)
            return slot
        return timer.due_at

    # --- building --------------------------------------------------------------------------------------

    async def window(self, guild_id: int) -> tuple[datetime, datetime]:
        """What a digest made now covers: since the last one sent (a week, for the first), until now."""
        now = self._clock.now()
        since = await repo.last_until(self._db, guild_id)
        return (min(since, now) if since is not None else now - FIRST_WINDOW), now

    async def preview(self, guild_id: int, lang: str) -> Digest:
        since, until = await self.window(guild_id)
        return await self.build(guild_id, since, until, lang)

    async def build(self, guild_id: int, since: datetime, until: datetime, lang: str) -> Digest:
        """The digest of this window in ``lang``: every registered section with something to say, laid
        out in messages within Discord's limits (a quiet week: the header and one short line)."""
        sections: list[Section] = []
        for entry in self._sections:
            section = await entry.builder(guild_id, since, until, lang)
            if section is not None and section.items:
                sections.append(section)
        local = until.astimezone(get_zone(self._config.digest.timezone)).isocalendar()
        header = EmbedSpec(
            title=self._catalog.t(lang, "digest.header.title", week=local.week, year=local.year),
            description=self._catalog.t(
                lang,
                "digest.header.quiet" if not sections else "digest.header.intro",
                since=timestamp(since, "D"),
            ),
            timestamp=until,
        )

        def continued(title: str) -> str:
            return self._catalog.t(lang, "digest.continued", title=title)

        blocks = [[header], *(section_embeds(section, continued, until) for section in sections)]
        return Digest(
            guild_id=guild_id,
            since=since,
            until=until,
            language=lang,
            sections=tuple(sections),
            messages=tuple(pack(blocks)),
        )

    # --- claiming a week ----------------------------------------------------------------------------------

    async def _write_sending(self, tx: Transaction, guild_id: int, week: str, now: datetime) -> None:
        """The week's side effects, written with its row: the channel post and the subscribers' DMs."""
        await repo.add_deliveries(tx, guild_id, week)
        payload = {"guild_id": guild_id, "week": week}
        await self._timers.schedule(DIGEST_POST, now, payload, tx=tx)
        await self._timers.schedule(DIGEST_DM, now, payload, tx=tx)

    async def on_slot(self, guild_id: int, due_at: datetime) -> Claim:
        """The scheduled digest of ``due_at`` fires: claim its week and write its timers, unless the week
        was sent already (``/digest send``, or a run before a crash) or the slot is ``LATE_LIMIT`` or more
        behind (then the week is marked skipped). Either way the next week's timer is armed, in the same
        transaction."""
        now = self._clock.now()
        week = self.week_of(due_at)
        late_by = max(now - due_at, timedelta(0))
        skip = late_by >= LATE_LIMIT
        async with self._db.transaction() as tx:
            since = await repo.last_until(tx, guild_id)
            claimed = await repo.claim_week(
                tx,
                guild_id,
                week,
                status="skipped" if skip else "sent",
                trigger="schedule",
                actor_id=None,
                scheduled_for=due_at,
                since=min(since, now) if since is not None else now - FIRST_WINDOW,
                until=now,
                now=now,
            )
            if claimed and not skip:
                await self._write_sending(tx, guild_id, week, now)
            await self._timers.ensure_pending(
                DIGEST_WEEKLY,
                self.next_slot(max(now, due_at)),
                {"guild_id": guild_id},
                tx=tx,
                later_than=due_at,
            )
        if claimed:
            log.info("Digest of %s in guild %s %s", week, guild_id, "skipped" if skip else "claimed")
        return Claim(week=week, claimed=claimed and not skip, skipped=claimed and skip, late_by=late_by)

    async def send_now(self, guild_id: int, actor_id: int) -> str:
        """``/digest send``: this week's digest now (a week missed and skipped may still be sent).
        Raises ``digest.errors.already_sent`` when this week's went out already."""
        now = self._clock.now()
        week = self.week_of(now)
        async with self._db.transaction() as tx:
            existing = await repo.get_week(tx, guild_id, week)
            if existing is not None and existing.status == "sent":
                payload = {"guild_id": guild_id, "week": week}
                if await repo.post_complete(tx, guild_id, week) or await timers_repo.pending_matching(
                    tx, DIGEST_POST, payload
                ):
                    raise UserFacingError(
                        "digest.errors.already_sent", when=timestamp(existing.created_at, "R")
                    )
                # Claimed, but its channel post could not be made (the channel, a permission) and nothing
                # is trying any more: post it now that a moderator asks; parts already posted are kept.
                await self._timers.schedule(DIGEST_POST, now, payload, tx=tx)
                return week
            since = await repo.last_until(tx, guild_id)
            if existing is not None:
                await repo.resend_skipped(tx, guild_id, week, actor_id=actor_id, until=now)
            else:
                await repo.claim_week(
                    tx,
                    guild_id,
                    week,
                    status="sent",
                    trigger="moderator",
                    actor_id=actor_id,
                    scheduled_for=None,
                    since=min(since, now) if since is not None else now - FIRST_WINDOW,
                    until=now,
                    now=now,
                )
            await self._write_sending(tx, guild_id, week, now)
        return week

    async def get_week(self, guild_id: int, week: str) -> repo.Week | None:
        return await repo.get_week(self._db, guild_id, week)

    # --- the channel post --------------------------------------------------------------------------------

    async def post_plan(self, guild_id: int, week: str, lang: str) -> PostPlan | None:
        """The week's channel post, laid out once in ``lang`` on the first attempt and kept, so every
        retry posts the same parts (and can recognise one an earlier attempt posted). None when the
        week was not claimed for sending."""
        row = await repo.get_week(self._db, guild_id, week)
        if row is None or row.status != "sent":
            return None
        stored = await repo.parts(self._db, guild_id, week)
        if not stored:
            digest = await self.build(guild_id, row.since, row.until, lang)
            bodies = [_encode(message) for message in digest.messages]
            async with self._db.transaction() as tx:
                await repo.store_parts(tx, guild_id, week, lang, bodies)
            stored = await repo.parts(self._db, guild_id, week)
        return PostPlan(
            guild_id=guild_id,
            week=week,
            created_at=row.created_at,
            parts=tuple(PostPart(part.part, _decode(part.body), part.message_id) for part in stored),
        )

    async def record_part(
        self, guild_id: int, week: str, part: int, channel_id: int, message_id: int
    ) -> None:
        async with self._db.transaction() as tx:
            await repo.record_part(tx, guild_id, week, part, channel_id, message_id, self._clock.now())

    # --- direct messages ------------------------------------------------------------------------------------

    async def subscribe(self, guild_id: int, user_id: int) -> bool:
        """Receive the digest by DM; False when already subscribed."""
        async with self._db.transaction() as tx:
            return await repo.subscribe(tx, guild_id, user_id, self._clock.now())

    async def unsubscribe(self, guild_id: int, user_id: int) -> bool:
        """Stop the DMs; False when not subscribed."""
        async with self._db.transaction() as tx:
            return await repo.unsubscribe(tx, guild_id, user_id)

    async def is_subscribed(self, guild_id: int, user_id: int) -> bool:
        return await repo.is_subscribed(self._db, guild_id, user_id)

    async def pending_deliveries(self, guild_id: int, week: str) -> tuple[repo.Week, list[Delivery]] | None:
        """The week and its subscribers still to DM (those an interrupted run had started first)."""
        row = await repo.get_week(self._db, guild_id, week)
        if row is None or row.status != "sent":
            return None
        return row, await repo.pending_deliveries(self._db, guild_id, week)

    async def start_delivery(self, guild_id: int, week: str, user_id: int) -> None:
        """Before a member's first DM of the week: a restart then knows to look in their DMs first."""
        async with self._db.transaction() as tx:
            await repo.start_delivery(tx, guild_id, week, user_id, self._clock.now())

    async def record_delivery(
        self, guild_id: int, week: str, user_id: int, *, parts_sent: int, done: bool, closed: bool = False
    ) -> None:
        """How far a member's DMs got: after each part, and once done (``closed``: their DMs are closed;
        the subscription is kept, next week is tried again)."""
        status = "skipped_closed" if closed else ("sent" if done else "pending")
        async with self._db.transaction() as tx:
            await repo.record_delivery(
                tx, guild_id, week, user_id, parts_sent=parts_sent, status=status, now=self._clock.now()
            )

    async def delivery_counts(self, guild_id: int, week: str) -> dict[str, int]:
        return await repo.delivery_counts(self._db, guild_id, week)


def _encode(message: tuple[EmbedSpec, ...]) -> str:
    return json.dumps(
        [
            {
                "title": embed.title,
                "description": embed.description,
                "timestamp": None if embed.timestamp is None else utc_iso(embed.timestamp),
            }
            for embed in message
        ],
        ensure_ascii=False,
    )


def _decode(body: str) -> tuple[EmbedSpec, ...]:
    return tuple(
        EmbedSpec(
            title=str(item["title"]),
            description=str(item["description"]),
            timestamp=None if item.get("timestamp") is None else from_iso(str(item["timestamp"])),
        )
        for item in json.loads(body)
    )
