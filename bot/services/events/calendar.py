"""The calendar side of events: recurring series materialised up to the horizon, the configured
calendar seeded into a guild, and the .ics export.

Recurring series are materialised ``config.events.horizon_days`` ahead, each new occurrence with its
timers (:class:`~bot.services.events.plans.TimerPlans`); one pending ``event.horizon`` timer per
guild tops them up a day later (:meth:`Calendar.extend_horizons`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Config, RecurringEventConfig
from bot.db import Database, Transaction
from bot.errors import NotFound
from bot.repositories import events as repo
from bot.services.events.ics import build_calendar
from bot.services.events.model import (
    EVENT_HORIZON,
    HORIZON_INTERVAL,
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    Occurrence,
    SeedResult,
    Series,
)
from bot.services.events.plans import TimerPlans
from bot.services.events.recurrence import (
    first_start_not_before,
    format_local_start,
    occurrence_starts,
    parse_local_start,
)
from bot.services.events.validation import series_of
from bot.timeutil import format_lead_times, get_zone, parse_lead_times, utc_iso

if TYPE_CHECKING:
    from bot.services.timers import TimerService

log = logging.getLogger(__name__)


class Calendar:
    """Series over time. ``Calendar(db, clock, timers, plans, config)``."""

    def __init__(
        self, db: Database, clock: Clock, timers: TimerService, plans: TimerPlans, config: Config
    ) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._plans = plans
        self._config = config

    async def materialise(self, tx: Transaction, series: Series, now: datetime) -> list[int]:
        """Create the series' missing occurrences from now to the horizon (at least the next one, even
        beyond the horizon: a yearly day is listed as soon as it is planned), with their timers."""
        if series.status != "active":
            return []
        zone = get_zone(series.timezone)
        anchor = parse_local_start(series.local_start)
        first = first_start_not_before(series.recurrence, anchor, zone, now)
        if first is None:
            return []
        until = max(now + timedelta(days=self._config.events.horizon_days), first)
        leads = parse_lead_times(series.lead_times)
        duration = timedelta(minutes=series.duration_minutes)
        created: list[int] = []
        for start in occurrence_starts(series.recurrence, anchor, zone, after=now, until=until):
            occurrence_id = await repo.insert_occurrence(
                tx, series.id, series.guild_id, start, start + duration
            )
            if occurrence_id is not None:  # None: it exists already (possibly moved or cancelled)
                await self._plans.schedule(
                    tx, series.guild_id, occurrence_id, start, start + duration, leads, now
                )
                created.append(occurrence_id)
        await repo.set_materialised_until(tx, series.id, until)
        return created

    async def seed_calendar(
        self,
        guild_id: int,
        calendar: tuple[RecurringEventConfig, ...],
        channel_ids: Mapping[str, int],
        role_ids: Mapping[str, int],
        language: str,
        *,
        organiser_id: int = 0,
    ) -> SeedResult:
        """Create the configured calendar's series once per guild (UNIQUE guild + key: restarts never
        duplicate). ``channel_ids``/``role_ids`` map names to ids; an entry whose channel (None means
        ``config.channels.announcements``) or audience role is missing is skipped, never widened to
        everyone. Texts in ``language``, or in the channel's own language (``channel_languages``),
        which the series keeps for its public posts; ``organiser_id`` 0 means "the configuration"
        (only moderators can then edit). A first start in the past begins at the rule's next
        occurrence (a past one-off is skipped). The series keeps the configured start as its anchor,
        so the .ics matches."""
        now = self._clock.now()
        created: list[str] = []
        existing: list[str] = []
        skipped: dict[str, str] = {}
        async with self._db.transaction() as tx:
            known = await repo.series_keys(tx, guild_id)
            for entry in calendar:
                if entry.key in known:
                    existing.append(entry.key)
                    continue
                channel_name = entry.channel or self._config.channels.announcements
                if channel_name not in channel_ids:
                    skipped[entry.key] = f"channel:{channel_name}"
                    continue
                if entry.audience_role is not None and entry.audience_role not in role_ids:
                    skipped[entry.key] = f"role:{entry.audience_role}"
                    continue
                zone = get_zone(entry.timezone)
                anchor = parse_local_start(entry.start)
                if first_start_not_before(entry.recurrence, anchor, zone, now) is None:
                    skipped[entry.key] = "past"
                    continue
                # A channel with its own language (config channel_languages) gets the entry in it.
                entry_language = dict(self._config.channel_languages).get(channel_name.casefold(), language)
                series_id = await repo.insert_series(
                    tx,
                    {
                        "guild_id": guild_id,
                        "title": entry.title.get(entry_language)[:MAX_TITLE_LENGTH],
                        "description": entry.description.get(entry_language)[:MAX_DESCRIPTION_LENGTH],
                        "link": entry.link,
                        "timezone": entry.timezone,
                        "local_start": format_local_start(anchor),
                        "duration_minutes": entry.duration_minutes,
                        "recurrence": entry.recurrence,
                        "channel_id": channel_ids[channel_name],
                        "audience_role_id": role_ids[entry.audience_role] if entry.audience_role else None,
                        "lead_times": format_lead_times(self._config.reminders.default_lead_times),
                        "organiser_id": organiser_id,
                        "created_at": utc_iso(now),
                        "source_key": entry.key,
                        "language": entry_language,
                    },
                )
                if series_id is None:  # raced with another seeding of the same guild
                    existing.append(entry.key)
                    continue
                await self.materialise(tx, await series_of(tx, series_id), now)
                created.append(entry.key)
        if created or skipped:
            log.info("Calendar seeded in guild %d: created %s, skipped %s", guild_id, created, skipped)
        return SeedResult(created=tuple(created), existing=tuple(existing), skipped=skipped)

    async def extend_horizons(self, guild_id: int | None = None) -> int:
        """Materialise occurrences (and their timers) of active recurring series up to
        ``horizon_days`` ahead, in ``guild_id`` or in every guild; idempotent. Ensures one pending
        ``event.horizon`` timer per guild (each configured guild, or just ``guild_id``) for the next
        run, one day later. Returns how many occurrences were added."""
        now = self._clock.now()
        added = 0
        async with self._db.transaction() as tx:
            for series in await repo.active_recurring_series(tx):
                if guild_id is None or series.guild_id == guild_id:
                    added += len(await self.materialise(tx, series, now))
            for horizon_guild in (guild_id,) if guild_id is not None else self._config.guild_ids:
                # The running horizon timer is still pending (due now, not after now): only a future
                # run counts, so the overdue one (bot was down) also gets its successor.
                await self._timers.ensure_pending(
                    EVENT_HORIZON, now + HORIZON_INTERVAL, {"guild_id": horizon_guild}, tx=tx, later_than=now
                )
        if added:
            log.info("Event horizon extended: %d occurrence(s) added", added)
        return added

    async def occurrences_for_calendar(
        self, guild_id: int, *, occurrence_id: int | None = None
    ) -> list[Occurrence]:
        """Occurrences that go into an .ics export: every stored occurrence (cancelled included) of the
        guild's series, or of the one series ``occurrence_id`` belongs to."""
        series = await self._calendar_series(guild_id, occurrence_id)
        return await repo.occurrences_of_series(self._db, [s.id for s in series])

    async def ics_for(self, guild_id: int, occurrence_id: int | None = None) -> bytes:
        """An RFC 5545 calendar (bytes for a ``.ics`` attachment): the series of ``occurrence_id``, or
        every series of the guild. Raises ``events.errors.unknown_event`` for an unknown occurrence."""
        series = await self._calendar_series(guild_id, occurrence_id)
        occurrences = await repo.occurrences_of_series(self._db, [s.id for s in series])
        by_series: dict[int, list[Occurrence]] = {s.id: [] for s in series}
        for occurrence in occurrences:
            by_series[occurrence.series_id].append(occurrence)
        return build_calendar([(s, by_series[s.id]) for s in series], stamp=self._clock.now())

    async def _calendar_series(self, guild_id: int, occurrence_id: int | None) -> list[Series]:
        if occurrence_id is None:
            return await repo.series_of_guild(self._db, guild_id)
        occurrence = await repo.get_occurrence(self._db, occurrence_id)
        if occurrence is None or occurrence.guild_id != guild_id:
            raise NotFound("events.errors.unknown_event")
        return [await series_of(self._db, occurrence.series_id)]
