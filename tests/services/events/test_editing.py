"""Creating, editing and cancelling events and series (events/editing.py), their timers replaced in the
same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.errors import PermissionDenied, UserFacingError
from bot.services.events import (
    EVENT_END,
    EVENT_HORIZON,
    EVENT_REMINDER,
    EVENT_START,
    EventChanges,
    EventService,
)
from bot.services.members import MemberSettingsService
from bot.services.timers import Timer, TimerService
from tests.services.events.helpers import (
    CHANNEL,
    GUILD,
    MEMBER,
    MODERATOR,
    ORGANISER,
    draft,
    pending,
    row_counts,
    utc,
    weekly_series,
)


async def test_create_one_off_writes_series_occurrence_and_future_timers(
    events: EventService, timers: TimerService, db: Database
) -> None:
    # Starts 2027-03-02 10:00 UTC, 25 h after "now": the 1d, 1h and 15m reminders are all ahead.
    occurrence = await events.create_event(
        draft(start="2027-03-02 10:00", link=" https://meet.example.org/wim ", description="  Agenda  ")
    )
    assert occurrence.title == "Global WIM Call"
    assert occurrence.description == "Agenda"
    assert occurrence.link == "https://meet.example.org/wim"
    assert occurrence.starts_at == utc(2027, 3, 2, 10, 0)
    assert occurrence.ends_at == utc(2027, 3, 2, 11, 0)
    assert occurrence.duration_minutes == 60
    assert occurrence.recurrence == "none"
    assert occurrence.status == "scheduled"
    assert occurrence.lead_times == (timedelta(days=1), timedelta(hours=1), timedelta(minutes=15))
    assert await row_counts(db) == (1, 1, 5)
    reminders = await pending(timers, EVENT_REMINDER)
    assert sorted((t.due_at, t.payload["lead_seconds"]) for t in reminders) == [
        (utc(2027, 3, 1, 10, 0), 86400),
        (utc(2027, 3, 2, 9, 0), 3600),
        (utc(2027, 3, 2, 9, 45), 900),
    ]
    assert all(t.payload["occurrence_id"] == occurrence.id for t in reminders)
    [start] = await pending(timers, EVENT_START)
    [end] = await pending(timers, EVENT_END)
    assert (start.due_at, end.due_at) == (occurrence.starts_at, occurrence.ends_at)


async def test_reminders_already_due_at_creation_are_not_scheduled(
    events: EventService, timers: TimerService
) -> None:
    # 30 minutes ahead: only the 15m reminder is still in the future.
    await events.create_event(draft(start="2027-03-01 09:30"))
    assert [t.payload["lead_seconds"] for t in await pending(timers, EVENT_REMINDER)] == [900]


async def test_defaults_come_from_config_and_the_organisers_saved_zone(
    events: EventService, db: Database, clock: FakeClock
) -> None:
    occurrence = await events.create_event(
        draft(timezone=None, duration_minutes=None, lead_times=None, start="2027-03-10 13:00")
    )
    # config.timezone is Europe/Paris (UTC+1 in March before the change), 90 min, leads 1d,1h.
    assert occurrence.timezone == "Europe/Paris"
    assert occurrence.starts_at == utc(2027, 3, 10, 12, 0)
    assert occurrence.duration_minutes == 90
    assert occurrence.lead_times == (timedelta(days=1), timedelta(hours=1))

    await MemberSettingsService(db, clock).set_timezone(GUILD, ORGANISER, "America/Lima")
    occurrence = await events.create_event(draft(timezone=None, start="2027-03-10 13:00"))
    assert occurrence.timezone == "America/Lima"
    assert occurrence.starts_at == utc(2027, 3, 10, 18, 0)


async def test_empty_lead_times_mean_no_reminders(events: EventService, timers: TimerService) -> None:
    occurrence = await events.create_event(draft(lead_times=""))
    assert occurrence.lead_times == ()
    assert await pending(timers, EVENT_REMINDER) == []
    assert len(await pending(timers, EVENT_START)) == 1


async def test_recurring_series_is_materialised_to_the_horizon_in_local_time(
    events: EventService, timers: TimerService
) -> None:
    first = await events.create_event(
        draft(start="2027-03-17 13:00", timezone="Europe/Paris", recurrence="weekly", lead_times="")
    )
    page = await events.upcoming(GUILD, days=365, limit=50)
    starts = [o.starts_at for o in page.items]
    # Horizon 60 days from 2027-03-01: 17 March .. 28 April, 7 weekly occurrences.
    assert len(starts) == 7
    assert starts[0] == first.starts_at == utc(2027, 3, 17, 12, 0)
    assert starts[2] == utc(2027, 3, 31, 11, 0)  # after the change to summer time
    assert all(o.series_id == first.series_id for o in page.items)
    assert len(await pending(timers, EVENT_START)) == 7


async def test_a_yearly_event_beyond_the_horizon_still_gets_its_first_occurrence(
    events: EventService,
) -> None:
    occurrence = await events.create_event(draft(start="2027-12-01 10:00", recurrence="yearly"))
    page = await events.upcoming(GUILD, days=2000)
    assert [o.id for o in page.items] == [occurrence.id]


async def test_edit_start_replaces_timers_so_no_stale_reminder_remains(
    events: EventService, timers: TimerService
) -> None:
    occurrence = await events.create_event(draft(start="2027-03-10 13:00"))
    old_ids = {t.id for t in await pending(timers)}
    assert len(old_ids) == 5

    result = await events.edit_event(
        occurrence.id, EventChanges(start="2027-03-12 15:30"), "this", ORGANISER, editor_is_moderator=False
    )
    [moved] = result.occurrences
    assert result.time_changed
    assert moved.starts_at == utc(2027, 3, 12, 15, 30)
    assert moved.ends_at == utc(2027, 3, 12, 16, 30)  # the duration is kept
    now_pending = await pending(timers)
    assert old_ids.isdisjoint(t.id for t in now_pending)
    assert sorted((t.kind, t.due_at) for t in now_pending) == [
        (EVENT_END, utc(2027, 3, 12, 16, 30)),
        (EVENT_REMINDER, utc(2027, 3, 11, 15, 30)),
        (EVENT_REMINDER, utc(2027, 3, 12, 14, 30)),
        (EVENT_REMINDER, utc(2027, 3, 12, 15, 15)),
        (EVENT_START, utc(2027, 3, 12, 15, 30)),
    ]
    statuses = await timers_status(timers, old_ids)
    assert set(statuses) == {"cancelled"}


async def timers_status(timers: TimerService, ids: set[int]) -> list[str]:
    found = [await timers.get(timer_id) for timer_id in ids]
    return [getattr(t, "status", "missing") for t in found]


async def test_a_moved_event_never_fires_its_old_reminder(
    events: EventService, timers: TimerService, clock: FakeClock
) -> None:
    fired: list[dict[str, Any]] = []

    async def handler(timer: Timer) -> None:
        plan = await events.reminder_delivery(timer.payload, clock.now())
        if plan is not None:
            fired.append(timer.payload)

    timers.register(EVENT_REMINDER, handler)
    occurrence = await events.create_event(draft(start="2027-03-10 13:00", lead_times="1h"))
    await events.edit_event(
        occurrence.id, EventChanges(start="2027-03-11 13:00"), "this", ORGANISER, editor_is_moderator=True
    )
    clock.set(utc(2027, 3, 10, 12, 0))  # the old reminder's moment
    await timers.run_due()
    assert fired == []
    clock.set(utc(2027, 3, 11, 12, 0))
    await timers.run_due()
    assert [p["starts_at"] for p in fired] == ["2027-03-11T13:00:00+00:00"]


async def test_edit_lead_times_and_duration_reschedule(events: EventService, timers: TimerService) -> None:
    occurrence = await events.create_event(draft(start="2027-03-10 13:00"))
    result = await events.edit_event(
        occurrence.id,
        EventChanges(lead_times="2d", duration_minutes=120),
        "this",
        ORGANISER,
        editor_is_moderator=False,
    )
    [edited] = result.occurrences
    assert edited.lead_times == (timedelta(days=2),)
    assert edited.ends_at == utc(2027, 3, 10, 15, 0)
    assert [(t.due_at, t.payload["lead_seconds"]) for t in await pending(timers, EVENT_REMINDER)] == [
        (utc(2027, 3, 8, 13, 0), 172800)
    ]
    [end] = await pending(timers, EVENT_END)
    assert end.due_at == utc(2027, 3, 10, 15, 0)


async def test_edit_text_only_keeps_timers_and_notifies_nobody(
    events: EventService, timers: TimerService
) -> None:
    occurrence = await events.create_event(draft())
    await events.rsvp(occurrence.id, MEMBER, "going", [])
    before = {t.id for t in await pending(timers)}
    result = await events.edit_event(
        occurrence.id,
        EventChanges(title="Global WIM Call – June", link=""),
        "this",
        ORGANISER,
        editor_is_moderator=False,
    )
    assert result.occurrences[0].title == "Global WIM Call – June"
    assert result.notify_user_ids == ()
    assert not result.time_changed
    assert {t.id for t in await pending(timers)} == before


async def test_edit_permissions_and_errors(events: EventService, clock: FakeClock) -> None:
    occurrence = await events.create_event(draft())
    with pytest.raises(PermissionDenied) as denied:
        await events.edit_event(
            occurrence.id, EventChanges(title="x"), "this", MEMBER, editor_is_moderator=False
        )
    assert denied.value.key == "events.errors.not_organiser"
    edited = await events.edit_event(
        occurrence.id, EventChanges(title="By a moderator"), "this", MODERATOR, editor_is_moderator=True
    )
    assert edited.occurrences[0].title == "By a moderator"
    with pytest.raises(UserFacingError) as caught:
        await events.edit_event(occurrence.id, EventChanges(), "this", ORGANISER, editor_is_moderator=False)
    assert caught.value.key == "events.errors.nothing_to_change"
    with pytest.raises(UserFacingError) as caught:
        await events.edit_event(
            occurrence.id,
            EventChanges(start="2027-02-01 10:00"),
            "this",
            ORGANISER,
            editor_is_moderator=False,
        )
    assert caught.value.key == "events.errors.start_in_past"
    clock.set(occurrence.ends_at + timedelta(minutes=1))
    with pytest.raises(UserFacingError) as caught:
        await events.edit_event(
            occurrence.id, EventChanges(title="x"), "this", ORGANISER, editor_is_moderator=False
        )
    assert caught.value.key == "events.errors.already_ended"


async def test_edit_notifies_members_going_or_maybe_when_the_time_changes(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    await events.rsvp(occurrence.id, MEMBER, "going", [])
    await events.rsvp(occurrence.id, MEMBER + 1, "maybe", [])
    await events.rsvp(occurrence.id, MEMBER + 2, "declined", [])
    result = await events.edit_event(
        occurrence.id, EventChanges(duration_minutes=30), "this", ORGANISER, editor_is_moderator=False
    )
    assert result.notify_user_ids == (MEMBER, MEMBER + 1)


async def test_series_edit_this_changes_one_occurrence_only(events: EventService) -> None:
    occurrences = await weekly_series(events)
    second = occurrences[1]
    await events.edit_event(
        second.id,
        EventChanges(title="Special edition", start="2027-03-11 16:00"),
        "this",
        ORGANISER,
        editor_is_moderator=False,
    )
    after = list((await events.upcoming(GUILD, days=365, limit=100)).items)
    titles = [o.title for o in after]
    assert titles.count("Special edition") == 1
    special = next(o for o in after if o.id == second.id)
    assert special.starts_at == utc(2027, 3, 11, 16, 0)
    assert special.original_start == utc(2027, 3, 10, 13, 0)
    assert special.has_overrides
    assert [o.starts_at for o in after if o.id != second.id] == [
        o.starts_at for o in occurrences if o.id != second.id
    ]


async def test_series_edit_all_from_an_occurrence_on(events: EventService, timers: TimerService) -> None:
    occurrences = await weekly_series(events)
    first, second = occurrences[0], occurrences[1]
    await events.rsvp(second.id, MEMBER, "going", [])
    await events.rsvp(occurrences[3].id, MEMBER + 1, "maybe", [])
    result = await events.edit_event(
        second.id,
        EventChanges(title="Global WIM Call (new time)", start="2027-03-11 15:00"),
        "series",
        ORGANISER,
        editor_is_moderator=False,
    )
    assert result.time_changed
    assert result.notify_user_ids == (MEMBER, MEMBER + 1)
    after = {o.id: o for o in (await events.upcoming(GUILD, days=365, limit=100)).items}
    assert after[first.id].title == "Global WIM Call"
    assert after[first.id].starts_at == first.starts_at
    # The second occurrence keeps its id (and RSVP) and now starts the new Thursday 15:00 pattern.
    assert after[second.id].starts_at == utc(2027, 3, 11, 15, 0)
    assert after[second.id].counts.going == 1
    later = sorted((o for o in after.values() if o.id != first.id), key=lambda o: o.starts_at)
    assert all(o.title == "Global WIM Call (new time)" for o in later)
    assert all(o.starts_at.weekday() == 3 and o.starts_at.hour == 15 for o in later)
    assert all(not o.has_overrides for o in later)
    assert after[first.id].has_overrides  # it keeps the old title, so it now differs from the series
    # Every start timer matches a current start; the first occurrence's timers were untouched.
    start_timers = sorted(t.due_at for t in await pending(timers, EVENT_START))
    assert start_timers == sorted(o.starts_at for o in after.values())


async def test_edit_channel_of_a_one_off_is_stored_and_read_by_its_reminders(
    events: EventService, timers: TimerService, clock: FakeClock
) -> None:
    occurrence = await events.create_event(draft())
    timers_before = sorted((t.kind, t.due_at) for t in await pending(timers))
    result = await events.edit_event(
        occurrence.id, EventChanges(channel_id=CHANNEL + 1), "this", MODERATOR, editor_is_moderator=True
    )
    assert [o.channel_id for o in result.occurrences] == [CHANNEL + 1]
    assert not result.time_changed and result.notify_user_ids == ()
    assert (await events.get_occurrence(occurrence.id)).channel_id == CHANNEL + 1
    # A move is not a reschedule: the same reminders stay, and when one fires it names the new channel.
    assert sorted((t.kind, t.due_at) for t in await pending(timers)) == timers_before
    reminder = min(await pending(timers, EVENT_REMINDER), key=lambda t: t.due_at)
    clock.set(reminder.due_at)
    plan = await events.reminder_delivery(reminder.payload, clock.now())
    assert plan is not None and plan.occurrence.channel_id == CHANNEL + 1


async def test_edit_channel_this_moves_one_occurrence_series_moves_the_rest(events: EventService) -> None:
    occurrences = await weekly_series(events)
    first, second, third = occurrences[0], occurrences[1], occurrences[2]
    await events.edit_event(
        second.id, EventChanges(channel_id=CHANNEL + 1), "this", ORGANISER, editor_is_moderator=False
    )
    after = {o.id: o for o in (await events.upcoming(GUILD, days=365, limit=100)).items}
    assert after[second.id].channel_id == CHANNEL + 1
    assert after[second.id].has_overrides
    assert all(o.channel_id == CHANNEL for o in after.values() if o.id != second.id)

    await events.edit_event(
        third.id, EventChanges(channel_id=CHANNEL + 2), "series", ORGANISER, editor_is_moderator=False
    )
    after = {o.id: o for o in (await events.upcoming(GUILD, days=365, limit=100)).items}
    # Earlier occurrences keep what they had; from the third on (new ones included) the new channel.
    assert after[first.id].channel_id == CHANNEL
    assert after[second.id].channel_id == CHANNEL + 1
    later = [o for o in after.values() if o.starts_at >= third.starts_at]
    assert len(later) > 2
    assert all(o.channel_id == CHANNEL + 2 and not o.has_overrides for o in later)
    await events.extend_horizons()
    newest = (await events.upcoming(GUILD, days=365, limit=100)).items[-1]
    assert newest.channel_id == CHANNEL + 2


async def test_edit_channel_rejects_what_is_not_a_channel_id(events: EventService, db: Database) -> None:
    occurrence = await events.create_event(draft())
    for bad in (0, -5, True):
        with pytest.raises(ValueError, match="not a channel id"):
            await events.edit_event(
                occurrence.id, EventChanges(channel_id=bad), "this", ORGANISER, editor_is_moderator=False
            )
    assert (await events.get_occurrence(occurrence.id)).channel_id == CHANNEL


async def test_series_scope_on_a_one_off_edits_it(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    result = await events.edit_event(
        occurrence.id, EventChanges(description="New agenda"), "this", ORGANISER, editor_is_moderator=False
    )
    assert result.occurrences[0].description == "New agenda"
    assert not result.occurrences[0].has_overrides  # stored on the series: a one-off has no overrides


async def test_edit_timezone_only_keeps_the_wall_clock_time(events: EventService) -> None:
    occurrence = await events.create_event(draft(start="2027-03-10 13:00", timezone="UTC"))
    result = await events.edit_event(
        occurrence.id, EventChanges(timezone="America/Lima"), "series", ORGANISER, editor_is_moderator=False
    )
    assert result.occurrences[0].timezone == "America/Lima"
    assert result.occurrences[0].starts_at == utc(2027, 3, 10, 18, 0)


async def test_cancel_one_off_cancels_its_pending_timers(events: EventService, timers: TimerService) -> None:
    occurrence = await events.create_event(draft())
    await events.rsvp(occurrence.id, MEMBER, "maybe", [])
    result = await events.cancel_event(occurrence.id, "this", ORGANISER, editor_is_moderator=False)
    assert [o.status for o in result.occurrences] == ["cancelled"]
    assert result.notify_user_ids == (MEMBER,)
    # Only the cancellation's own outbox is left: its notice in the channel and the DM to who replied
    # (never announced, so no card or Events-tab entry to update).
    left = await pending(timers)
    assert [(t.kind, t.payload) for t in left] == [
        (kind, {"guild_id": GUILD, "occurrence_id": occurrence.id, "notice_id": result.notice_id})
        for kind in ("event.notice", "event.notify")
    ]
    assert (await events.upcoming(GUILD)).total == 0
    with pytest.raises(UserFacingError) as caught:
        await events.get_occurrence(occurrence.id)
    assert caught.value.key == "events.errors.event_cancelled"
    assert (await events.get_occurrence(occurrence.id, include_cancelled=True)).status == "cancelled"


async def test_cancel_this_occurrence_of_a_series(events: EventService, timers: TimerService) -> None:
    occurrences = await weekly_series(events)
    second = occurrences[1]
    result = await events.cancel_event(second.id, "this", ORGANISER, editor_is_moderator=False)
    remaining = [o.id for o in (await events.upcoming(GUILD, days=365, limit=100)).items]
    assert remaining == [o.id for o in occurrences if o.id != second.id]
    # Of its timers only the cancellation notice is left (nobody had replied: no DMs).
    assert [
        (t.kind, t.payload) for t in await pending(timers) if t.payload["occurrence_id"] == second.id
    ] == [("event.notice", {"guild_id": GUILD, "occurrence_id": second.id, "notice_id": result.notice_id})]
    # The horizon job does not bring a cancelled occurrence back.
    await events.extend_horizons()
    assert second.id not in [o.id for o in (await events.upcoming(GUILD, days=365, limit=100)).items]


async def test_cancel_series_from_an_occurrence_on(
    events: EventService, timers: TimerService, clock: FakeClock
) -> None:
    occurrences = await weekly_series(events)
    result = await events.cancel_event(occurrences[2].id, "series", MODERATOR, editor_is_moderator=True)
    assert [o.id for o in result.occurrences] == [o.id for o in occurrences[2:]]
    remaining = [o.id for o in (await events.upcoming(GUILD, days=365, limit=100)).items]
    assert remaining == [occurrences[0].id, occurrences[1].id]
    left = [t for t in await pending(timers) if t.kind not in (EVENT_HORIZON, "event.notice")]
    assert {t.payload["occurrence_id"] for t in left} == {occurrences[0].id, occurrences[1].id}
    # One notice for the series, about the date it was cancelled from.
    assert [t.payload for t in await pending(timers, "event.notice")] == [
        {"guild_id": GUILD, "occurrence_id": occurrences[2].id, "notice_id": result.notice_id}
    ]
    clock.advance(timedelta(days=30))
    assert await events.extend_horizons() == 0  # a cancelled series grows no more


async def test_series_edit_of_lead_times_leaves_earlier_reminders_valid(
    events: EventService, timers: TimerService
) -> None:
    occurrences = await weekly_series(events)  # lead time 1h
    first_payload = next(
        t.payload
        for t in await pending(timers, EVENT_REMINDER)
        if t.payload["occurrence_id"] == occurrences[0].id
    )
    await events.edit_event(
        occurrences[1].id, EventChanges(lead_times="2h"), "series", ORGANISER, editor_is_moderator=False
    )
    assert (await events.get_occurrence(occurrences[0].id)).lead_times == (timedelta(hours=1),)
    assert (await events.get_occurrence(occurrences[1].id)).lead_times == (timedelta(hours=2),)
    assert (
        await events.reminder_delivery(first_payload, occurrences[0].starts_at - timedelta(hours=1))
        is not None
    )


async def test_series_start_must_stay_after_the_earlier_occurrences(events: EventService) -> None:
    occurrences = await weekly_series(events)  # Wednesdays 13:00 UTC from 3 March
    with pytest.raises(UserFacingError) as caught:
        await events.edit_event(
            occurrences[2].id,
            EventChanges(start="2027-03-10 13:00"),  # the previous occurrence's own time
            "series",
            ORGANISER,
            editor_is_moderator=False,
        )
    assert caught.value.key == "events.errors.series_start_before_previous"
    assert [o.starts_at for o in (await events.upcoming(GUILD, days=365, limit=100)).items] == [
        o.starts_at for o in occurrences
    ]


class TimersFailingOnEnd(TimerService):
    """A real TimerService whose third kind of timer cannot be written: the rows before it must go too."""

    async def schedule(self, kind: str, due_at: datetime, payload: dict[str, Any], *, tx: Any = None) -> int:
        if kind == EVENT_END:
            raise RuntimeError("disk full")
        return await super().schedule(kind, due_at, payload, tx=tx)


async def test_create_is_atomic_when_a_timer_cannot_be_written(
    db: Database, clock: FakeClock, config: Config
) -> None:
    events = EventService(db, clock, TimersFailingOnEnd(db, clock), config)
    with pytest.raises(RuntimeError):
        await events.create_event(draft(recurrence="weekly"))
    assert await row_counts(db) == (0, 0, 0)
