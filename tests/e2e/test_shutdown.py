"""Shutdown (SIGTERM) during a burst of clicks, end to end: the real bot process against the double.

The bot stops taking interactions, lets the running ones finish, then closes the database: it exits
within seconds, and every click it acknowledged is stored.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.double.interactions import InteractionHandle
from tests.e2e.conftest import DiscordEnv
from tests.e2e.test_events import create_event
from tests.e2e.test_faults import _answered, _choices, _members, assert_counts_right, error_lines

pytestmark = pytest.mark.e2e

BURST = 120
STOP_AFTER = 20  # clicks sent before the SIGTERM; the rest keep coming while the bot stops
EXIT_WITHIN = 5.0


@pytest.mark.allow_violations  # clicks that reach a stopping bot are never answered (Discord's 10062)
async def test_sigterm_during_a_burst_of_clicks_exits_quickly_and_keeps_every_acknowledged_click(
    isolated_env: DiscordEnv,
) -> None:
    env, double = isolated_env, isolated_env.double
    _, card, occurrence_id = await create_event(env, title="Shutdown burst probe")
    choices = _choices(_members(env, "stop", BURST))
    handles: list[InteractionHandle] = []
    sent = asyncio.Event()

    async def click_all() -> None:
        for member, status in choices:
            if len(handles) >= STOP_AFTER and double.gateway.active_session() is None:
                return  # the bot is gone: nobody to click at
            try:
                custom_id = f"event:rsvp:{occurrence_id}:{status}"
                handles.append(await double.click(card, custom_id, user=member, wait_for_bot=1.0))
            except TimeoutError:  # its socket closed between the check and the click
                return
            if len(handles) == STOP_AFTER:
                sent.set()

    clicking = asyncio.create_task(click_all())
    await sent.wait()
    started = time.monotonic()
    code = await env.bot.stop()  # SIGTERM; SIGKILL only after 10 s
    stopped_in = time.monotonic() - started
    await clicking
    assert stopped_in < EXIT_WITHIN, f"the bot took {stopped_in:.1f} s to exit"
    assert code == 0, env.bot.tail()
    log = env.bot.log_text()
    assert "Stopped" in log and error_lines(log) == [], env.bot.tail()

    # The process has exited: every answer it gave has reached the double already.
    answered = await asyncio.gather(*(_answered(handle, within=0.5) for handle in handles))
    acknowledged = {m.id: s for (m, s), ok in zip(choices, answered, strict=False) if ok}
    assert STOP_AFTER // 2 <= len(acknowledged) < len(choices), len(acknowledged)  # it stopped mid-burst
    # Every click it acknowledged is stored, none twice, the kept counts equal to the rows.
    assert_counts_right(env, occurrence_id, acknowledged)
