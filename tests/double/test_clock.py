"""The test clock on its own: the double's offset, pushed to a bot-side DoubleClock over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import JumpingClock
from tests.double import FakeDiscord
from tests.double.clock import DoubleClock

CLOSE = timedelta(seconds=2)  # wall-clock slack for "about now" on a loaded machine


@pytest.fixture
def double() -> Iterator[FakeDiscord]:
    fake = FakeDiscord().start()
    yield fake
    fake.stop()


async def test_advance_reaches_the_bot_clock_and_its_listeners_before_it_returns(double: FakeDiscord) -> None:
    clock = await asyncio.to_thread(DoubleClock.connect, double.port)
    assert isinstance(clock, JumpingClock)
    assert abs(clock.now() - datetime.now(UTC)) < CLOSE and clock.offset == timedelta(0)
    await double.wait_until(lambda d: d.clock.subscribers == 1, what="the clock to subscribe")
    seen: list[datetime] = []
    unsubscribe = clock.on_jump(lambda: seen.append(clock.now()))

    before = datetime.now(UTC)
    moved_to = await double.advance(timedelta(days=1))
    assert len(seen) == 1  # the listener ran, on this loop, before advance returned
    assert seen[0] - before >= timedelta(days=1)
    assert clock.offset == double.clock.offset == timedelta(days=1)
    assert abs(moved_to - (datetime.now(UTC) + timedelta(days=1))) < CLOSE
    # Discord's instants map to the bot's time: before the jump unchanged, after it a day later.
    assert double.clock.at(before) == before
    after = datetime.now(UTC)
    assert double.clock.at(after) == after + timedelta(days=1)

    target = double.clock.now() + timedelta(hours=3)
    await double.advance_to(target)
    assert clock.now() >= target and len(seen) == 2
    await double.advance_to(target - timedelta(hours=1))  # already past: no move, no jump
    assert len(seen) == 2

    unsubscribe()
    await double.advance(timedelta(minutes=5))
    assert len(seen) == 2 and clock.offset == double.clock.offset
    with pytest.raises(ValueError, match="only moves forward"):
        await double.advance(timedelta(seconds=-1))


async def test_a_bot_started_later_reads_the_offset_and_nothing_is_recorded(double: FakeDiscord) -> None:
    assert double.clock.subscribers == 0
    await double.advance(timedelta(hours=5))  # no bot connected: returns at once
    clock = await asyncio.to_thread(DoubleClock.connect, double.port)
    assert clock.offset == timedelta(hours=5)
    assert abs(clock.now() - (datetime.now(UTC) + timedelta(hours=5))) < CLOSE
    assert double.requests == [] and double.violations == []  # the clock is not Discord's API
