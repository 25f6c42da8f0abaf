"""The shared mechanisms on real SQLite: the outbox, the durable refresh mark, ensure_pending/unregister,
odd inputs refused before any write, guild ids in every event timer payload."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.errors import UserFacingError
from bot.services.events import (
    EVENT_ANNOUNCE,
    EVENT_MIRROR,
    EVENT_REFRESH,
    REFRESH_DEBOUNCE,
    EventChanges,
    EventService,
)
from bot.services.members import MemberSettingsService
from bot.services.timers import Timer, TimerService
from tests.services.events.helpers import GUILD, MEMBER, ORGANISER, draft, make_config, pending, row_counts


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def timers(db: Database, clock: FakeClock) -> TimerService:
    return TimerService(db, clock)


@pytest.fixture
def events(db: Database, clock: FakeClock, timers: TimerService, config: Config) -> EventService:
    return EventService(db, clock, timers, config)


# --- the outbox -------------------------------------------------------------------------------------


async def test_create_and_announce_commits_a_timer_per_side_effect(
    events: EventService, timers: TimerService
) -> None:
    occurrence = await events.create_and_announce(draft())
    [announce] = await pending(timers, EVENT_ANNOUNCE)
    [mirror] = await pending(timers, EVENT_MIRROR)
    assert announce.payload == mirror.payload == {"guild_id": GUILD, "occurrence_id": occurrence.id}


async def test_a_refused_create_writes_no_outbox_timer(events: EventService, db: Database) -> None:
    before = await row_counts(db)
    with pytest.raises(UserFacingError):
        await events.create_and_announce(draft(title="\x00"))
    assert await row_counts(db) == before


async def test_run_now_runs_a_failing_side_effect_once_then_the_dispatcher_retries_it(
    events: EventService, timers: TimerService, clock: FakeClock
) -> None:
    attempts: list[Timer] = []

    async def flaky(timer: Timer) -> None:
        attempts.append(timer)
        if len(attempts) == 1:
            raise RuntimeError("Discord said 503")

    timers.register(EVENT_ANNOUNCE, flaky, base_backoff=timedelta(seconds=5))
    occurrence = await events.create_and_announce(draft())
    assert await timers.run_now(EVENT_ANNOUNCE, occurrence_id=occurrence.id) is False
    [retry] = await pending(timers, EVENT_ANNOUNCE)
    assert retry.attempts == 1 and retry.due_at == clock.now() + timedelta(seconds=5)  # the kind's backoff
    clock.advance(timedelta(seconds=5))
    assert await timers.run_due() == 1
    assert len(attempts) == 2 and await pending(timers, EVENT_ANNOUNCE) == []
    assert await timers.run_now(EVENT_ANNOUNCE, occurrence_id=occurrence.id) is True  # nothing left: no-op
    assert len(attempts) == 2


# --- the durable refresh mark -------------------------------------------------------------------------


async def test_rsvps_leave_one_durable_refresh_mark_per_occurrence(
    events: EventService, timers: TimerService, clock: FakeClock
) -> None:
    occurrence = await events.create_event(draft())
    await events.rsvp(occurrence.id, MEMBER, "going", [])
    await events.rsvp(occurrence.id, MEMBER + 1, "maybe", [])
    [mark] = await pending(timers, EVENT_REFRESH)
    assert mark.payload == {"guild_id": GUILD, "occurrence_id": occurrence.id}
    assert mark.due_at == clock.now() + REFRESH_DEBOUNCE
    refreshed: list[Timer] = []

    async def refresh(timer: Timer) -> None:
        refreshed.append(timer)

    timers.register(EVENT_REFRESH, refresh)
    clock.advance(REFRESH_DEBOUNCE)
    assert await timers.run_due() == 1 and len(refreshed) == 1
    await events.rsvp(occurrence.id, MEMBER + 2, "going", [])  # after the edit: a new mark
    assert len(await pending(timers, EVENT_REFRESH)) == 1


async def test_a_refused_rsvp_leaves_no_refresh_mark(events: EventService, timers: TimerService) -> None:
    occurrence = await events.create_event(draft())
    with pytest.raises(UserFacingError):
        await events.rsvp(occurrence.id, MEMBER, "sometimes", [])
    assert await pending(timers, EVENT_REFRESH) == []


# --- timers: ensure_pending, unregister, guild ids ------------------------------------------------------


async def test_ensure_pending_keeps_exactly_one_timer_per_kind_and_payload(
    timers: TimerService, clock: FakeClock
) -> None:
    due = clock.now() + timedelta(hours=1)
    first = await timers.ensure_pending("test.digest", due, {"guild_id": 1})
    assert await timers.ensure_pending("test.digest", due + timedelta(hours=1), {"guild_id": 1}) == first
    other = await timers.ensure_pending("test.digest", due, {"guild_id": 2})
    assert other != first
    assert await timers.ensure_pending("test.digest", due, {"guild_id": 1}, later_than=due) != first
    assert await timers.pending_count() == 3


async def test_unregister_undoes_register(timers: TimerService, clock: FakeClock) -> None:
    seen: list[Timer] = []

    async def handler(timer: Timer) -> None:
        seen.append(timer)

    timers.register("test.ping", handler)
    assert timers.unregister("test.ping") is True
    assert timers.unregister("test.ping") is False
    await timers.schedule("test.ping", clock.now(), {"guild_id": 1})
    assert await timers.run_due() == 0 and seen == []
    assert await timers.pending_count() == 1  # waits for a handler, as any unknown kind


async def test_every_event_timer_payload_names_its_guild(events: EventService, timers: TimerService) -> None:
    occurrence = await events.create_and_announce(draft(recurrence="weekly"))
    await events.rsvp(occurrence.id, MEMBER, "going", [])
    await events.extend_horizons()
    found = await pending(timers)
    payloads = [timer.payload for timer in found]
    assert payloads and all(payload.get("guild_id") == GUILD for payload in payloads), payloads


# --- odd inputs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"start": "9999-12-31 23:59"}, "validation.too_far"),
        ({"start": "9999-12-31 23:59", "timezone": "America/Lima"}, "validation.too_far"),
        ({"title": "\x00"}, "validation.bad_characters"),
        ({"title": "Call\x00 of the year"}, "validation.bad_characters"),
        ({"description": "Hello\x07"}, "validation.bad_characters"),
        ({"link": "https://meet.example.org/join?room=<wim>"}, "events.errors.bad_link"),
        ({"timezone": "Europe/Paris" * 500}, "events.errors.unknown_timezone"),
        ({"start": "2" * 6000}, "events.errors.bad_start"),
        ({"lead_times": "1d," * 2000}, "events.errors.bad_lead_times"),
    ],
)
async def test_odd_inputs_are_refused_clearly_before_any_write(
    events: EventService, db: Database, overrides: dict[str, str], key: str
) -> None:
    before = await row_counts(db)
    with pytest.raises(UserFacingError) as caught:
        await events.create_and_announce(draft(**overrides))
    assert caught.value.key == key
    assert all(len(str(value)) <= 100 for value in caught.value.params.values())  # quoted as an excerpt
    assert await row_counts(db) == before


async def test_an_edit_with_an_odd_value_changes_nothing(events: EventService, db: Database) -> None:
    occurrence = await events.create_event(draft())
    before = await db.fetchall("SELECT * FROM event_occurrences")
    for changes in (
        EventChanges(title="Fine title", start="9999-12-31 23:59"),
        EventChanges(title="\x00"),
        EventChanges(description="ok", link="https://exa mple.org"),
    ):
        with pytest.raises(UserFacingError):
            await events.edit_event(occurrence.id, changes, "this", ORGANISER, editor_is_moderator=False)
    after = await db.fetchall("SELECT * FROM event_occurrences")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]


async def test_an_odd_zone_leaves_the_saved_zone(db: Database, clock: FakeClock) -> None:
    members = MemberSettingsService(db, clock)
    await members.set_timezone(1, 2, "Asia/Manila")
    with pytest.raises(UserFacingError) as caught:
        await members.set_timezone(1, 2, "x" * 6000)
    assert caught.value.key == "members.errors.unknown_timezone"
    assert len(caught.value.params["timezone"]) <= 60
    assert (await members.get(1, 2)).timezone == "Asia/Manila"
    assert (await members.set_timezone(1, 2, "asia/tokyo")).timezone == "Asia/Tokyo"  # any case


async def test_dm_profiles_read_many_members_in_one_go(db: Database, clock: FakeClock) -> None:
    members = MemberSettingsService(db, clock)
    await members.remember_language(1, 2, "fr")
    await members.set_dm_reminders(1, 3, False)
    profiles = await members.dm_profiles(1, [2, 3, 4, *range(10, 1210)])
    assert (profiles[2].language, profiles[2].dm_reminders) == ("fr", True)
    assert (profiles[3].language, profiles[3].dm_reminders) == (None, False)
    assert (profiles[4].language, profiles[4].dm_reminders) == (None, True)
    assert len(profiles) == 1203


async def test_moving_an_event_keeps_its_pending_announcement_and_cancelling_drops_it(
    events: EventService, timers: TimerService
) -> None:
    occurrence = await events.create_and_announce(draft())
    await events.edit_event(
        occurrence.id, EventChanges(start="2027-03-12 15:30"), "this", ORGANISER, editor_is_moderator=False
    )
    assert len(await pending(timers, EVENT_ANNOUNCE)) == 1 and len(await pending(timers, EVENT_MIRROR)) == 1
    cancelled = await events.cancel_event(occurrence.id, "this", ORGANISER, editor_is_moderator=False)
    # The card and the Events-tab entry are never made; only the cancellation's notice is left.
    assert [(t.kind, t.payload) for t in await pending(timers)] == [
        (
            "event.notice",
            {
                "guild_id": occurrence.guild_id,
                "occurrence_id": occurrence.id,
                "notice_id": cancelled.notice_id,
            },
        )
    ]
