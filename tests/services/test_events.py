"""EventService against a real SQLite database (every migration) and a FakeClock.

The shared ``db`` and ``clock`` fixtures come from tests/conftest.py: the clock starts on Monday
2027-03-01 09:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import Config, parse_config
from bot.db import Database
from bot.errors import NotFound, PermissionDenied, UserFacingError
from bot.services.events import (
    EVENT_END,
    EVENT_HORIZON,
    EVENT_REMINDER,
    EVENT_START,
    EventChanges,
    EventDraft,
    EventService,
    Occurrence,
    RsvpCounts,
)
from bot.services.members import MemberSettingsService
from bot.services.timers import Timer, TimerService

GUILD = 1000
ORGANISER = 2000
MODERATOR = 2001
MEMBER = 3000
CHANNEL = 4000
LEADERS_ROLE = 5000


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    data: dict[str, Any] = {
        "guild_ids": [GUILD],
        "timezone": "Europe/Paris",
        "reminders": {"default_lead_times": "1d,1h"},
        "events": {"horizon_days": 60, "default_duration_minutes": 90},
        "calendar": [
            {
                "key": "global-wim-call",
                "title": {"en": "Global WIM Call", "fr": "Appel mondial WIM", "es": "Llamada mundial WIM"},
                "description": {"en": "For all", "fr": "Pour toutes", "es": "Para todas"},
                "start": "2027-02-09 13:00",
                "timezone": "UTC",
                "duration_minutes": 90,
                "recurrence": "every_2_months",
            },
            {
                "key": "leaders-roundtable",
                "title": {"en": "Roundtable", "fr": "Table ronde", "es": "Mesa redonda"},
                "description": {"en": "Leaders only", "fr": "Responsables", "es": "Líderes"},
                "start": "2027-01-13 14:00",
                "timezone": "Europe/Paris",
                "recurrence": "monthly",
                "audience_role": "WIM Leaders",
                "channel": "leaders",
            },
            {
                "key": "wim-day",
                "title": {"en": "International WIM Day", "fr": "Journée WIM", "es": "Día WIM"},
                "description": {"en": "15 June", "fr": "15 juin", "es": "15 de junio"},
                "start": "2027-06-15 12:00",
                "timezone": "UTC",
                "recurrence": "yearly",
            },
            {
                "key": "old-launch",
                "title": {"en": "Launch", "fr": "Lancement", "es": "Lanzamiento"},
                "description": {"en": "Past", "fr": "Passé", "es": "Pasado"},
                "start": "2026-12-01 12:00",
                "recurrence": "none",
            },
        ],
    }
    data.update(overrides)
    return parse_config(data, base_dir=tmp_path, environ={})


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def timers(db: Database, clock: FakeClock) -> TimerService:
    return TimerService(db, clock)


@pytest.fixture
def events(db: Database, clock: FakeClock, timers: TimerService, config: Config) -> EventService:
    return EventService(db, clock, timers, config)


def draft(**overrides: Any) -> EventDraft:
    values: dict[str, Any] = {
        "guild_id": GUILD,
        "organiser_id": ORGANISER,
        "title": "Global WIM Call",
        "start": "2027-03-10 13:00",
        "timezone": "UTC",
        "channel_id": CHANNEL,
        "duration_minutes": 60,
        "lead_times": "1d,1h,15m",
    }
    values.update(overrides)
    return EventDraft(**values)


async def pending(timers: TimerService, kind: str | None = None) -> list[Timer]:
    found = await timers.upcoming(limit=10_000)
    return [t for t in found if kind is None or t.kind == kind]


async def row_counts(db: Database) -> tuple[int, int, int]:
    series = await db.fetchval("SELECT count(*) FROM event_series")
    occurrences = await db.fetchval("SELECT count(*) FROM event_occurrences")
    timer_rows = await db.fetchval("SELECT count(*) FROM timers")
    return int(series), int(occurrences), int(timer_rows)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- create and validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"title": "   "}, "events.errors.title_empty"),
        ({"title": "x" * 101}, "events.errors.title_too_long"),
        ({"description": "d" * 2001}, "events.errors.description_too_long"),
        ({"link": "javascript:alert(1)"}, "events.errors.bad_link"),
        ({"link": "ftp://files.example.org/x"}, "events.errors.bad_link"),
        ({"link": "https://"}, "events.errors.bad_link"),
        ({"link": "https://example.org/" + "a" * 500}, "events.errors.bad_link"),
        ({"timezone": "Mars/Olympus_Mons"}, "events.errors.unknown_timezone"),
        ({"timezone": "../etc/passwd"}, "events.errors.unknown_timezone"),
        ({"timezone": "localtime"}, "events.errors.unknown_timezone"),
        ({"start": "next tuesday"}, "events.errors.bad_start"),
        ({"start": "2027-02-30 10:00"}, "events.errors.bad_start"),
        ({"start": "2027-02-28 10:00"}, "events.errors.start_in_past"),
        ({"start": "2027-03-01 09:00"}, "events.errors.start_in_past"),
        ({"start": "2027-03-14 02:30", "timezone": "America/New_York"}, "events.errors.nonexistent_time"),
        ({"start": "2027-11-07 01:30", "timezone": "America/New_York"}, "events.errors.ambiguous_time"),
        ({"duration_minutes": 0}, "events.errors.bad_duration"),
        ({"duration_minutes": -5}, "events.errors.bad_duration"),
        ({"duration_minutes": 10081}, "events.errors.bad_duration"),
        ({"lead_times": "1d,soon"}, "events.errors.bad_lead_times"),
        ({"lead_times": "90d"}, "events.errors.bad_lead_times"),
        ({"recurrence": "daily"}, "events.errors.bad_recurrence"),
    ],
)
async def test_invalid_drafts_are_refused_and_nothing_is_written(
    events: EventService, db: Database, overrides: dict[str, Any], key: str
) -> None:
    with pytest.raises(UserFacingError) as caught:
        await events.create_event(draft(**overrides))
    assert caught.value.key == key
    assert await row_counts(db) == (0, 0, 0)


async def test_error_parameters_fill_the_message(events: EventService) -> None:
    with pytest.raises(UserFacingError) as caught:
        await events.create_event(draft(start="2027-03-14 02:30", timezone="America/New_York"))
    assert caught.value.params == {"start": "2027-03-14 02:30", "timezone": "America/New_York"}
    with pytest.raises(UserFacingError) as caught:
        await events.create_event(draft(title="t" * 120))
    assert caught.value.params == {"length": 120, "limit": 100}


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


# --- RSVP ---------------------------------------------------------------------------------------------


async def test_rsvp_latest_choice_wins(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    counts = (await events.rsvp(occurrence.id, MEMBER, "going", [])).counts
    assert (counts.going, counts.maybe, counts.declined) == (1, 0, 0)
    await events.rsvp(occurrence.id, MEMBER + 1, "maybe", [])
    counts = (await events.rsvp(occurrence.id, MEMBER, "declined", [])).counts
    assert (counts.going, counts.maybe, counts.declined) == (0, 1, 1)
    attendees = await events.attendees(occurrence.id)
    assert [(r.user_id, r.status) for r in attendees.rsvps] == [(MEMBER + 1, "maybe"), (MEMBER, "declined")]
    assert await events.counts(occurrence.id) == counts


async def test_rsvp_refused_outside_the_audience(events: EventService) -> None:
    occurrence = await events.create_event(draft(audience_role_id=LEADERS_ROLE))
    with pytest.raises(PermissionDenied) as caught:
        await events.rsvp(occurrence.id, MEMBER, "going", [LEADERS_ROLE + 1])
    assert caught.value.key == "events.errors.not_in_audience"
    # What the cog needs to say whom the event is for, without reading the event again.
    assert caught.value.params == {"role_id": LEADERS_ROLE, "title": occurrence.title}
    counts = (await events.rsvp(occurrence.id, MEMBER, "going", [LEADERS_ROLE + 1, LEADERS_ROLE])).counts
    assert counts.going == 1


async def test_rsvp_from_another_guild_is_unknown_there_and_writes_nothing(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    with pytest.raises(NotFound) as caught:
        await events.rsvp(occurrence.id, MEMBER, "going", [], guild_id=occurrence.guild_id + 1)
    assert caught.value.key == "events.errors.unknown_event"
    assert await events.counts(occurrence.id) == RsvpCounts()
    answered = await events.rsvp(occurrence.id, MEMBER, "going", [], guild_id=occurrence.guild_id)
    assert (answered.occurrence.id, answered.counts.going) == (occurrence.id, 1)


async def test_rsvp_refused_for_unknown_cancelled_ended_or_bad_status(
    events: EventService, clock: FakeClock
) -> None:
    with pytest.raises(NotFound) as unknown:
        await events.rsvp(999, MEMBER, "going", [])
    assert unknown.value.key == "events.errors.unknown_event"

    occurrence = await events.create_event(draft())
    with pytest.raises(UserFacingError) as caught:
        await events.rsvp(occurrence.id, MEMBER, "yes", [])
    assert caught.value.key == "events.errors.bad_rsvp_status"

    clock.set(occurrence.ends_at)
    with pytest.raises(UserFacingError) as caught:
        await events.rsvp(occurrence.id, MEMBER, "going", [])
    assert caught.value.key == "events.errors.already_ended"

    clock.set(utc(2027, 3, 1, 9, 0))
    other = await events.create_event(draft())
    await events.cancel_event(other.id, "this", ORGANISER, editor_is_moderator=False)
    with pytest.raises(UserFacingError) as caught:
        await events.rsvp(other.id, MEMBER, "going", [])
    assert caught.value.key == "events.errors.event_cancelled"


# --- edit ---------------------------------------------------------------------------------------------


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


async def weekly_series(events: EventService) -> list[Occurrence]:
    await events.create_event(draft(start="2027-03-03 13:00", recurrence="weekly", lead_times="1h"))
    page = await events.upcoming(GUILD, days=365, limit=100)
    return list(page.items)


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


# --- cancel -------------------------------------------------------------------------------------------


async def test_cancel_one_off_cancels_its_pending_timers(events: EventService, timers: TimerService) -> None:
    occurrence = await events.create_event(draft())
    await events.rsvp(occurrence.id, MEMBER, "maybe", [])
    result = await events.cancel_event(occurrence.id, "this", ORGANISER, editor_is_moderator=False)
    assert [o.status for o in result.occurrences] == ["cancelled"]
    assert result.notify_user_ids == (MEMBER,)
    assert await pending(timers) == []
    assert (await events.upcoming(GUILD)).total == 0
    with pytest.raises(UserFacingError) as caught:
        await events.get_occurrence(occurrence.id)
    assert caught.value.key == "events.errors.event_cancelled"
    assert (await events.get_occurrence(occurrence.id, include_cancelled=True)).status == "cancelled"


async def test_cancel_this_occurrence_of_a_series(events: EventService, timers: TimerService) -> None:
    occurrences = await weekly_series(events)
    second = occurrences[1]
    await events.cancel_event(second.id, "this", ORGANISER, editor_is_moderator=False)
    remaining = [o.id for o in (await events.upcoming(GUILD, days=365, limit=100)).items]
    assert remaining == [o.id for o in occurrences if o.id != second.id]
    assert all(t.payload["occurrence_id"] != second.id for t in await pending(timers))
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
    assert {t.payload["occurrence_id"] for t in await pending(timers) if t.kind != EVENT_HORIZON} == {
        occurrences[0].id,
        occurrences[1].id,
    }
    clock.advance(timedelta(days=30))
    assert await events.extend_horizons() == 0  # a cancelled series grows no more


# --- check-in -----------------------------------------------------------------------------------------


async def test_check_in_window(events: EventService, clock: FakeClock) -> None:
    occurrence = await events.create_event(draft(start="2027-03-01 12:00", duration_minutes=60))
    clock.set(utc(2027, 3, 1, 11, 49))
    with pytest.raises(UserFacingError) as caught:
        await events.check_in(occurrence.id, MEMBER, [])
    assert caught.value.key == "events.errors.check_in_not_open"
    assert caught.value.params == {"minutes": 10}

    clock.set(utc(2027, 3, 1, 11, 50))
    first = await events.check_in(occurrence.id, MEMBER, [])
    assert not first.already
    assert first.check_in.checked_in_at == utc(2027, 3, 1, 11, 50)

    clock.set(utc(2027, 3, 1, 12, 30))
    again = await events.check_in(occurrence.id, MEMBER, [])
    assert again.already
    assert again.check_in.checked_in_at == utc(2027, 3, 1, 11, 50)

    clock.set(utc(2027, 3, 1, 13, 0))
    with pytest.raises(UserFacingError) as caught:
        await events.check_in(occurrence.id, MEMBER + 1, [])
    assert caught.value.key == "events.errors.check_in_closed"
    attendees = await events.attendees(occurrence.id)
    assert [c.user_id for c in attendees.check_ins] == [MEMBER]


async def test_check_in_respects_the_audience(events: EventService, clock: FakeClock) -> None:
    occurrence = await events.create_event(draft(start="2027-03-01 10:00", audience_role_id=LEADERS_ROLE))
    clock.set(utc(2027, 3, 1, 10, 5))
    with pytest.raises(PermissionDenied):
        await events.check_in(occurrence.id, MEMBER, [])
    assert not (await events.check_in(occurrence.id, MEMBER, [LEADERS_ROLE])).already


# --- queries ------------------------------------------------------------------------------------------


async def test_upcoming_lists_with_counts_pages_and_excludes_others(
    events: EventService, clock: FakeClock
) -> None:
    ongoing = await events.create_event(
        draft(title="Ongoing", start="2027-03-01 09:30", duration_minutes=120)
    )
    later = await events.create_event(draft(title="Later", start="2027-03-20 10:00"))
    soon = await events.create_event(draft(title="Soon", start="2027-03-05 10:00"))
    cancelled = await events.create_event(draft(title="Cancelled", start="2027-03-06 10:00"))
    await events.cancel_event(cancelled.id, "this", ORGANISER, editor_is_moderator=False)
    await events.create_event(draft(title="Far", start="2027-08-01 10:00"))
    await events.create_event(draft(title="Other guild", guild_id=GUILD + 1))
    await events.rsvp(soon.id, MEMBER, "going", [])
    await events.rsvp(soon.id, MEMBER + 1, "going", [])
    await events.rsvp(soon.id, MEMBER + 2, "maybe", [])
    await events.rsvp(later.id, MEMBER, "declined", [])

    clock.set(utc(2027, 3, 1, 10, 0))  # "Ongoing" has started but not ended: still listed
    page = await events.upcoming(GUILD, days=30, limit=2, offset=0)
    assert page.total == 3
    assert [o.title for o in page.items] == ["Ongoing", "Soon"]
    assert (page.items[1].counts.going, page.items[1].counts.maybe) == (2, 1)
    second = await events.upcoming(GUILD, days=30, limit=2, offset=2)
    assert [(o.title, o.counts.declined) for o in second.items] == [("Later", 1)]
    assert ongoing.id == page.items[0].id


async def test_search_by_title_and_date(events: EventService) -> None:
    call = await events.create_event(draft(title="Global WIM Call", start="2027-03-10 13:00"))
    roundtable = await events.create_event(draft(title="Roundtable: WIM leaders", start="2027-03-05 13:00"))
    day = await events.create_event(draft(title="International WIM Day", start="2027-06-15 12:00"))
    assert [o.id for o in await events.search(GUILD, "wim")] == [roundtable.id, call.id, day.id]
    assert [o.id for o in await events.search(GUILD, "glo")] == [call.id]
    assert [o.id for o in await events.search(GUILD, "round")] == [roundtable.id]  # title prefix first
    assert [o.id for o in await events.search(GUILD, "2027-06")] == [day.id]
    assert await events.search(GUILD, "%") == []
    assert await events.search(GUILD + 1, "wim") == []


async def test_announcement_and_discord_event_ids_are_stored(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    await events.set_announcement(occurrence.id, CHANNEL, 777)
    await events.set_discord_event_id(occurrence.id, 888)
    stored = await events.get_occurrence(occurrence.id)
    assert (stored.announcement_channel_id, stored.announcement_message_id, stored.discord_event_id) == (
        CHANNEL,
        777,
        888,
    )
    with pytest.raises(NotFound):
        await events.set_announcement(999, CHANNEL, 1)


# --- reminder, start and end decisions ----------------------------------------------------------------


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


# --- seeding and horizon ------------------------------------------------------------------------------


async def test_seed_calendar_is_idempotent(
    events: EventService, config: Config, timers: TimerService, db: Database
) -> None:
    channels = {"announcements": CHANNEL, "leaders": CHANNEL + 1}
    roles = {"WIM Leaders": LEADERS_ROLE}
    first = await events.seed_calendar(GUILD, config.calendar, channels, roles, "fr")
    assert first.created == ("global-wim-call", "leaders-roundtable", "wim-day")
    assert first.skipped == {"old-launch": "past"}
    counts_after_first = await row_counts(db)

    second = await events.seed_calendar(GUILD, config.calendar, channels, roles, "fr")
    assert second.created == ()
    assert second.existing == ("global-wim-call", "leaders-roundtable", "wim-day")
    assert await row_counts(db) == counts_after_first

    page = await events.upcoming(GUILD, days=400, limit=100)
    titles = {o.title for o in page.items}
    assert titles == {"Appel mondial WIM", "Table ronde", "Journée WIM"}
    call = [o for o in page.items if o.source_key == "global-wim-call"]
    # Anchored 2027-02-09, every two months: the next is 9 April (the past February one is not created).
    assert call[0].starts_at == utc(2027, 4, 9, 13, 0)
    roundtable = [o for o in page.items if o.source_key == "leaders-roundtable"]
    assert {o.audience_role_id for o in roundtable} == {LEADERS_ROLE}
    assert {o.channel_id for o in roundtable} == {CHANNEL + 1}
    # 14:00 Paris on 13 March (CET) and 13 April (CEST); the horizon ends on 30 April.
    assert [o.starts_at for o in roundtable] == [utc(2027, 3, 13, 13, 0), utc(2027, 4, 13, 12, 0)]
    wim_day = [o for o in page.items if o.source_key == "wim-day"]
    assert [o.starts_at for o in wim_day] == [utc(2027, 6, 15, 12, 0)]  # beyond the 60-day horizon, listed


async def test_seed_skips_entries_whose_channel_or_role_is_missing(
    events: EventService, config: Config
) -> None:
    result = await events.seed_calendar(GUILD, config.calendar, {"announcements": CHANNEL}, {}, "en")
    assert result.created == ("global-wim-call", "wim-day")
    assert result.skipped == {"leaders-roundtable": "channel:leaders", "old-launch": "past"}
    result = await events.seed_calendar(
        GUILD, config.calendar, {"announcements": CHANNEL, "leaders": 9}, {}, "en"
    )
    assert result.skipped["leaders-roundtable"] == "role:WIM Leaders"  # never opened to everyone


async def test_extend_horizons_is_idempotent_and_keeps_one_horizon_timer(
    events: EventService, timers: TimerService, clock: FakeClock, db: Database
) -> None:
    await events.create_event(draft(start="2027-03-03 13:00", recurrence="weekly", lead_times=""))
    assert await events.extend_horizons() == 0
    assert await events.extend_horizons() == 0
    assert len(await pending(timers, EVENT_HORIZON)) == 1
    before = await row_counts(db)

    clock.advance(timedelta(days=14))
    assert await events.extend_horizons() == 2  # two more weeks come inside the horizon
    assert await events.extend_horizons() == 0
    assert (await row_counts(db))[1] == before[1] + 2
    # The overdue run (due 2 March) is still pending, as after a downtime; one future run exists.
    horizon = await pending(timers, EVENT_HORIZON)
    assert [t.due_at for t in horizon if t.due_at > clock.now()] == [clock.now() + timedelta(days=1)]


async def test_horizon_timer_reschedules_itself_when_it_runs(
    events: EventService, timers: TimerService, clock: FakeClock
) -> None:
    async def handler(timer: Timer) -> None:
        await events.extend_horizons()

    timers.register(EVENT_HORIZON, handler)
    await events.extend_horizons()
    clock.advance(timedelta(days=1))
    assert await timers.run_due() == 1
    [next_run] = await pending(timers, EVENT_HORIZON)
    assert next_run.due_at == clock.now() + timedelta(days=1)


async def test_new_occurrences_from_the_horizon_get_timers(
    events: EventService, timers: TimerService, clock: FakeClock
) -> None:
    await events.create_event(draft(start="2027-03-03 13:00", recurrence="weekly", lead_times="1h"))
    starts_before = {t.due_at for t in await pending(timers, EVENT_START)}
    clock.advance(timedelta(days=7))
    await events.extend_horizons()
    starts_after = {t.due_at for t in await pending(timers, EVENT_START)}
    new = starts_after - starts_before
    assert len(new) == 1
    [new_start] = new
    reminders = {t.due_at for t in await pending(timers, EVENT_REMINDER)}
    assert new_start - timedelta(hours=1) in reminders


async def test_occurrences_for_calendar(events: EventService) -> None:
    occurrences = await weekly_series(events)
    other = await events.create_event(draft(title="Other"))
    await events.cancel_event(occurrences[1].id, "this", ORGANISER, editor_is_moderator=False)
    of_series = await events.occurrences_for_calendar(GUILD, occurrence_id=occurrences[0].id)
    assert [o.id for o in of_series] == [o.id for o in occurrences]
    assert [o.status for o in of_series][:2] == ["scheduled", "cancelled"]
    everything = await events.occurrences_for_calendar(GUILD)
    assert other.id in [o.id for o in everything]
    with pytest.raises(NotFound):
        await events.occurrences_for_calendar(GUILD + 1, occurrence_id=other.id)


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
