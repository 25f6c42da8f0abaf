"""Events: one-off and recurring Alliance events, RSVPs, check-ins, reminders and calendar export.

This is the reference feature: the cog in ``cogs/events/`` parses options, checks permissions,
calls :class:`EventService` and renders what it returns. Everything that decides something lives in
this package, one module for each kind of thing:

* :mod:`.model`: timer kinds, limits and the plain values taken and returned (series, occurrences);
* :mod:`.validation`: the checks of what a member typed, before anything is written;
* :mod:`.editing`: create, edit, cancel;
* :mod:`.plans`: the timers of an occurrence, and what each must do when it fires;
* :mod:`.calendar`: materialising series up to the horizon, seeding the configured calendar, .ics
  (built by :mod:`.ics` from the rules of :mod:`.recurrence`);
* here: RSVPs, check-ins and reads, and the service the cog calls, composed of the pieces above.

Errors the user can fix are ``UserFacingError("events.errors.<key>", ...)``; every key is in
``bot/locales/<lang>/events.yml``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.config import Config, RecurringEventConfig
from bot.db import Database
from bot.errors import Choices, NotFound, UserFacingError
from bot.limits import excerpt
from bot.repositories import engagement as engagement_repo
from bot.repositories import events as repo
from bot.services.events.calendar import Calendar
from bot.services.events.editing import Editing
from bot.services.events.model import (
    CHECK_IN_EARLY,
    EVENT_ANNOUNCE,
    EVENT_END,
    EVENT_HORIZON,
    EVENT_MIRROR,
    EVENT_MOVE,
    EVENT_NOTICE,
    EVENT_NOTIFY,
    EVENT_REFRESH,
    EVENT_REMINDER,
    EVENT_START,
    MAX_DESCRIPTION_LENGTH,
    MAX_DURATION,
    MAX_DURATION_MINUTES,
    MAX_LINK_LENGTH,
    MAX_TITLE_LENGTH,
    RECURRENCES,
    REFRESH_DEBOUNCE,
    RSVP_STATUSES,
    Attendees,
    CancelResult,
    CheckIn,
    CheckInResult,
    DmStatus,
    EditResult,
    EndPlan,
    EventChanges,
    EventDraft,
    MeetingLink,
    MovePlan,
    NoticeDmStatus,
    NoticeOutcome,
    NoticePlan,
    Occurrence,
    OutboxTimer,
    ReminderPlan,
    Rsvp,
    RsvpAnswer,
    RsvpCounts,
    Scope,
    SeedResult,
    StartPlan,
    UpcomingPage,
)
from bot.services.events.plans import TimerPlans
from bot.services.events.validation import checked_usable, require_audience, usable

if TYPE_CHECKING:
    from bot.services.timers import TimerService

log = logging.getLogger(__name__)

__all__ = [
    "CHECK_IN_EARLY",
    "EVENT_ANNOUNCE",
    "EVENT_END",
    "EVENT_HORIZON",
    "EVENT_MIRROR",
    "EVENT_MOVE",
    "EVENT_NOTICE",
    "EVENT_NOTIFY",
    "EVENT_REFRESH",
    "EVENT_REMINDER",
    "EVENT_START",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_DURATION_MINUTES",
    "MAX_LINK_LENGTH",
    "MAX_TITLE_LENGTH",
    "RECURRENCES",
    "REFRESH_DEBOUNCE",
    "RSVP_STATUSES",
    "Attendees",
    "CancelResult",
    "CheckIn",
    "CheckInResult",
    "EditResult",
    "EndPlan",
    "EventChanges",
    "EventDraft",
    "EventService",
    "MeetingLink",
    "MovePlan",
    "NoticeDmStatus",
    "NoticeOutcome",
    "NoticePlan",
    "Occurrence",
    "OutboxTimer",
    "ReminderPlan",
    "Rsvp",
    "RsvpAnswer",
    "RsvpCounts",
    "Scope",
    "SeedResult",
    "StartPlan",
    "UpcomingPage",
]


class EventService:
    """Events logic. ``EventService(db, clock, timers, config)``; no Discord here.

    RSVPs, check-ins and reads are here; creating and changing events is :class:`Editing`, timers
    and their decisions :class:`TimerPlans`, the horizon, seeding and .ics :class:`Calendar`.
    """

    def __init__(self, db: Database, clock: Clock, timers: TimerService, config: Config) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._plans = TimerPlans(db, clock, timers)
        self._calendar = Calendar(db, clock, timers, self._plans, config)
        self._editing = Editing(db, clock, config, self._plans, self._calendar)

    # --- creating and changing (editing.py) -----------------------------------------------------------

    async def create_event(self, draft: EventDraft) -> Occurrence:
        """See :meth:`Editing.create_event`."""
        return await self._editing.create_event(draft)

    async def create_and_announce(self, draft: EventDraft) -> Occurrence:
        """See :meth:`Editing.create_and_announce`."""
        return await self._editing.create_and_announce(draft)

    async def edit_event(
        self,
        occurrence_id: int,
        changes: EventChanges,
        scope: Scope,
        editor_id: int,
        *,
        editor_is_moderator: bool,
    ) -> EditResult:
        """See :meth:`Editing.edit_event`."""
        return await self._editing.edit_event(
            occurrence_id, changes, scope, editor_id, editor_is_moderator=editor_is_moderator
        )

    async def cancel_event(
        self, occurrence_id: int, scope: Scope, editor_id: int, *, editor_is_moderator: bool
    ) -> CancelResult:
        """See :meth:`Editing.cancel_event`."""
        return await self._editing.cancel_event(
            occurrence_id, scope, editor_id, editor_is_moderator=editor_is_moderator
        )

    # --- RSVPs and check-ins --------------------------------------------------------------------

    async def rsvp(
        self,
        occurrence_id: int,
        user_id: int,
        status: str,
        member_role_ids: Collection[int],
        *,
        guild_id: int | None = None,
    ) -> RsvpAnswer:
        """Record a member's answer (latest wins); returns the occurrence and its new counts.

        ``guild_id``, when given, is where the member clicked: an occurrence of another guild is
        unknown there. Raises ``events.errors.{unknown_event, event_cancelled, already_ended,
        not_in_audience (with role_id and title), bad_rsvp_status}``.
        """
        if status not in RSVP_STATUSES:
            raise UserFacingError(
                "events.errors.bad_rsvp_status",
                status=excerpt(status),
                choices=Choices("cmd.event.rsvp.choices", RSVP_STATUSES),
            )
        now = self._clock.now()
        refresh_due = now + REFRESH_DEBOUNCE
        mark_refresh = self._timers.pending_marker(EVENT_REFRESH, refresh_due)

        def answer(conn: sqlite3.Connection) -> tuple[RsvpAnswer, int | None]:
            # One action for the whole click: read, check, write, mark, count.
            occurrence = repo.occurrence_in(conn, occurrence_id)
            if occurrence is not None and guild_id is not None and occurrence.guild_id != guild_id:
                occurrence = None
            occurrence = checked_usable(occurrence)
            if occurrence.ends_at <= now:
                raise UserFacingError("events.errors.already_ended")
            require_audience(occurrence, member_role_ids)
            repo.upsert_rsvp_in(conn, occurrence_id, user_id, status, now)
            # The announcement must show the new counts: a durable mark (one pending timer per
            # occurrence) committed with the answer, so a restart inside the debounce loses nothing.
            refresh = mark_refresh(conn, {"guild_id": occurrence.guild_id, "occurrence_id": occurrence_id})
            return RsvpAnswer(occurrence, repo.counts_in(conn, occurrence_id)), refresh

        answered, refresh = await self._db.write(answer)
        if refresh is not None:
            self._timers.scheduled(refresh_due)
        return answered

    async def counts(self, occurrence_id: int) -> RsvpCounts:
        return await self._db.read(repo.counts_in, occurrence_id)

    async def attendees(self, occurrence_id: int) -> Attendees:
        """RSVPs and check-ins of an occurrence (``events.errors.unknown_event`` if none)."""
        if await repo.get_occurrence(self._db, occurrence_id) is None:
            raise NotFound("events.errors.unknown_event")
        return Attendees(
            rsvps=tuple(await repo.rsvps(self._db, occurrence_id)),
            check_ins=tuple(await repo.check_ins(self._db, occurrence_id)),
        )

    async def check_in(
        self, occurrence_id: int, user_id: int, member_role_ids: Collection[int]
    ) -> CheckInResult:
        """Record attendance, allowed from ``CHECK_IN_EARLY`` before the start until the end.

        Checking in twice is fine (``already=True``, the first time is kept). Raises
        ``events.errors.{unknown_event, event_cancelled, check_in_not_open, check_in_closed,
        not_in_audience}``.
        """
        now = self._clock.now()
        async with self._db.transaction() as tx:
            occurrence = await usable(tx, occurrence_id)
            if now < occurrence.starts_at - CHECK_IN_EARLY:
                raise UserFacingError(
                    "events.errors.check_in_not_open", minutes=int(CHECK_IN_EARLY.total_seconds() // 60)
                )
            if now >= occurrence.ends_at:
                raise UserFacingError("events.errors.check_in_closed")
            require_audience(occurrence, member_role_ids)
            inserted = await repo.insert_check_in(tx, occurrence_id, user_id, now)
            check_in = await repo.get_check_in(tx, occurrence_id, user_id)
        assert check_in is not None
        return CheckInResult(occurrence=occurrence, check_in=check_in, already=not inserted)

    async def meeting_link(
        self, occurrence_id: int, user_id: int, member_role_ids: Collection[int], *, guild_id: int | None
    ) -> MeetingLink:
        """The meeting link behind an event's "Join the meeting" button, the click counted (once per
        member for the unique count, every press in ``clicks``). The count is best effort: when it
        fails the link is still returned (``counted=False``), logged. Raises ``events.errors.
        {unknown_event, event_cancelled, no_link, not_in_audience}``.

        ``member_role_ids``: the member's roles in the event's server; an event for an audience role
        (a leaders-only roundtable) gives its link only to that role, as its RSVPs. ``guild_id``: the
        server the button was pressed in, refused unless it is the event's; None for a button in a DM
        (a reminder DM), which has no server: the click counts for the event's own server, as read
        from the database with the occurrence, and the caller reads the roles there."""
        occurrence = await usable(self._db, occurrence_id)
        if guild_id is not None and occurrence.guild_id != guild_id:
            raise NotFound("events.errors.unknown_event")
        require_audience(occurrence, member_role_ids)
        if not occurrence.link:
            raise UserFacingError("events.errors.no_link", title=occurrence.title)
        try:
            first = await self._db.write(
                engagement_repo.record_link_click, occurrence_id, user_id, self._clock.now()
            )
        except Exception:
            log.warning("Meeting-link click on occurrence %s not counted", occurrence_id, exc_info=True)
            return MeetingLink(occurrence, occurrence.link, counted=False, first=False)
        return MeetingLink(occurrence, occurrence.link, counted=True, first=first)

    # --- queries ----------------------------------------------------------------------------------

    async def get_occurrence(self, occurrence_id: int, *, include_cancelled: bool = False) -> Occurrence:
        """One occurrence with counts; ``NotFound("events.errors.unknown_event")`` when missing,
        ``UserFacingError("events.errors.event_cancelled")`` when cancelled (unless ``include_cancelled``)."""
        if include_cancelled:
            occurrence = await repo.get_occurrence(self._db, occurrence_id)
            if occurrence is None:
                raise NotFound("events.errors.unknown_event")
            return occurrence
        return await usable(self._db, occurrence_id)

    async def upcoming(
        self, guild_id: int, *, days: int = 60, limit: int = 10, offset: int = 0
    ) -> UpcomingPage:
        """Scheduled occurrences not yet ended and starting within ``days``, soonest first, with counts.

        One query for the page (counts included), one for the total, both in one hand-off to the
        database thread and from one snapshot (the total agrees with the page).
        """
        now = self._clock.now()
        until = now + timedelta(days=max(days, 0))
        items, total = await self._db.read(
            repo.upcoming_page, guild_id, now, until, MAX_DURATION, max(limit, 0), max(offset, 0)
        )
        return UpcomingPage(items=tuple(items), total=total)

    async def search(self, guild_id: int, text: str, *, limit: int = 25) -> list[Occurrence]:
        """Autocomplete: scheduled, not-ended occurrences whose title contains ``text`` (case-insensitive)
        or whose UTC date starts with it ("2026-06"); title-prefix matches first, then soonest."""
        return await repo.search(self._db, guild_id, text, self._clock.now(), MAX_DURATION, max(limit, 0))

    async def set_announcement(self, occurrence_id: int, channel_id: int, message_id: int) -> None:
        """Remember the message announcing an occurrence (the cog edits it on RSVP/edit/cancel)."""
        async with self._db.transaction() as tx:
            if not await repo.set_announcement(tx, occurrence_id, channel_id, message_id):
                raise NotFound("events.errors.unknown_event")

    async def set_discord_event_id(self, occurrence_id: int, discord_event_id: int | None) -> None:
        """Remember the Discord scheduled event mirroring an occurrence (None to forget it)."""
        async with self._db.transaction() as tx:
            if not await repo.set_discord_event_id(tx, occurrence_id, discord_event_id):
                raise NotFound("events.errors.unknown_event")

    async def next_per_audience(self, guild_id: int) -> list[Occurrence]:
        """The next upcoming occurrence of each audience role in use (for the start-up ping check)."""
        return await repo.next_per_audience(self._db, guild_id, self._clock.now())

    # --- calendar (calendar.py) -----------------------------------------------------------------------

    async def occurrences_for_calendar(
        self, guild_id: int, *, occurrence_id: int | None = None
    ) -> list[Occurrence]:
        """See :meth:`Calendar.occurrences_for_calendar`."""
        return await self._calendar.occurrences_for_calendar(guild_id, occurrence_id=occurrence_id)

    async def ics_for(self, guild_id: int, occurrence_id: int | None = None) -> bytes:
        """See :meth:`Calendar.ics_for`."""
        return await self._calendar.ics_for(guild_id, occurrence_id)

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
        """See :meth:`Calendar.seed_calendar`."""
        return await self._calendar.seed_calendar(
            guild_id, calendar, channel_ids, role_ids, language, organiser_id=organiser_id
        )

    async def extend_horizons(self, guild_id: int | None = None) -> int:
        """See :meth:`Calendar.extend_horizons`."""
        return await self._calendar.extend_horizons(guild_id)

    # --- timer decisions (plans.py) -------------------------------------------------------------------

    async def reminder_delivery(self, payload: Mapping[str, Any], now: datetime) -> ReminderPlan | None:
        """See :meth:`TimerPlans.reminder_delivery`."""
        return await self._plans.reminder_delivery(payload, now)

    async def record_reminder_posted(
        self, occurrence_id: int, lead_seconds: int, channel_message_id: int | None
    ) -> None:
        """See :meth:`TimerPlans.record_reminder_posted`."""
        await self._plans.record_reminder_posted(occurrence_id, lead_seconds, channel_message_id)

    async def record_dm(self, occurrence_id: int, lead_seconds: int, user_id: int, status: DmStatus) -> None:
        """See :meth:`TimerPlans.record_dm`."""
        await self._plans.record_dm(occurrence_id, lead_seconds, user_id, status)

    async def start_plan(self, payload: Mapping[str, Any], now: datetime) -> StartPlan | None:
        """See :meth:`TimerPlans.start_plan`."""
        return await self._plans.start_plan(payload, now)

    async def end_plan(self, payload: Mapping[str, Any]) -> EndPlan | None:
        """See :meth:`TimerPlans.end_plan`."""
        return await self._plans.end_plan(payload)

    async def outbox_occurrence(self, payload: Mapping[str, Any]) -> Occurrence | None:
        """See :meth:`TimerPlans.outbox_occurrence`."""
        return await self._plans.outbox_occurrence(payload)

    async def request_mirror(self, occurrence: Occurrence) -> None:
        """See :meth:`TimerPlans.request_mirror`."""
        await self._plans.request_mirror(occurrence)

    async def move_plan(self, payload: Mapping[str, Any]) -> MovePlan | None:
        """See :meth:`TimerPlans.move_plan`."""
        return await self._plans.move_plan(payload)

    async def notice_plan(self, payload: Mapping[str, Any]) -> NoticePlan | None:
        """See :meth:`TimerPlans.notice_plan`."""
        return await self._plans.notice_plan(payload)

    async def record_notice_posted(self, notice_id: int, channel_message_id: int | None) -> None:
        """See :meth:`TimerPlans.record_notice_posted`."""
        await self._plans.record_notice_posted(notice_id, channel_message_id)

    async def record_notice_dm(self, notice_id: int, user_id: int, status: NoticeDmStatus) -> None:
        """See :meth:`TimerPlans.record_notice_dm`."""
        await self._plans.record_notice_dm(notice_id, user_id, status)

    async def notice_outcome(self, notice_id: int) -> NoticeOutcome:
        """See :meth:`TimerPlans.notice_outcome`."""
        return await self._plans.notice_outcome(notice_id)
