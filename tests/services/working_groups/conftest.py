"""Fixtures of the WorkingGroupService tests: the config (``helpers.make_config``), timers and the
service."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.services.timers import TimerService
from bot.services.working_groups import WorkingGroupService
from tests.services.working_groups.helpers import make_config


@pytest.fixture
def config() -> Config:
    return make_config()


@pytest.fixture
def timers(db: Database, clock: FakeClock) -> TimerService:
    return TimerService(db, clock)


@pytest.fixture
def service(db: Database, clock: FakeClock, timers: TimerService, config: Config) -> WorkingGroupService:
    return WorkingGroupService(db, clock, timers, config)
