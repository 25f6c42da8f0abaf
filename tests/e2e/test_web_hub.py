"""The web hub in the real bot process: served once ``web.enabled``, the calendar feed following an
/event create and /event edit made through Discord, /event calendar offering the subscription link,
and a clean stop with the bot on SIGTERM (the port free again)."""

from __future__ import annotations

import socket

import aiohttp
import icalendar
import yaml

from tests.e2e.conftest import DiscordEnv
from tests.e2e.test_events import create_event


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _feed(session: aiohttp.ClientSession, url: str) -> set[str]:
    async with session.get(url) as response:
        assert response.status == 200
        calendar = icalendar.Calendar.from_ical(await response.read())
    return {str(c.get("summary")) for c in calendar.walk("VEVENT")}


async def test_the_hub_runs_with_the_bot_and_stops_with_it(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env.config["web"] = {"enabled": True, "bind": "127.0.0.1", "port": port, "base_url": base}
    env.config_path.write_text(
        yaml.safe_dump(env.config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    await env.bot.restart()
    await env.bot.wait_logged("Web hub listening")

    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{base}/", headers={"Accept-Language": "fr"}, allow_redirects=False
        ) as response:
            assert response.status == 302 and response.headers["Location"] == "/fr/"
        _, _, occurrence_id = await create_event(env, title="Hub launch call")
        assert "Hub launch call" in await _feed(session, f"{base}/calendar.ics")

        handle = await double.invoke(
            "event edit",
            user=seed.moderator,
            options={"event": str(occurrence_id), "title": "Hub launch briefing"},
        )
        await handle.message(timeout=10)
        summaries = await _feed(session, f"{base}/calendar.ics")
        assert "Hub launch briefing" in summaries and "Hub launch call" not in summaries

        async with session.get(f"{base}/en/events") as response:
            assert "Hub launch briefing" in await response.text()

    answer = await (await double.invoke("event calendar", user=seed.member_en)).message()
    assert f"{base}/calendar.ics" in answer.text

    assert await env.bot.stop() == 0
    assert "Web hub stopped" in env.bot.log_text()
    with socket.socket() as again:  # the port is released
        again.bind(("127.0.0.1", port))

    env.config.pop("web")
    env.config_path.write_text(
        yaml.safe_dump(env.config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
