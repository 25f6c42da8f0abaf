"""The Alliance web hub: the real bot serves it during the tour (``web:`` enabled on a free loopback
port, see tests/demo/tour.py), and a visitor without Discord reads it after the earlier scenes have
filled it: the WIM organisations and the upcoming events in two languages each, pictured in Debian's
Chromium as the browser tests drive it, and the calendar feed that calendar applications subscribe to."""

from __future__ import annotations

import aiohttp
from icalendar import Calendar

from tests.demo.tour import WAIT, Scene, Tour

# (path, picture, caption, the visitor's zone): the events page's script shows times in the visitor's.
PAGES = (
    (
        "/en/organisations",
        "organisations-en",
        "The WIM organisations by UN region and country, in English",
        "Africa/Accra",
    ),
    ("/es/organisations", "organisations-es", "The same page in Spanish", "America/Lima"),
    (
        "/en/events",
        "events-en",
        "The upcoming public events in English, with the calendar feed to subscribe to, as a visitor in "
        "Perth sees them",
        "Australia/Perth",
    ),
    ("/fr/events", "events-fr", "The same page in French, for a visitor in Paris", "Europe/Paris"),
)


async def web_hub(tour: Tour) -> None:
    web = tour.config.web
    tour.note(
        "With its web section enabled in config.yml, the bot also serves the Alliance web hub from its "
        f"own process, here at {web.base_url} (in production behind a reverse proxy with TLS, "
        "docs/deploy/). Anyone can read it without Discord or a login, in English, French or Spanish: "
        "the WIM organisations by region and country, the upcoming public events in the visitor's own "
        "time, the working groups with their workplan and published outcomes, consultation results and "
        "past digests. Nothing private is served: no member's name, no leaders-only roundtable, no ballot."
    )
    feed = web.url("/calendar.ics")
    timeout = aiohttp.ClientTimeout(total=WAIT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(feed) as response:
            body = await response.read()
            etag = response.headers.get("ETag", "")
        async with session.get(feed, headers={"If-None-Match": etag}) as again:
            polled = again.status
    titles = sorted({str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")})
    roundtable = "Thematic roundtable: Inclusive Workplace Design"
    tour.note(
        f"The calendar feed, {feed}, holds {len(titles)} public series ({'; '.join(titles[:4])}"
        f"{'; ...' if len(titles) > 4 else ''}), "
        + ("without" if roundtable not in titles else "WITH")
        + f" the leaders-only roundtable, under the same UIDs as /event calendar's file: Google, Outlook and "
        f"Apple calendars subscribe to it and follow every /event edit. Asked again with its ETag, the hub "
        f"answered {polled}{' Not Modified' if polled == 304 else ''}: a subscribed calendar polls cheaply."
    )
    await tour.pictures(PAGES)


SCENES = (
    Scene(
        "hub-web",
        "The Alliance web hub",
        "The bot serves the public web hub: the organisations and the upcoming events in two languages "
        "each, and the calendar feed that calendar applications subscribe to.",
        web_hub,
    ),
)
