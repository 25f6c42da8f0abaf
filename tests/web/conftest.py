"""The hub over a seeded database, served on loopback by aiohttp's test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.i18n import Catalog
from bot.services.consultations import ConsultationService
from bot.services.organisations import OrganisationService
from bot.services.timers import TimerService
from bot.web import WebHub
from tests.web.seed import Seeded, hub_config, seed


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return hub_config(tmp_path)


@pytest.fixture
async def seeded(db: Database, clock: FakeClock, config: Config) -> Seeded:
    return await seed(db, clock, config)


@pytest.fixture
def webhub(db: Database, clock: FakeClock, config: Config) -> WebHub:
    timers = TimerService(db, clock)
    organisations = OrganisationService(db, clock, timers, config)
    return WebHub(config, db, clock, Catalog.load(), ConsultationService(db, clock, timers, organisations))


@pytest.fixture
async def client(webhub: WebHub, seeded: Seeded) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(webhub.hub.application())) as test_client:
        yield test_client
