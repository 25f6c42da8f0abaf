"""The live calendar feeds: read by icalendar, the same UIDs as /event calendar, conditional
requests (ETag, Last-Modified, 304), and a new version after an /event edit."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient
from icalendar import Calendar

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.repositories.hub import CalendarRows, public_calendar
from bot.services.events import EventChanges, EventService
from bot.services.events.ics import series_uid
from bot.services.timers import TimerService
from tests.web.seed import GUILD, Seeded

Client = TestClient[web.Request, web.Application]


def _summaries(body: bytes) -> dict[str, str]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): str(e["SUMMARY"]) for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e}


async def test_the_feed_carries_the_public_events_with_event_calendars_uids(
    client: Client, seeded: Seeded, db: Database, clock: FakeClock, config: Config
) -> None:
    response = await client.get("/calendar.ics")
    assert response.status == 200
    assert response.content_type == "text/calendar"
    body = await response.read()
    summaries = _summaries(body)
    assert summaries[series_uid(seeded.public_series)] == "Global WIM Call"
    assert "STEM roundtable" in summaries.values()
    assert not any("SECRET" in summary for summary in summaries.values())
    assert b"SECRET" not in body  # nor the meeting link
    # The same UIDs as the member's /event calendar export.
    events = EventService(db, clock, TimerService(db, clock), config)
    members_export = _summaries(await events.ics_for(GUILD))
    assert set(summaries) <= set(members_export)
    assert summaries[series_uid(seeded.public_series)] == members_export[series_uid(seeded.public_series)]


async def test_a_groups_feed_holds_its_own_events(client: Client) -> None:
    response = await client.get("/wg/wg1-stem/calendar.ics")
    assert response.status == 200
    assert list(_summaries(await response.read()).values()) == ["STEM roundtable"]
    assert (await client.get("/wg/wg9-secret/calendar.ics")).status == 404
    assert (await client.get("/wg/nobody/calendar.ics")).status == 404


async def test_conditional_requests_are_answered_304_until_an_event_changes(
    client: Client, seeded: Seeded, db: Database, clock: FakeClock, config: Config
) -> None:
    first = await client.get("/calendar.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert (await client.get("/calendar.ics", headers={"If-None-Match": etag})).status == 304
    assert (await client.get("/calendar.ics", headers={"If-Modified-Since": modified})).status == 304
    assert (await client.get("/calendar.ics", headers={"If-None-Match": '"other"'})).status == 200

    # Time passes and unrelated rows are written: the feed's bytes, hence its validators, stay.
    clock.advance(timedelta(minutes=5))
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('unrelated', 'x')")
    again = await client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.headers["Last-Modified"] == modified

    # An /event edit (the service the command calls) gives a new feed at once.
    events = EventService(db, clock, TimerService(db, clock), config)
    await events.edit_event(
        seeded.public_occurrence,
        EventChanges(title="Global WIM Call: mentoring"),
        "series",
        1,
        editor_is_moderator=True,
    )
    changed = await client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status == 200
    assert changed.headers["ETag"] != etag
    assert changed.headers["Last-Modified"] != modified
    summaries = _summaries(await changed.read())
    assert summaries[series_uid(seeded.public_series)] == "Global WIM Call: mentoring"
    stamp = Calendar.from_ical(await changed.read()).walk("VEVENT")[0].decoded("DTSTAMP")
    assert stamp == clock.now().replace(microsecond=0)


async def test_a_feed_read_again_reuses_the_rows_that_did_not_change(
    seeded: Seeded, db: Database, clock: FakeClock, config: Config
) -> None:
    known = CalendarRows()
    first = await db.read(public_calendar, GUILD, None, known)
    again = await db.read(public_calendar, GUILD, None, known)
    assert [s for s, _ in again] == [s for s, _ in first]
    assert all(a is b for (a, _), (b, _) in zip(again, first, strict=True))
    assert all(o is p for (_, a), (_, b) in zip(again, first, strict=True) for o, p in zip(a, b, strict=True))

    events = EventService(db, clock, TimerService(db, clock), config)
    await events.edit_event(
        seeded.public_occurrence,
        EventChanges(title="Global WIM Call: mentoring"),
        "series",
        1,
        editor_is_moderator=True,
    )
    edited = {s.id: s for s, _ in await db.read(public_calendar, GUILD, None, known)}
    before = {s.id: s for s, _ in first}
    assert edited[seeded.public_series].title == "Global WIM Call: mentoring"
    assert all(edited[i] is before[i] for i in before if i != seeded.public_series)
    assert len(known.series) == len(edited)  # only the last read's rows are kept
