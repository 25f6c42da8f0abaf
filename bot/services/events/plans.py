"""An occurrence's timers: which are written for it, and what each must do when it fires.

``event.reminder`` (``guild_id``, ``occurrence_id``, ``lead_seconds``, ``starts_at``) for each lead
time still in the future, ``event.start`` (``guild_id``, ``occurrence_id``, ``starts_at``) and
``event.end`` (``guild_id``, ``occurrence_id``, ``ends_at``) are written in the transaction that
creates the occurrence. Editing the time or lead times replaces them; cancelling cancels them.

The timer handlers (registered by the cog, which owns Discord) ask what to do:
:meth:`TimerPlans.reminder_delivery`, :meth:`TimerPlans.start_plan`, :meth:`TimerPlans.end_plan`.
Because each payload carries the planned time, a timer that escaped cancellation is recognised as
stale here and does nothing. After posting the handler records it
(:meth:`TimerPlans.record_reminder_posted`, :meth:`TimerPlans.record_dm`), so a retried timer never
posts twice.

The outbox of an edit or a cancellation (:meth:`TimerPlans.request_updates`,
:meth:`TimerPlans.request_notice`) is written in the action's transaction: ``event.refresh`` or
``event.move`` for each announced occurrence, ``event.mirror`` for each one in the Events tab (both with
``ensure_pending``: a burst of edits makes one of each), and a notice with its recipients
(``event_notices``), posted by ``event.notice`` and DM'd by ``event.notify``, each step recorded
(:meth:`TimerPlans.record_notice_posted`, :meth:`TimerPlans.record_notice_dm`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.db import Database, Transaction
from bot.repositories import events as repo
from bot.services.events.model import (
    EVENT_ANNOUNCE,
    EVENT_END,
    EVENT_MIRROR,
    EVENT_MOVE,
    EVENT_NOTICE,
    EVENT_NOTIFY,
    EVENT_REFRESH,
    EVENT_REMINDER,
    EVENT_START,
    OCCURRENCE_TIMER_KINDS,
    OUTBOX_GRACE,
    REMINDER_LATE_AFTER,
    START_ANNOUNCE_GRACE,
    TIMED_KINDS,
    DmStatus,
    EndPlan,
    MovePlan,
    NoticeDmStatus,
    NoticeOutcome,
    NoticePlan,
    Occurrence,
    OutboxTimer,
    ReminderPlan,
    StartPlan,
)
from bot.timeutil import from_iso, utc_iso

if TYPE_CHECKING:
    from bot.services.timers import TimerService

log = logging.getLogger(__name__)


class TimerPlans:
    """The timers of occurrences, written and decided. ``TimerPlans(db, clock, timers)``."""

    def __init__(self, db: Database, clock: Clock, timers: TimerService) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers

    # --- writing (inside the caller's transaction) --------------------------------------------------

    async def schedule(
        self,
        tx: Transaction,
        guild_id: int,
        occurrence_id: int,
        starts_at: datetime,
        ends_at: datetime,
        leads: tuple[timedelta, ...],
        now: datetime,
    ) -> None:
        start_iso = utc_iso(starts_at)
        for lead in leads:
            due = starts_at - lead
            if due > now:  # a reminder whose moment has passed would only be noise
                payload = {
                    "guild_id": guild_id,
                    "occurrence_id": occurrence_id,
                    "lead_seconds": int(lead.total_seconds()),
                    "starts_at": start_iso,
                }
                await self._timers.schedule(EVENT_REMINDER, due, payload, tx=tx)
        if starts_at > now:
            start_payload = {"guild_id": guild_id, "occurrence_id": occurrence_id, "starts_at": start_iso}
            await self._timers.schedule(EVENT_START, starts_at, start_payload, tx=tx)
        if ends_at > now:
            end_payload = {"guild_id": guild_id, "occurrence_id": occurrence_id, "ends_at": utc_iso(ends_at)}
            await self._timers.schedule(EVENT_END, ends_at, end_payload, tx=tx)

    async def cancel(
        self, tx: Transaction, occurrence_id: int, kinds: tuple[str, ...] = OCCURRENCE_TIMER_KINDS
    ) -> None:
        for kind in kinds:
            await self._timers.cancel_matching(kind, tx=tx, occurrence_id=occurrence_id)

    async def reschedule(self, tx: Transaction, occurrence_id: int, now: datetime) -> None:
        """Replace an occurrence's pending timed timers with ones for its current times and lead times
        (its outbox and refresh timers stay: they do not depend on the time)."""
        await self.cancel(tx, occurrence_id, TIMED_KINDS)
        occurrence = await repo.get_occurrence(tx, occurrence_id)
        assert occurrence is not None
        await self.schedule(
            tx,
            occurrence.guild_id,
            occurrence_id,
            occurrence.starts_at,
            occurrence.ends_at,
            occurrence.lead_times,
            now,
        )

    async def schedule_announcement(
        self, tx: Transaction, guild_id: int, occurrence_id: int, now: datetime
    ) -> None:
        """The outbox of a new event: its announcement card and its Discord Events-tab mirror."""
        outbox = {"guild_id": guild_id, "occurrence_id": occurrence_id}
        await self._timers.schedule(EVENT_ANNOUNCE, now + OUTBOX_GRACE, outbox, tx=tx)
        await self._timers.schedule(EVENT_MIRROR, now + OUTBOX_GRACE, outbox, tx=tx)

    async def request_updates(
        self, tx: Transaction, occurrences: Sequence[Occurrence], now: datetime, *, moved: bool = False
    ) -> list[OutboxTimer]:
        """The outbox of an edit or a cancellation, for each occurrence as it is now: re-render its
        card (``event.refresh``; ``event.move`` when ``moved`` gave it another channel) and its Events-tab
        entry (``event.mirror``). Occurrences without a card or entry need nothing: a card or an entry
        still waiting in the outbox (``event.announce``, ``event.mirror``) is made from what they are
        when it runs. One pending timer of each per occurrence, however many edits come."""
        due = now + OUTBOX_GRACE
        written: list[OutboxTimer] = []
        for occurrence in occurrences:
            payload = {"guild_id": occurrence.guild_id, "occurrence_id": occurrence.id}
            if occurrence.announcement_channel_id is not None and occurrence.announcement_message_id:
                if moved and occurrence.announcement_channel_id != occurrence.channel_id:
                    move = {
                        **payload,
                        "from_channel_id": occurrence.announcement_channel_id,
                        "from_message_id": occurrence.announcement_message_id,
                    }
                    await self._timers.ensure_pending(EVENT_MOVE, due, move, tx=tx)
                    written.append(OutboxTimer(EVENT_MOVE, move))
                else:
                    await self._timers.ensure_pending(EVENT_REFRESH, due, payload, tx=tx)
                    written.append(OutboxTimer(EVENT_REFRESH, payload))
            if occurrence.discord_event_id is not None:
                await self._timers.ensure_pending(EVENT_MIRROR, due, payload, tx=tx)
                written.append(OutboxTimer(EVENT_MIRROR, payload))
        return written

    async def request_notice(
        self,
        tx: Transaction,
        occurrence: Occurrence,
        kind: str,
        user_ids: Sequence[int],
        now: datetime,
        *,
        post: bool,
        series_count: int | None = None,
    ) -> tuple[int | None, list[OutboxTimer]]:
        """A notice of ``occurrence`` (``kind`` "changed" or "cancelled") and its outbox: the post in its
        channel (``post``; ``event.notice``) and a DM to each of ``user_ids`` (``event.notify``). The
        notice id, None when there is nobody and nothing to tell."""
        if not post and not user_ids:
            return None, []
        notice_id = await repo.insert_notice(tx, occurrence.id, kind, series_count, user_ids, now, post=post)
        payload = {"guild_id": occurrence.guild_id, "occurrence_id": occurrence.id, "notice_id": notice_id}
        written: list[OutboxTimer] = []
        for wanted, timer_kind in ((post, EVENT_NOTICE), (bool(user_ids), EVENT_NOTIFY)):
            if wanted:
                await self._timers.schedule(timer_kind, now + OUTBOX_GRACE, payload, tx=tx)
                written.append(OutboxTimer(timer_kind, payload))
        return notice_id, written

    # --- deciding (when a timer fires) ----------------------------------------------------------------

    async def reminder_delivery(self, payload: Mapping[str, Any], now: datetime) -> ReminderPlan | None:
        """Decide what an ``event.reminder`` timer sends, or None when it must send nothing:
        the occurrence is gone or cancelled, it moved (payload start or lead no longer match), it has
        already started, or everything was already delivered."""
        try:
            occurrence_id, lead_seconds = int(payload["occurrence_id"]), int(payload["lead_seconds"])
            planned_start = from_iso(str(payload["starts_at"]))
        except (KeyError, TypeError, ValueError):
            log.warning("Ignoring an event reminder with a malformed payload: %r", dict(payload))
            return None
        occurrence = await repo.get_occurrence(self._db, occurrence_id)
        if occurrence is None or occurrence.status != "scheduled" or occurrence.starts_at != planned_start:
            return None
        lead = timedelta(seconds=lead_seconds)
        if lead not in occurrence.lead_times or now >= occurrence.starts_at:
            return None
        posted, message_id = await repo.reminder_post(self._db, occurrence_id, lead_seconds)
        recipients = await repo.pending_dm_recipients(
            self._db, occurrence_id, occurrence.guild_id, lead_seconds
        )
        if posted and not recipients:
            return None
        return ReminderPlan(
            occurrence=occurrence,
            lead=lead,
            late=now - (occurrence.starts_at - lead) > REMINDER_LATE_AFTER,
            post_to_channel=not posted,
            channel_message_id=message_id,
            dm_user_ids=tuple(recipients),
        )

    async def record_reminder_posted(
        self, occurrence_id: int, lead_seconds: int, channel_message_id: int | None
    ) -> None:
        """Log that the channel reminder went out (idempotent: the first record wins)."""
        async with self._db.transaction() as tx:
            await repo.record_reminder_post(
                tx, occurrence_id, lead_seconds, channel_message_id, self._clock.now()
            )

    async def record_dm(self, occurrence_id: int, lead_seconds: int, user_id: int, status: DmStatus) -> None:
        """Log one reminder DM: "sent", or "skipped_closed" when the member's DMs are closed
        (never retried). Idempotent."""
        if status not in ("sent", "skipped_closed"):
            raise ValueError(f"unknown DM status {status!r}")
        async with self._db.transaction() as tx:
            await repo.record_dm(tx, occurrence_id, lead_seconds, user_id, status, self._clock.now())

    async def start_plan(self, payload: Mapping[str, Any], now: datetime) -> StartPlan | None:
        """Decide what an ``event.start`` timer does; None when gone, cancelled, moved, or more than
        ``START_ANNOUNCE_GRACE`` late (a "starting now" hours later helps nobody)."""
        occurrence = await self._timer_occurrence(payload, "starts_at")
        if occurrence is None or now > occurrence.starts_at + START_ANNOUNCE_GRACE:
            return None
        going = await repo.user_ids_answering(self._db, [occurrence.id], ("going",))
        return StartPlan(occurrence=occurrence, going_user_ids=tuple(going))

    async def end_plan(self, payload: Mapping[str, Any]) -> EndPlan | None:
        """Decide what an ``event.end`` timer does; None when the occurrence is gone, cancelled or moved."""
        occurrence = await self._timer_occurrence(payload, "ends_at")
        if occurrence is None:
            return None
        return EndPlan(occurrence=occurrence, checked_in=await repo.count_check_ins(self._db, occurrence.id))

    async def outbox_occurrence(self, payload: Mapping[str, Any]) -> Occurrence | None:
        """The occurrence an ``event.announce`` / ``event.mirror`` / ``event.refresh`` timer is about;
        None when it is gone or the payload is malformed (nothing to do). Cancelled ones are returned:
        a refresh must still show "cancelled"; the announce and mirror handlers skip them."""
        try:
            occurrence_id = int(payload["occurrence_id"])
        except (KeyError, TypeError, ValueError):
            log.warning("Ignoring an event timer with a malformed payload: %r", dict(payload))
            return None
        return await repo.get_occurrence(self._db, occurrence_id)

    async def notice_plan(self, payload: Mapping[str, Any]) -> NoticePlan | None:
        """What an ``event.notice`` / ``event.notify`` timer is about; None when the notice is gone (its
        occurrence was deleted) or the payload is malformed."""
        try:
            notice_id = int(payload["notice_id"])
        except (KeyError, TypeError, ValueError):
            log.warning("Ignoring an event notice timer with a malformed payload: %r", dict(payload))
            return None
        notice = await repo.get_notice(self._db, notice_id)
        if notice is None:
            return None
        occurrence = await repo.get_occurrence(self._db, notice.occurrence_id)
        if occurrence is None:
            return None
        pending = await repo.notice_recipients(self._db, notice_id, "pending")
        return NoticePlan(notice=notice, occurrence=occurrence, dm_user_ids=tuple(pending))

    async def record_notice_posted(self, notice_id: int, channel_message_id: int | None) -> None:
        """The notice's channel post is done (None: it cannot be made). Idempotent: the first wins."""
        async with self._db.transaction() as tx:
            await repo.record_notice_post(tx, notice_id, channel_message_id, self._clock.now())

    async def record_notice_dm(self, notice_id: int, user_id: int, status: NoticeDmStatus) -> None:
        """One member's DM of a notice: "sent", "skipped_closed" (closed DMs) or "opted_out" (event DMs
        off); none of them is tried again. Idempotent: only a pending DM is recorded."""
        if status not in ("sent", "skipped_closed", "opted_out"):
            raise ValueError(f"unknown DM status {status!r}")
        async with self._db.transaction() as tx:
            await repo.record_notice_dm(tx, notice_id, user_id, status, self._clock.now())

    async def notice_outcome(self, notice_id: int) -> NoticeOutcome:
        """How far a notice got (for the organiser's answer)."""
        notice = await repo.get_notice(self._db, notice_id)
        sent = await repo.notice_recipients(self._db, notice_id, "sent")
        pending = await repo.notice_recipients(self._db, notice_id, "pending")
        return NoticeOutcome(sent=len(sent), pending=len(pending), posted=notice is None or notice.posted)

    async def move_plan(self, payload: Mapping[str, Any]) -> MovePlan | None:
        """What an ``event.move`` timer must do; None when the occurrence is gone or the payload is
        malformed. ``announced``: its card already is elsewhere than the old one (an earlier attempt)."""
        try:
            occurrence_id = int(payload["occurrence_id"])
            from_channel_id, from_message_id = (
                int(payload["from_channel_id"]),
                int(payload["from_message_id"]),
            )
        except (KeyError, TypeError, ValueError):
            log.warning("Ignoring an event move with a malformed payload: %r", dict(payload))
            return None
        occurrence = await repo.get_occurrence(self._db, occurrence_id)
        if occurrence is None:
            return None
        return MovePlan(
            occurrence=occurrence,
            from_channel_id=from_channel_id,
            from_message_id=from_message_id,
            announced=occurrence.announcement_message_id not in (None, from_message_id),
        )

    async def request_mirror(self, occurrence: Occurrence) -> None:
        """Queue showing ``occurrence`` in Discord's Events tab (an ``event.mirror`` outbox timer)."""
        await self._timers.ensure_pending(
            EVENT_MIRROR,
            self._clock.now(),
            {"guild_id": occurrence.guild_id, "occurrence_id": occurrence.id},
        )

    async def _timer_occurrence(self, payload: Mapping[str, Any], time_field: str) -> Occurrence | None:
        try:
            occurrence_id, planned = int(payload["occurrence_id"]), from_iso(str(payload[time_field]))
        except (KeyError, TypeError, ValueError):
            log.warning("Ignoring an event timer with a malformed payload: %r", dict(payload))
            return None
        occurrence = await repo.get_occurrence(self._db, occurrence_id)
        if occurrence is None or occurrence.status != "scheduled":
            return None
        actual = occurrence.starts_at if time_field == "starts_at" else occurrence.ends_at
        return occurrence if actual == planned else None
