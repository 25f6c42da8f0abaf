"""Shared fixtures: a real SQLite database with every migration, and a clock that moves only when told."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.db import Database

# A Monday morning, so weekly features (the digest) start from a known weekday.
FIXED_NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "t.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FIXED_NOW)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under -n: the modules to the workers as tests/parallel.py says, not each test to the next free one."""
    if config.getoption("dist") != "load":
        return None  # another --dist asked for on the command line
    from tests.parallel import ModuleScheduling

    return ModuleScheduling(config, log)
