"""The pages' cache: a second request is served from memory, a write the page shows rebuilds it
(an /event edit through the service), and a burst of visitors builds a page once."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.services.events import EventChanges, EventService
from bot.services.timers import TimerService
from bot.web import WebHub
from tests.web.seed import Seeded

Client = TestClient[web.Request, web.Application]


async def test_pages_come_from_the_cache_until_the_data_changes(
    client: Client, webhub: WebHub, seeded: Seeded, db: Database, clock: FakeClock, config: Config
) -> None:
    cache = webhub.hub.cache
    assert "Global WIM Call" in await (await client.get("/en/events")).text()
    builds = cache.builds
    for _ in range(5):
        assert (await client.get("/en/events")).status == 200
    assert cache.builds == builds

    events = EventService(db, clock, TimerService(db, clock), config)
    await events.edit_event(
        seeded.public_occurrence,
        EventChanges(title="Global WIM Call on mentoring"),
        "this",
        1,
        editor_is_moderator=True,
    )
    html = await (await client.get("/en/events")).text()
    assert "Global WIM Call on mentoring" in html
    assert cache.builds == builds + 1


async def test_a_burst_of_visitors_builds_a_page_once(client: Client, webhub: WebHub) -> None:
    responses = await asyncio.gather(*(client.get("/fr/organisations") for _ in range(50)))
    assert {r.status for r in responses} == {200}
    assert webhub.hub.cache.builds == 1
