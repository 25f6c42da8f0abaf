"""The configured calendar and the horizon (events/calendar.py): seeding, materialising, the ics feed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.errors import NotFound
from bot.services.events import (
    EVENT_HORIZON,
    EVENT_REMINDER,
    EVENT_START,
    EventService,
)
from bot.services.timers import Timer, TimerService
from tests.services.events.helpers import (
    CHANNEL,
    GUILD,
    LEADERS_ROLE,
    ORGANISER,
    draft,
    pending,
    row_counts,
    utc,
    weekly_series,
)


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
