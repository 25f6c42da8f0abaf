"""Fixtures of the EventService tests: the config (``helpers.make_config``), timers and the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.services.events import EventService
from bot.services.timers import TimerService
from tests.services.events.helpers import make_config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def timers(db: Database, clock: FakeClock) -> TimerService:
    return TimerService(db, clock)


@pytest.fixture
def events(db: Database, clock: FakeClock, timers: TimerService, config: Config) -> EventService:
    return EventService(db, clock, timers, config)
