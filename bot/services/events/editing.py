"""Creating, editing and cancelling events.

Edits apply to one occurrence (stored as per-occurrence overrides) or to the series from an
occurrence on (earlier occurrences keep their values; a new start re-anchors the rule there and
later occurrences keep their ids, so RSVPs and announcements survive). A changed time or lead times
replaces the affected occurrences' timers in the same transaction.

Edits and cancellations never await Discord: their transaction also writes the outbox (timers that
re-render the cards and the Events tab, post the cancellation notice and DM who had replied; see
:meth:`TimerPlans.request_updates` and :meth:`TimerPlans.request_notice`). The cog runs those timers
at once; when Discord fails they retry, and each side effect happens exactly once.
"""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.config import Config
from bot.db import Database, Transaction
from bot.errors import PermissionDenied, UserFacingError
from bot.repositories import events as repo
from bot.repositories import members as members_repo
from bot.services.events.calendar import Calendar
from bot.services.events.model import (
    CancelResult,
    EditResult,
    EventChanges,
    EventDraft,
    Occurrence,
    Scope,
    Series,
)
from bot.services.events.plans import TimerPlans
from bot.services.events.recurrence import format_local_start, rule_for, to_utc
from bot.services.events.validation import (
    LocalStart,
    NewTime,
    ValidChanges,
    checked_changes,
    checked_channel_id,
    checked_description,
    checked_duration,
    checked_language,
    checked_leads,
    checked_link,
    checked_recurrence,
    checked_start,
    checked_start_text,
    checked_title,
    checked_zone_name,
    series_of,
    usable,
)
from bot.timeutil import format_lead_times, get_zone, utc_iso

log = logging.getLogger(__name__)


class Editing:
    """What organisers and moderators change. ``Editing(db, clock, config, plans, calendar)``."""

    def __init__(
        self, db: Database, clock: Clock, config: Config, plans: TimerPlans, calendar: Calendar
    ) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        self._plans = plans
        self._calendar = calendar

    async def create_event(self, draft: EventDraft) -> Occurrence:
        """Validate and store a series with its occurrences up to the horizon, and their timers,
        without announcing it (see ``create_and_announce``). Returns the first occurrence."""
        return await self._create(draft, announce=False)

    async def create_and_announce(self, draft: EventDraft) -> Occurrence:
        """``create_event`` plus the outbox: in the same transaction, one ``event.announce`` and one
        ``event.mirror`` timer for the first occurrence. The caller tells the member it is created and
        runs them at once (``TimerService.run_now``); if Discord fails, the timers retry, and the
        announcement is posted exactly once however often they run."""
        return await self._create(draft, announce=True)

    async def _create(self, draft: EventDraft, *, announce: bool) -> Occurrence:
        """Validate, then store a series with its occurrences up to the horizon, and their timers.

        Returns the first occurrence. One transaction: on any error nothing is written. Raises
        ``UserFacingError`` with keys ``events.errors.{title_empty, title_too_long,
        description_too_long, bad_link, unknown_timezone, bad_start, start_in_past,
        nonexistent_time, ambiguous_time, bad_duration, bad_lead_times, bad_recurrence}``.
        """
        now = self._clock.now()
        title = checked_title(draft.title)
        description = checked_description(draft.description)
        link = checked_link(draft.link)
        recurrence = checked_recurrence(draft.recurrence)
        language = checked_language(draft.language)
        zone_name = draft.timezone
        if zone_name is None or not zone_name.strip():
            saved = await members_repo.get(self._db, draft.guild_id, draft.organiser_id)
            zone_name = saved.timezone or self._config.timezone
        when = checked_start(checked_start_text(draft.start), checked_zone_name(zone_name), now)
        checked_channel_id(draft.channel_id)
        duration = checked_duration(
            self._config.events.default_duration_minutes
            if draft.duration_minutes is None
            else draft.duration_minutes
        )
        leads = (
            self._config.reminders.default_lead_times
            if draft.lead_times is None
            else checked_leads(draft.lead_times)
        )
        async with self._db.transaction() as tx:
            series_id = await repo.insert_series(
                tx,
                {
                    "guild_id": draft.guild_id,
                    "title": title,
                    "description": description,
                    "link": link,
                    "timezone": when.zone_name,
                    "local_start": format_local_start(when.local),
                    "duration_minutes": duration,
                    "recurrence": recurrence,
                    "channel_id": draft.channel_id,
                    "audience_role_id": draft.audience_role_id,
                    "lead_times": format_lead_times(leads),
                    "organiser_id": draft.organiser_id,
                    "created_at": utc_iso(now),
                    "source_key": None,
                    "language": language,
                },
            )
            assert series_id is not None  # no source_key, so no conflict is possible
            created = await self._calendar.materialise(tx, await series_of(tx, series_id), now)
            if announce:
                await self._plans.schedule_announcement(tx, draft.guild_id, created[0], now)
            first = await repo.get_occurrence(tx, created[0])
        assert first is not None
        log.info(
            "Event series %d created in guild %d (%s, %d occurrences)",
            series_id,
            draft.guild_id,
            recurrence,
            len(created),
        )
        return first

    async def edit_event(
        self,
        occurrence_id: int,
        changes: EventChanges,
        scope: Scope,
        editor_id: int,
        *,
        editor_is_moderator: bool,
    ) -> EditResult:
        """Change one occurrence (``"this"``) or the series from this occurrence on (``"series"``).

        Only the organiser or a moderator may edit (``events.errors.not_organiser``). A changed start,
        duration or lead times cancels the affected occurrences' pending timers and schedules new
        ones. A new channel is where announcements and reminders go from now on (the timers stay:
        they read the channel when they fire). With scope "series" a new start re-anchors the
        series: this and every later occurrence move to the new local time and date pattern
        (cancelled later occurrences are dropped, as they belonged to the old pattern). For a one-off
        event both scopes mean the same. Raises the same
        validation errors as ``create_event`` plus ``events.errors.{unknown_event, event_cancelled,
        already_ended, nothing_to_change, series_start_before_previous, bad_language}`` (a series'
        new start must come after the occurrences before this one).

        The outbox is written in the same transaction (``EditResult.outbox``): a refresh of each
        announced card (a move when the channel changed), of each Events-tab entry, and, when the time
        moved, a "changed" notice DM'd to the members going or maybe (``EditResult.notice_id``).
        """
        if changes.is_empty():
            raise UserFacingError("events.errors.nothing_to_change")
        now = self._clock.now()
        # Every field is checked once, here, before the transaction; the paths below use the result.
        valid = checked_changes(changes)
        async with self._db.transaction() as tx:
            occurrence = await self._changeable(tx, occurrence_id, editor_id, editor_is_moderator, now)
            series = await series_of(tx, occurrence.series_id)
            if occurrence.recurrence == "none":
                scope = "series"
            new_time = _new_time(valid, series, occurrence, now)
            if scope == "this":
                affected = await self._edit_this(tx, occurrence, valid, new_time, now)
            else:
                affected = await self._edit_series(tx, occurrence, series, valid, new_time, now)
            time_changed = new_time is not None or valid.duration_minutes is not None
            notify: list[int] = []
            if time_changed:
                notify = await repo.user_ids_answering(tx, affected, ("going", "maybe"))
            found = [await repo.get_occurrence(tx, affected_id) for affected_id in affected]
            updated = [o for o in found if o is not None]
            outbox = await self._plans.request_updates(tx, updated, now, moved=valid.channel_id is not None)
            edited = next((o for o in updated if o.id == occurrence_id), None)
            notice_id = None
            if edited is not None:
                notice_id, notices = await self._plans.request_notice(
                    tx, edited, "changed", notify, now, post=False
                )
                outbox += notices
        return EditResult(
            occurrences=tuple(updated),
            notify_user_ids=tuple(notify),
            time_changed=time_changed,
            outbox=tuple(outbox),
            notice_id=notice_id,
        )

    async def _edit_this(
        self,
        tx: Transaction,
        occurrence: Occurrence,
        changes: ValidChanges,
        new_time: NewTime | None,
        now: datetime,
    ) -> list[int]:
        overrides: dict[str, Any] = {}
        if changes.title is not None:
            overrides["title"] = changes.title
        if changes.description is not None:
            overrides["description"] = changes.description
        if changes.link is not None:
            overrides["link"] = changes.link  # "" = no link for this one
        if changes.lead_times is not None:
            overrides["lead_times"] = changes.lead_times
        if changes.channel_id is not None:
            overrides["channel_id"] = changes.channel_id
        if changes.language is not None:
            overrides["language"] = changes.language
        duration = (
            timedelta(minutes=changes.duration_minutes)
            if changes.duration_minutes is not None
            else occurrence.ends_at - occurrence.starts_at
        )
        if overrides:
            await repo.set_occurrence_overrides(tx, occurrence.id, overrides)
        if new_time is not None or changes.duration_minutes is not None:
            starts_at = new_time.starts_at if new_time is not None else occurrence.starts_at
            await repo.set_occurrence_times(tx, occurrence.id, starts_at, starts_at + duration)
        if new_time is not None or changes.duration_minutes is not None or changes.lead_times is not None:
            await self._plans.reschedule(tx, occurrence.id, now)
        return [occurrence.id]

    async def _edit_series(
        self,
        tx: Transaction,
        occurrence: Occurrence,
        series: Series,
        changes: ValidChanges,
        new_time: NewTime | None,
        now: datetime,
    ) -> list[int]:
        assert occurrence.original_start is not None
        series_changes: dict[str, Any] = {}
        cleared: list[str] = []
        # A series created before languages were stored has none (NULL, "the channel's"): its earlier
        # occurrences cannot be frozen to it and follow a new language too (they are mostly over).
        for column in ("title", "description", "link", "lead_times", "channel_id", "language"):
            value = getattr(changes, column)
            if value is not None:
                # The series stores NULL for "no link"; an occurrence override stores "".
                series_changes[column] = (value or None) if column == "link" else value
                cleared.append(column)
        if changes.duration_minutes is not None:
            series_changes["duration_minutes"] = changes.duration_minutes
        if new_time is not None:
            # The new pattern starts here: it must come after the occurrences that stay as they were.
            previous = await repo.latest_original_start_before(tx, series.id, occurrence.original_start)
            if previous is not None and new_time.starts_at <= previous:
                raise UserFacingError("events.errors.series_start_before_previous")
            series_changes["timezone"] = new_time.zone_name
            series_changes["local_start"] = format_local_start(new_time.local)
        # Earlier occurrences keep what they had: the edit applies from this occurrence on.
        await repo.freeze_inherited(
            tx, series.id, occurrence.original_start, {column: getattr(series, column) for column in cleared}
        )
        await repo.update_series(tx, series.id, series_changes)
        affected = await repo.occurrences_from(tx, series.id, occurrence.original_start, now)
        affected_ids = [o.id for o in affected]
        await repo.clear_overrides(tx, affected_ids, cleared)
        duration = timedelta(minutes=series_changes.get("duration_minutes", series.duration_minutes))
        if new_time is not None:
            # Re-anchor: the n-th remaining occurrence becomes the n-th of the new pattern, keeping
            # its id (and so its RSVPs, announcement and Discord event).
            await repo.delete_cancelled_from(tx, series.id, occurrence.original_start)
            rule = rule_for(series.recurrence, new_time.local)
            zone = get_zone(new_time.zone_name)
            locals_ = [new_time.local] if rule is None else list(itertools.islice(iter(rule), len(affected)))
            moves = [
                (o.id, to_utc(local, zone), to_utc(local, zone) + duration)
                for o, local in zip(affected, locals_, strict=True)
            ]
            await repo.reanchor_occurrences(tx, moves)
        elif changes.duration_minutes is not None:
            for o in affected:
                await repo.set_occurrence_times(tx, o.id, o.starts_at, o.starts_at + duration)
        if new_time is not None or changes.duration_minutes is not None or changes.lead_times is not None:
            for affected_id in affected_ids:
                await self._plans.reschedule(tx, affected_id, now)
        if series.recurrence != "none":
            affected_ids += await self._calendar.materialise(tx, await series_of(tx, series.id), now)
        return affected_ids

    async def cancel_event(
        self, occurrence_id: int, scope: Scope, editor_id: int, *, editor_is_moderator: bool
    ) -> CancelResult:
        """Cancel one occurrence or the series (this and all later occurrences; the series stops).

        Pending timers of cancelled occurrences are cancelled in the same transaction, and the outbox
        written (``CancelResult.outbox``): each announced card and Events-tab entry updated, and a
        "cancelled" notice posted in the channel and DM'd to who was going or maybe. The occurrence
        asked for comes first in ``CancelResult.occurrences``. Raises
        ``events.errors.{unknown_event, event_cancelled, not_organiser, already_ended}``.
        """
        now = self._clock.now()
        async with self._db.transaction() as tx:
            occurrence = await self._changeable(tx, occurrence_id, editor_id, editor_is_moderator, now)
            assert occurrence.original_start is not None
            if scope == "this" and occurrence.recurrence != "none":
                cancelled = [occurrence.id]
            else:
                await repo.set_series_cancelled(tx, occurrence.series_id)
                later = await repo.occurrences_from(tx, occurrence.series_id, occurrence.original_start, now)
                cancelled = [o.id for o in later]
            if occurrence.id in cancelled:
                cancelled.remove(occurrence.id)
            cancelled.insert(0, occurrence.id)
            await repo.cancel_occurrences(tx, cancelled)
            for cancelled_id in cancelled:
                # Every timer still due for it, its outbox included (no card for a cancelled event);
                # the cancellation's own outbox is written after.
                await self._plans.cancel(tx, cancelled_id)
            notify = await repo.user_ids_answering(tx, cancelled, ("going", "maybe"))
            found = [await repo.get_occurrence(tx, cancelled_id) for cancelled_id in cancelled]
            updated = [o for o in found if o is not None]
            outbox = await self._plans.request_updates(tx, updated, now)
            notice_id, notices = await self._plans.request_notice(
                tx,
                updated[0],
                "cancelled",
                notify,
                now,
                post=True,
                series_count=len(cancelled) if scope == "series" else None,
            )
            outbox += notices
        log.info("Event occurrence %d cancelled (%s): %d occurrence(s)", occurrence_id, scope, len(cancelled))
        return CancelResult(
            occurrences=tuple(updated),
            notify_user_ids=tuple(notify),
            outbox=tuple(outbox),
            notice_id=notice_id,
        )

    async def _changeable(
        self, tx: Transaction, occurrence_id: int, editor_id: int, editor_is_moderator: bool, now: datetime
    ) -> Occurrence:
        occurrence = await usable(tx, occurrence_id)
        if not editor_is_moderator and editor_id != occurrence.organiser_id:
            raise PermissionDenied("events.errors.not_organiser")
        if occurrence.ends_at <= now:
            raise UserFacingError("events.errors.already_ended")
        return occurrence


def _new_time(changes: ValidChanges, series: Series, occurrence: Occurrence, now: datetime) -> NewTime | None:
    """The new start of an edit (its text and zone already checked), or None when it does not move."""
    if changes.start is None and changes.timezone is None:
        return None
    zone_name = changes.timezone if changes.timezone is not None else series.timezone
    if changes.start is not None:
        return checked_start(changes.start, zone_name, now)
    # Only the zone changes: keep the wall-clock time, read it in the new zone.
    current_local = occurrence.starts_at.astimezone(get_zone(series.timezone)).replace(tzinfo=None)
    return checked_start(LocalStart(format_local_start(current_local), current_local), zone_name, now)
