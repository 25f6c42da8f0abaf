"""The rate-aware path every REST request takes (bot.core.pacing.RequestPacer)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from yarl import URL

from bot.core.pacing import BACKGROUND, NORMAL, RequestPacer, background, is_exempt


async def _grant_times(pacer: RequestPacer, count: int, priority: int | None = None) -> list[float]:
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def one() -> None:
        await pacer.acquire(priority)
        times.append(loop.time())

    await asyncio.gather(*(one() for _ in range(count)))
    return times


async def test_a_burst_leaves_evenly_spaced_within_the_rate() -> None:
    pacer = RequestPacer(per_second=100)
    loop = asyncio.get_running_loop()
    started = loop.time()
    times = await _grant_times(pacer, 30)
    assert len(times) == 30
    # 30 requests at 100 a second: the last leaves about 0.29 s after the first, never sooner.
    assert times[-1] - started >= 0.28
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.009  # never two within one interval (timer granularity allowed)
    # In any 100 ms, at most 10 (+1 at the edge): what a server counting arrivals sees.
    for first in times:
        assert sum(1 for t in times if first <= t < first + 0.1) <= 11


async def test_a_lone_request_is_not_delayed() -> None:
    pacer = RequestPacer(per_second=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await pacer.acquire()
    assert loop.time() - started < 0.05
    assert pacer.waited == 0


async def test_background_waits_behind_normal_requests_and_a_quiet_moment() -> None:
    pacer = RequestPacer(per_second=200, quiet=0.05)
    order: list[str] = []

    async def one(name: str, priority: int) -> None:
        await pacer.acquire(priority)
        order.append(name)

    await pacer.acquire(NORMAL)  # something just left: the next waits one interval
    tasks = [asyncio.ensure_future(one(f"refresh {n}", BACKGROUND)) for n in range(3)]
    tasks += [asyncio.ensure_future(one(f"post {n}", NORMAL)) for n in range(5)]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert order == [f"post {n}" for n in range(5)] + [f"refresh {n}" for n in range(3)]


async def test_the_background_block_marks_the_requests_of_its_task() -> None:
    pacer = RequestPacer(per_second=200, quiet=0.2, max_background_wait=5.0)
    loop = asyncio.get_running_loop()
    await pacer.acquire()  # a NORMAL request just left
    started = loop.time()
    with background():
        await pacer.acquire()  # waits for the quiet moment
    assert loop.time() - started >= 0.18
    started = loop.time()
    await pacer.acquire()  # NORMAL again outside the block
    assert loop.time() - started < 0.05


async def test_background_is_never_starved_beyond_its_longest_wait() -> None:
    pacer = RequestPacer(per_second=200, quiet=10.0, max_background_wait=0.1)
    await pacer.acquire(NORMAL)
    await asyncio.wait_for(pacer.acquire(BACKGROUND), timeout=2)


async def test_a_global_429_pauses_everything_for_its_retry_after() -> None:
    pacer = RequestPacer(per_second=1000)
    loop = asyncio.get_running_loop()
    pacer.pause(0.2)
    started = loop.time()
    await pacer.acquire()
    assert loop.time() - started >= 0.18


async def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    pacer = RequestPacer(per_second=20)
    await pacer.acquire()
    cancelled = asyncio.ensure_future(pacer.acquire())
    kept = asyncio.ensure_future(pacer.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.wait_for(kept, timeout=2)
    assert pacer.queued == 0


def test_interaction_answers_and_webhooks_are_exempt_as_on_discord() -> None:
    assert is_exempt(URL("http://x/api/v10/interactions/1/tok/callback").path)
    assert is_exempt(URL("http://x/api/v10/webhooks/1/tok/messages/@original").path)
    assert not is_exempt(URL("http://x/api/v10/channels/1/messages").path)
    assert not is_exempt(URL("http://x/api/v10/users/@me/channels").path)


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="per_second"):
        RequestPacer(per_second=0)
