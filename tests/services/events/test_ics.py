""".ics export: parsed back with icalendar, times checked in UTC, expansion compared to stored occurrences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Component, vInt, vRecur

from bot.clock import FakeClock
from bot.config import Config, parse_config
from bot.db import Database
from bot.repositories import events as events_repo
from bot.repositories.events import Occurrence, Series
from bot.services.events import EventChanges, EventDraft, EventService
from bot.services.events.ics import EventTextCache, build_calendar
from bot.services.timers import TimerService

GUILD = 10
ORGANISER = 20
CHANNEL = 30


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return parse_config(
        {"guild_ids": [GUILD], "events": {"horizon_days": 120, "default_duration_minutes": 60}},
        base_dir=tmp_path,
        environ={},
    )


@pytest.fixture
def events(db: Database, clock: FakeClock, config: Config) -> EventService:
    return EventService(db, clock, TimerService(db, clock), config)


def draft(**overrides: Any) -> EventDraft:
    values: dict[str, Any] = {
        "guild_id": GUILD,
        "organiser_id": ORGANISER,
        "title": "Global WIM Call",
        "start": "2027-03-13 13:00",
        "timezone": "Europe/Paris",
        "channel_id": CHANNEL,
        "duration_minutes": 90,
        "lead_times": "",
    }
    values.update(overrides)
    return EventDraft(**values)


def vevents(data: bytes) -> list[Component]:
    calendar = Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0"
    assert "wim-alliance-bot" in str(calendar["PRODID"])
    return list(calendar.walk("VEVENT"))


def masters(data: bytes) -> list[Component]:
    return [e for e in vevents(data) if "RECURRENCE-ID" not in e]


def sequence(component: Component) -> int:
    value = component["SEQUENCE"]
    assert isinstance(value, vInt)
    return int(value)


def recurrence_rule(component: Component) -> vRecur:
    value = component["RRULE"]
    assert isinstance(value, vRecur)
    return value


def date_list(component: Component, name: str) -> list[datetime]:
    value = component.get(name)
    if value is None:
        return []
    lists = value if isinstance(value, list) else [value]
    return [item.dt for entry in lists for item in entry.dts]


def expand(master: Component, until: datetime) -> list[datetime]:
    """What a calendar client shows: RRULE from DTSTART, plus RDATEs, minus EXDATEs, in UTC."""
    start = master.decoded("DTSTART")
    rule = rrulestr(recurrence_rule(master).to_ical().decode(), dtstart=start)
    found = {moment.astimezone(UTC) for moment in rule.between(start, until, inc=True)}
    found |= {moment.astimezone(UTC) for moment in date_list(master, "RDATE")}
    found -= {moment.astimezone(UTC) for moment in date_list(master, "EXDATE")}
    return sorted(found)


async def test_one_off_event_is_exported_in_utc(events: EventService, clock: FakeClock) -> None:
    occurrence = await events.create_event(
        draft(description="Agenda: growth of WIM organisations", link="https://meet.example.org/wim")
    )
    [event] = vevents(await events.ics_for(GUILD, occurrence.id))
    assert str(event["UID"]) == f"series-{occurrence.series_id}@wim-alliance-bot"
    assert event.decoded("DTSTART") == datetime(2027, 3, 13, 12, 0, tzinfo=UTC)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == datetime(2027, 3, 13, 13, 30, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Global WIM Call"
    assert str(event["DESCRIPTION"]) == "Agenda: growth of WIM organisations"
    assert str(event["URL"]) == "https://meet.example.org/wim"
    assert str(event["LOCATION"]) == "https://meet.example.org/wim"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert sequence(event) == 0
    assert event.decoded("DTSTAMP") == clock.now()
    assert "RRULE" not in event


async def test_monthly_paris_series_across_the_change_to_summer_time(events: EventService) -> None:
    # 13 March (CET, UTC+1) and 13 April, 13 May, 13 June (CEST, UTC+2): local stays 13:00.
    first = await events.create_event(draft(recurrence="monthly"))
    data = await events.ics_for(GUILD, first.id)
    assert b"BEGIN:VTIMEZONE" in data
    assert b"TZID:Europe/Paris" in data
    [master] = masters(data)
    assert master["DTSTART"].params["TZID"] == "Europe/Paris"
    assert master.decoded("DTSTART").replace(tzinfo=None) == datetime(2027, 3, 13, 13, 0)
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;BYMONTHDAY=13"
    stored = [o.starts_at for o in await events.occurrences_for_calendar(GUILD, occurrence_id=first.id)]
    assert stored == [
        datetime(2027, 3, 13, 12, 0, tzinfo=UTC),
        datetime(2027, 4, 13, 11, 0, tzinfo=UTC),
        datetime(2027, 5, 13, 11, 0, tzinfo=UTC),
        datetime(2027, 6, 13, 11, 0, tzinfo=UTC),
    ]
    assert expand(master, stored[-1]) == stored


async def test_cancelled_occurrence_is_an_exdate_and_an_edited_one_an_override(events: EventService) -> None:
    first = await events.create_event(draft(recurrence="weekly", start="2027-03-10 13:00"))
    occurrences = await events.occurrences_for_calendar(GUILD, occurrence_id=first.id)
    second, third = occurrences[1], occurrences[2]
    await events.cancel_event(second.id, "this", ORGANISER, editor_is_moderator=False)
    await events.edit_event(
        third.id,
        EventChanges(title="Special edition", start="2027-03-24 15:00"),
        "this",
        ORGANISER,
        editor_is_moderator=False,
    )
    data = await events.ics_for(GUILD)
    [master] = masters(data)
    assert [d.astimezone(UTC) for d in date_list(master, "EXDATE")] == [second.starts_at]
    [override] = [e for e in vevents(data) if "RECURRENCE-ID" in e]
    assert str(override["UID"]) == str(master["UID"])
    assert override.decoded("RECURRENCE-ID").astimezone(UTC) == third.starts_at
    assert override.decoded("DTSTART").astimezone(UTC) == datetime(2027, 3, 24, 14, 0, tzinfo=UTC)
    assert str(override["SUMMARY"]) == "Special edition"
    assert sequence(override) >= 1
    stored = await events.occurrences_for_calendar(GUILD, occurrence_id=first.id)
    scheduled_originals = [o.original_start for o in stored if o.status == "scheduled"]
    assert expand(master, stored[-1].starts_at) == scheduled_originals


async def test_edits_raise_the_sequence_and_cancellation_is_a_status(events: EventService) -> None:
    one_off = await events.create_event(draft(title="Assembly", start="2027-12-01 15:00"))
    series = await events.create_event(draft(recurrence="every_2_months"))
    await events.edit_event(
        series.id, EventChanges(title="Global WIM Call (new)"), "series", ORGANISER, editor_is_moderator=False
    )
    await events.cancel_event(one_off.id, "this", ORGANISER, editor_is_moderator=False)
    by_uid = {str(e["UID"]): e for e in masters(await events.ics_for(GUILD))}
    assert set(by_uid) == {
        f"series-{one_off.series_id}@wim-alliance-bot",
        f"series-{series.series_id}@wim-alliance-bot",
    }
    edited = by_uid[f"series-{series.series_id}@wim-alliance-bot"]
    assert sequence(edited) == 1
    assert str(edited["SUMMARY"]) == "Global WIM Call (new)"
    cancelled = by_uid[f"series-{one_off.series_id}@wim-alliance-bot"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert sequence(cancelled) >= 1

    await events.cancel_event(series.id, "series", ORGANISER, editor_is_moderator=False)
    [whole] = masters(await events.ics_for(GUILD, series.id))
    assert str(whole["STATUS"]) == "CANCELLED"
    assert sequence(whole) == 2


async def test_reanchored_series_keeps_earlier_occurrences_as_rdates(events: EventService) -> None:
    first = await events.create_event(draft(recurrence="weekly", start="2027-03-10 13:00"))
    occurrences = await events.occurrences_for_calendar(GUILD, occurrence_id=first.id)
    await events.edit_event(
        occurrences[2].id,
        EventChanges(start="2027-03-25 18:00"),
        "series",
        ORGANISER,
        editor_is_moderator=False,
    )
    [master] = masters(await events.ics_for(GUILD, first.id))
    stored = await events.occurrences_for_calendar(GUILD, occurrence_id=first.id)
    assert [d.astimezone(UTC) for d in date_list(master, "RDATE")] == [o.starts_at for o in stored[:2]]
    assert expand(master, stored[-1].starts_at) == [o.starts_at for o in stored]


async def test_export_is_stable_for_the_same_clock(events: EventService) -> None:
    first = await events.create_event(draft(recurrence="yearly", start="2027-06-15 14:00"))
    assert await events.ics_for(GUILD) == await events.ics_for(GUILD, first.id)


async def test_series_cancelled_from_a_later_occurrence_ends_before_it(events: EventService) -> None:
    first = await events.create_event(draft(recurrence="weekly", start="2027-03-10 13:00"))
    occurrences = await events.occurrences_for_calendar(GUILD, occurrence_id=first.id)
    await events.cancel_event(occurrences[2].id, "series", ORGANISER, editor_is_moderator=False)
    [master] = masters(await events.ics_for(GUILD, first.id))
    assert str(master["STATUS"]) == "CONFIRMED"
    assert recurrence_rule(master)["UNTIL"][0] == occurrences[1].starts_at
    assert expand(master, occurrences[-1].starts_at) == [o.starts_at for o in occurrences[:2]]


async def test_a_cached_build_is_the_same_calendar_and_serialises_only_what_changed(
    events: EventService, db: Database, clock: FakeClock
) -> None:
    paris = await events.create_event(draft(recurrence="weekly", start="2027-03-10 13:00"))
    await events.create_event(draft(title="Assembly", start="2027-12-01 15:00"))
    await events.create_event(draft(title="Americas call", recurrence="monthly", timezone="America/Lima"))

    async def entries() -> list[tuple[Series, list[Occurrence]]]:
        series = await events_repo.series_of_guild(db, GUILD)
        occurrences = await events_repo.occurrences_of_series(db, [s.id for s in series])
        return [(s, [o for o in occurrences if o.series_id == s.id]) for s in series]

    cache = EventTextCache()
    stamp = clock.now()
    first = build_calendar(await entries(), stamp=stamp, cache=cache)
    assert first == build_calendar(await entries(), stamp=stamp)  # /event calendar's bytes
    assert first == await events.ics_for(GUILD)
    assert cache.misses == 3
    # One VTIMEZONE per zone, in a fixed order (the ETag must not change with a restart).
    assert first.count(b"BEGIN:VTIMEZONE") == 2
    assert first.index(b"TZID:America/Lima") < first.index(b"TZID:Europe/Paris")
    assert build_calendar(await entries(), stamp=stamp, cache=cache) == first
    assert cache.misses == 3

    await events.edit_event(
        paris.id, EventChanges(title="Global WIM Call (new)"), "series", ORGANISER, editor_is_moderator=False
    )
    edited = build_calendar(await entries(), stamp=stamp, cache=cache)
    assert cache.misses == 4
    assert edited == build_calendar(await entries(), stamp=stamp)
    assert "Global WIM Call (new)" in [str(e["SUMMARY"]) for e in masters(edited)]
    # Without the links (the public feed), a variant of its own.
    public = build_calendar(await entries(), stamp=stamp, links=False, cache=cache)
    assert cache.misses == 7
    assert public == build_calendar(await entries(), stamp=stamp, links=False)
