"""Fixtures of the ConsultationService tests: the directory (with its removal guard registered by
the consultations service), timers and the service, on a real database and a FakeClock."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import parse_config
from bot.db import Database
from bot.services.consultations import ConsultationService
from bot.services.organisations import OrganisationService
from bot.services.timers import TimerService
from tests.services.consultations.helpers import GUILD


@pytest.fixture
def timers(db: Database, clock: FakeClock) -> TimerService:
    return TimerService(db, clock)


@pytest.fixture
def organisations(
    db: Database, clock: FakeClock, timers: TimerService, tmp_path: Path
) -> OrganisationService:
    config = parse_config(
        {"guild_ids": [GUILD], "directory": {"max_representatives": 3}}, base_dir=tmp_path, environ={}
    )
    return OrganisationService(db, clock, timers, config)


@pytest.fixture
def service(
    db: Database, clock: FakeClock, timers: TimerService, organisations: OrganisationService
) -> ConsultationService:
    return ConsultationService(db, clock, timers, organisations)
