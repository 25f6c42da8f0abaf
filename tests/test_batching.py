from __future__ import annotations

import asyncio

import pytest

from bot.batching import DelayedRun, KeyedBatcher


async def test_items_for_one_key_submitted_together_go_out_in_one_call() -> None:
    calls: list[tuple[str, list[int]]] = []

    async def send(key: str, items: list[int]) -> int:
        calls.append((key, list(items)))
        return len(calls)

    batcher: KeyedBatcher[str, int, int] = KeyedBatcher(send, window=0.05, max_items=10)
    results = await asyncio.gather(
        batcher.submit("a", 1), batcher.submit("b", 2), batcher.submit("a", 3), batcher.submit("a", 4)
    )
    assert sorted(calls) == [("a", [1, 3, 4]), ("b", [2])]
    call_of_a = next(i for i, (key, _) in enumerate(calls, 1) if key == "a")
    assert results[0] == results[2] == results[3] == call_of_a


async def test_a_full_batch_is_sent_at_once_and_the_rest_starts_a_new_one() -> None:
    calls: list[list[int]] = []

    async def send(key: str, items: list[int]) -> None:
        calls.append(list(items))

    batcher: KeyedBatcher[str, int, None] = KeyedBatcher(send, window=10.0, max_items=3)
    full = [asyncio.ensure_future(batcher.submit("k", n)) for n in range(3)]
    await asyncio.wait_for(asyncio.gather(*full), timeout=5)  # did not wait the 10 s window
    assert calls == [[0, 1, 2]]
    rest = asyncio.ensure_future(batcher.submit("k", 3))
    await asyncio.sleep(0)
    assert not rest.done()
    await batcher.close()
    await rest
    assert calls == [[0, 1, 2], [3]]


async def test_a_failed_send_fails_every_submitter_of_that_batch_only() -> None:
    async def send(key: str, items: list[int]) -> str:
        if key == "bad":
            raise RuntimeError("Discord is down")
        return "ok"

    batcher: KeyedBatcher[str, int, str] = KeyedBatcher(send, window=0.01)
    results = await asyncio.gather(
        batcher.submit("bad", 1), batcher.submit("bad", 2), batcher.submit("good", 3), return_exceptions=True
    )
    assert [type(r) for r in results[:2]] == [RuntimeError, RuntimeError]
    assert results[2] == "ok"


def test_rejects_nonsense_settings() -> None:
    async def send(key: str, items: list[int]) -> None:
        return None

    with pytest.raises(ValueError):
        KeyedBatcher(send, max_items=0)


async def test_with_idle_a_lone_item_leaves_after_the_idle_gap_and_a_trickle_stays_one_batch() -> None:
    calls: list[list[int]] = []

    async def send(key: str, items: list[int]) -> None:
        calls.append(list(items))

    batcher: KeyedBatcher[str, int, None] = KeyedBatcher(send, window=5.0, idle=0.05, max_items=50)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await batcher.submit("lone", 0)
    assert loop.time() - started < 1.0  # the idle gap, not the 5 s window
    # Items arriving 20 ms apart (handlers reading the database in turn) keep the batch open.
    trickle = []
    for n in range(1, 6):
        trickle.append(asyncio.ensure_future(batcher.submit("k", n)))
        await asyncio.sleep(0.02)
    await asyncio.wait_for(asyncio.gather(*trickle), timeout=5)
    assert calls == [[0], [1, 2, 3, 4, 5]]


async def test_with_idle_a_steady_stream_still_leaves_within_the_window() -> None:
    calls: list[list[int]] = []

    async def send(key: str, items: list[int]) -> None:
        calls.append(list(items))

    batcher: KeyedBatcher[str, int, None] = KeyedBatcher(send, window=0.1, idle=0.05, max_items=1000)
    pending = []
    for n in range(12):
        pending.append(asyncio.ensure_future(batcher.submit("k", n)))
        await asyncio.sleep(0.02)
    await asyncio.wait_for(asyncio.gather(*pending), timeout=5)
    assert len(calls) >= 2  # the 0.1 s window closed the first batch while items kept coming
    assert [n for call in calls for n in call] == list(range(12))


async def test_a_delayed_run_runs_once_for_many_requests_and_one_at_a_time() -> None:
    started: list[float] = []
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def job() -> None:
        started.append(loop.time())
        await release.wait()

    run = DelayedRun(job, name="test")
    first = loop.time()
    for _ in range(50):
        run.request(0.02)
    await asyncio.sleep(0.1)
    assert len(started) == 1 and started[0] - first >= 0.02  # 50 requests, one run, after the delay
    run.request(0.02)
    await asyncio.sleep(0.1)
    assert len(started) == 1, "due while the first still runs: it waits"
    release.set()
    await asyncio.sleep(0.1)
    assert len(started) == 2
    run.request(0.05)
    await run.close()  # not yet due: cancelled
    await asyncio.sleep(0.1)
    assert len(started) == 2
