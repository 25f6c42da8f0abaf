"""The decisions of the reminder, start and end timers (events/plans.py): what to post or DM, and only
once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import FakeClock
from bot.db import Database
from bot.services.events import (
    EVENT_END,
    EVENT_REMINDER,
    EVENT_START,
    EventChanges,
    EventService,
)
from bot.services.members import MemberSettingsService
from bot.services.timers import TimerService
from tests.services.events.helpers import GUILD, MEMBER, ORGANISER, draft, pending, utc


async def reminder_payload(timers: TimerService, lead_seconds: int) -> dict[str, Any]:
    [timer] = [t for t in await pending(timers, EVENT_REMINDER) if t.payload["lead_seconds"] == lead_seconds]
    return timer.payload


async def test_reminder_delivery_plan_and_idempotency(
    events: EventService, timers: TimerService, db: Database, clock: FakeClock
) -> None:
    occurrence = await events.create_event(draft(start="2027-03-10 13:00"))
    await events.rsvp(occurrence.id, MEMBER, "going", [])
    await events.rsvp(occurrence.id, MEMBER + 1, "maybe", [])
    await events.rsvp(occurrence.id, MEMBER + 2, "declined", [])
    await MemberSettingsService(db, clock).set_dm_reminders(GUILD, MEMBER + 1, False)
    payload = await reminder_payload(timers, 3600)

    plan = await events.reminder_delivery(payload, utc(2027, 3, 10, 12, 0))
    assert plan is not None
    assert plan.occurrence.id == occurrence.id
    assert plan.lead == timedelta(hours=1)
    assert plan.lead_seconds == 3600
    assert not plan.late
    assert plan.post_to_channel
    assert plan.dm_user_ids == (MEMBER,)

    await events.record_reminder_posted(occurrence.id, 3600, 555)
    await events.record_reminder_posted(occurrence.id, 3600, 556)  # a retry: the first record wins
    retry = await events.reminder_delivery(payload, utc(2027, 3, 10, 12, 1))
    assert retry is not None
    assert (retry.post_to_channel, retry.channel_message_id, retry.dm_user_ids) == (False, 555, (MEMBER,))

    await events.record_dm(occurrence.id, 3600, MEMBER, "sent")
    assert await events.reminder_delivery(payload, utc(2027, 3, 10, 12, 2)) is None


async def test_closed_dms_are_not_retried(events: EventService, timers: TimerService) -> None:
    occurrence = await events.create_event(draft(start="2027-03-10 13:00"))
    await events.rsvp(occurrence.id, MEMBER, "going", [])
    await events.rsvp(occurrence.id, MEMBER + 1, "going", [])
    payload = await reminder_payload(timers, 900)
    await events.record_dm(occurrence.id, 900, MEMBER, "skipped_closed")
    plan = await events.reminder_delivery(payload, utc(2027, 3, 10, 12, 45))
    assert plan is not None
    assert plan.dm_user_ids == (MEMBER + 1,)


async def test_reminder_delivery_refuses_cancelled_moved_started(
    events: EventService, timers: TimerService
) -> None:
    occurrence = await events.create_event(draft(start="2027-03-10 13:00"))
    payload = await reminder_payload(timers, 3600)
    # Started (or the bot came back after the start): never sent.
    assert await events.reminder_delivery(payload, utc(2027, 3, 10, 13, 0)) is None
    # Late but before the start: sent, marked late.
    late = await events.reminder_delivery(payload, utc(2027, 3, 10, 12, 40))
    assert late is not None and late.late
    # Moved: the old payload's start no longer matches.
    await events.edit_event(
        occurrence.id, EventChanges(start="2027-03-10 14:00"), "this", ORGANISER, editor_is_moderator=False
    )
    assert await events.reminder_delivery(payload, utc(2027, 3, 10, 12, 0)) is None
    # A lead that is no longer configured.
    new_payload = await reminder_payload(timers, 3600)
    await events.edit_event(
        occurrence.id, EventChanges(lead_times="1d"), "this", ORGANISER, editor_is_moderator=False
    )
    assert await events.reminder_delivery(new_payload, utc(2027, 3, 10, 13, 0)) is None
    # Cancelled.
    current = await reminder_payload(timers, 86400)
    assert await events.reminder_delivery(current, utc(2027, 3, 9, 14, 0)) is not None
    await events.cancel_event(occurrence.id, "this", ORGANISER, editor_is_moderator=False)
    assert await events.reminder_delivery(current, utc(2027, 3, 9, 14, 0)) is None
    # Unknown or malformed.
    assert (
        await events.reminder_delivery(
            {"occurrence_id": 999, "lead_seconds": 60, "starts_at": "x"}, utc(2027, 3, 9)
        )
        is None
    )
    assert await events.reminder_delivery({}, utc(2027, 3, 9)) is None


async def test_start_and_end_plans(events: EventService, timers: TimerService) -> None:
    occurrence = await events.create_event(draft(start="2027-03-10 13:00"))
    await events.rsvp(occurrence.id, MEMBER, "going", [])
    [start] = await pending(timers, EVENT_START)
    [end] = await pending(timers, EVENT_END)
    plan = await events.start_plan(start.payload, utc(2027, 3, 10, 13, 0))
    assert plan is not None and plan.going_user_ids == (MEMBER,)
    assert await events.start_plan(start.payload, utc(2027, 3, 10, 13, 31)) is None  # too late to say "now"
    end_plan = await events.end_plan(end.payload)
    assert end_plan is not None and end_plan.checked_in == 0
    await events.edit_event(
        occurrence.id, EventChanges(duration_minutes=30), "this", ORGANISER, editor_is_moderator=False
    )
    assert await events.end_plan(end.payload) is None  # moved end
    assert await events.start_plan(start.payload, utc(2027, 3, 10, 13, 0)) is not None  # start unchanged
    await events.cancel_event(occurrence.id, "this", ORGANISER, editor_is_moderator=False)
    assert await events.start_plan(start.payload, utc(2027, 3, 10, 13, 0)) is None
