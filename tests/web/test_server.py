"""The server's life cycle: off by default, a port it cannot open logged without raising, a stop
that releases the port, a handler's failure a 500 page."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.config import parse_config
from bot.db import Database
from bot.i18n import Catalog
from bot.services.consultations import ConsultationService
from bot.services.organisations import OrganisationService
from bot.services.timers import TimerService
from bot.web import WebHub, start_hub
from tests.web.seed import GUILD, hub_config


def _consultations(db: Database, clock: FakeClock, config: object) -> ConsultationService:
    timers = TimerService(db, clock)
    return ConsultationService(db, clock, timers, OrganisationService(db, clock, timers, config))  # type: ignore[arg-type]


async def test_off_by_default(db: Database, clock: FakeClock, tmp_path: Path) -> None:
    config = parse_config({"guild_ids": [GUILD]}, base_dir=tmp_path)
    assert await start_hub(config, db, clock, Catalog.load(), _consultations(db, clock, config)) is None


async def test_a_busy_port_is_logged_and_the_bot_runs_on(
    db: Database, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        config = hub_config(tmp_path, port=busy.getsockname()[1])
        assert await start_hub(config, db, clock, Catalog.load(), _consultations(db, clock, config)) is None
    assert "Web hub not started" in caplog.text


async def test_start_serves_and_stop_releases_the_port(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    config = hub_config(tmp_path)
    hub = await start_hub(config, db, clock, Catalog.load(), _consultations(db, clock, config))
    assert isinstance(hub, WebHub) and hub.port
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{hub.port}/en/") as response,
    ):
        assert response.status == 200
    await hub.stop()
    with socket.socket() as again:
        again.bind(("127.0.0.1", hub.port))


async def test_a_failing_page_is_a_500_page_and_the_server_goes_on(
    db: Database, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = hub_config(tmp_path)
    hub = await start_hub(config, db, clock, Catalog.load(), _consultations(db, clock, config))
    assert hub is not None

    async def broken() -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(hub.service, "groups", broken)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{hub.port}/es/groups") as response:
                assert response.status == 500
                assert Catalog.load().t("es", "web.errors.server") in await response.text()
            async with session.get(f"http://127.0.0.1:{hub.port}/es/events") as response:
                assert response.status == 200
    finally:
        await hub.stop()
