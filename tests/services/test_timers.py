"""TimerService against a real SQLite file and an injected clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.clock import FakeClock, JumpingClock, SystemClock
from bot.db import Database
from bot.services.timers import WAKE_JOB_ID, Timer, TimerService

BOUND = 5.0  # seconds: the most any wait here may take before the test fails (never a timing check)


class Recorder:
    """A handler that records every timer it was given and wakes waiters."""

    def __init__(self) -> None:
        self.seen: list[Timer] = []
        self._changed = asyncio.Event()

    async def __call__(self, timer: Timer) -> None:
        self.seen.append(timer)
        self._changed.set()

    @property
    def ids(self) -> list[int]:
        return [timer.id for timer in self.seen]

    async def wait_for_count(self, count: int) -> None:
        async def wait() -> None:
            while len(self.seen) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), BOUND)


async def wait_until(predicate: Callable[[], Awaitable[bool]]) -> None:
    """Poll a database condition that a background task will make true, bounded by BOUND."""

    async def poll() -> None:
        while True:
            if await predicate():
                return
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), BOUND)


@pytest.fixture
async def timers(db: Database, clock: FakeClock) -> AsyncIterator[TimerService]:
    service = TimerService(db, clock)
    yield service
    await service.stop()


async def status_of(service: TimerService, timer_id: int) -> str:
    timer = await service.get(timer_id)
    assert timer is not None
    return timer.status


# -- firing ---------------------------------------------------------------------------------------


async def test_fires_once_when_due_and_is_marked_done(timers: TimerService, clock: FakeClock) -> None:
    handler = Recorder()
    timers.register("test.ping", handler)
    timer_id = await timers.schedule("test.ping", clock.now() + timedelta(minutes=5), {"guild_id": 7})

    assert await timers.run_due() == 0
    assert handler.seen == []

    clock.advance(timedelta(minutes=5))
    assert await timers.run_due() == 1
    assert handler.ids == [timer_id]
    assert handler.seen[0].payload == {"guild_id": 7}
    assert handler.seen[0].due_at == clock.now()
    assert await status_of(timers, timer_id) == "done"

    clock.advance(timedelta(days=1))
    assert await timers.run_due() == 0
    assert handler.ids == [timer_id]
    assert await timers.pending_count() == 0


async def test_runs_due_timers_in_due_order_and_late_handlers_see_their_due_time(
    timers: TimerService, clock: FakeClock
) -> None:
    handler = Recorder()
    timers.register("test.ping", handler)
    base = clock.now()
    late = await timers.schedule("test.ping", base + timedelta(minutes=3), {})
    early = await timers.schedule("test.ping", base + timedelta(minutes=1), {})
    future = await timers.schedule("test.ping", base + timedelta(hours=2), {})

    clock.advance(timedelta(hours=1))
    assert await timers.run_due() == 2
    assert handler.ids == [early, late]
    assert all(timer.due_at < clock.now() for timer in handler.seen)
    assert await status_of(timers, future) == "pending"


async def test_concurrency_is_bounded(db: Database, clock: FakeClock) -> None:
    service = TimerService(db, clock, concurrency=2)
    running = 0
    most_at_once = 0
    release = asyncio.Event()

    async def slow(timer: Timer) -> None:
        nonlocal running, most_at_once
        running += 1
        most_at_once = max(most_at_once, running)
        await release.wait()
        running -= 1

    service.register("test.slow", slow)
    for _ in range(5):
        await service.schedule("test.slow", clock.now(), {})
    run = asyncio.create_task(service.run_due())
    await wait_until(lambda: _true_if(running == 2))
    release.set()
    assert await asyncio.wait_for(run, BOUND) == 5
    assert most_at_once == 2


async def _true_if(condition: bool) -> bool:
    return condition


async def test_the_same_timer_never_runs_twice_at_once(timers: TimerService, clock: FakeClock) -> None:
    calls = 0
    entered = asyncio.Event()
    release = asyncio.Event()

    async def blocking(timer: Timer) -> None:
        nonlocal calls
        calls += 1
        entered.set()
        await release.wait()

    timers.register("test.block", blocking)
    timer_id = await timers.schedule("test.block", clock.now(), {})
    first = asyncio.create_task(timers.run_due())
    await asyncio.wait_for(entered.wait(), BOUND)

    assert await timers.run_due() == 0  # the timer is in flight: the second run skips it
    release.set()
    assert await asyncio.wait_for(first, BOUND) == 1
    assert calls == 1
    assert await status_of(timers, timer_id) == "done"


# -- failures -------------------------------------------------------------------------------------


async def test_failing_handler_is_retried_with_backoff_then_failed_and_reported(
    db: Database, clock: FakeClock
) -> None:
    service = TimerService(db, clock, max_attempts=3, base_backoff=timedelta(seconds=30))
    attempts_seen: list[int] = []
    reported: list[tuple[Timer, str]] = []

    async def broken(timer: Timer) -> None:
        attempts_seen.append(timer.attempts)
        raise RuntimeError("mod-log channel is gone")

    async def failing_callback(timer: Timer, error: str) -> None:
        raise ValueError("a broken callback must not stop the others")

    async def report(timer: Timer, error: str) -> None:
        reported.append((timer, error))

    service.register("test.broken", broken)
    service.on_final_failure(failing_callback)
    service.on_final_failure(report)
    timer_id = await service.schedule("test.broken", clock.now(), {"guild_id": 1})

    assert await service.run_due() == 1
    after_first = await service.get(timer_id)
    assert after_first is not None
    assert (after_first.status, after_first.attempts) == ("pending", 1)
    assert after_first.due_at == clock.now() + timedelta(seconds=30)
    assert after_first.last_error is not None and "mod-log channel is gone" in after_first.last_error

    clock.advance(timedelta(seconds=29))
    assert await service.run_due() == 0  # backoff not over yet
    clock.advance(timedelta(seconds=1))
    assert await service.run_due() == 1
    after_second = await service.get(timer_id)
    assert after_second is not None
    assert (after_second.status, after_second.attempts) == ("pending", 2)
    assert after_second.due_at == clock.now() + timedelta(seconds=60)  # doubled

    assert reported == []
    clock.advance(timedelta(seconds=60))
    assert await service.run_due() == 1
    assert attempts_seen == [0, 1, 2]
    assert await status_of(service, timer_id) == "failed"
    assert len(reported) == 1
    failed_timer, error = reported[0]
    assert (failed_timer.id, failed_timer.attempts, failed_timer.status) == (timer_id, 3, "failed")
    assert "mod-log channel is gone" in error

    clock.advance(timedelta(days=1))
    assert await service.run_due() == 0
    assert attempts_seen == [0, 1, 2]


async def test_backoff_is_capped(db: Database, clock: FakeClock) -> None:
    service = TimerService(
        db, clock, max_attempts=20, base_backoff=timedelta(minutes=30), max_backoff=timedelta(hours=1)
    )

    async def broken(timer: Timer) -> None:
        raise RuntimeError("still broken")

    service.register("test.broken", broken)
    timer_id = await service.schedule("test.broken", clock.now(), {})
    delays = []
    for _ in range(4):
        before = clock.now()
        assert await service.run_due() == 1
        timer = await service.get(timer_id)
        assert timer is not None
        delays.append(timer.due_at - before)
        clock.set(timer.due_at)
    assert delays == [timedelta(minutes=30), timedelta(hours=1), timedelta(hours=1), timedelta(hours=1)]


async def test_handler_that_recovers_is_done(timers: TimerService, clock: FakeClock) -> None:
    calls = 0

    async def flaky(timer: Timer) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("Discord hiccup")

    timers.register("test.flaky", flaky)
    timer_id = await timers.schedule("test.flaky", clock.now(), {})
    await timers.run_due()
    clock.advance(timedelta(minutes=1))
    await timers.run_due()
    assert calls == 2
    assert await status_of(timers, timer_id) == "done"


async def test_a_handlers_own_cancelled_error_counts_as_a_failure(
    timers: TimerService, clock: FakeClock
) -> None:
    async def cancels_itself(timer: Timer) -> None:
        raise asyncio.CancelledError

    timers.register("test.cancels", cancels_itself)
    timer_id = await timers.schedule("test.cancels", clock.now(), {})
    assert await timers.run_due() == 1  # the run survives it
    timer = await timers.get(timer_id)
    assert timer is not None
    assert (timer.status, timer.attempts) == ("pending", 1)


async def test_a_hanging_handler_times_out_as_a_failed_attempt(db: Database, clock: FakeClock) -> None:
    service = TimerService(db, clock, handler_timeout=timedelta(seconds=0.05))
    other = Recorder()

    async def hangs(timer: Timer) -> None:
        await asyncio.Event().wait()

    service.register("test.hangs", hangs)
    service.register("test.ping", other)
    hanging_id = await service.schedule("test.hangs", clock.now(), {})
    other_id = await service.schedule("test.ping", clock.now(), {})
    assert await asyncio.wait_for(service.run_due(), BOUND) == 2
    hanging = await service.get(hanging_id)
    assert hanging is not None
    assert (hanging.status, hanging.attempts) == ("pending", 1)
    assert hanging.last_error is not None and "TimeoutError" in hanging.last_error
    assert other.ids == [other_id]


# -- crash and restart ----------------------------------------------------------------------------


async def test_crash_before_done_fires_again_exactly_once_after_restart(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "crash.db"
    runs: list[int] = []
    started = asyncio.Event()

    async def dies_midway(timer: Timer) -> None:
        runs.append(timer.id)
        started.set()
        await asyncio.Event().wait()  # the process "dies" here: the task is killed, nothing returns

    db = await Database.open(path)
    first_life = TimerService(db, clock)
    first_life.register("test.reminder", dies_midway)
    timer_id = await first_life.schedule("test.reminder", clock.now(), {"event_id": 3})
    run = asyncio.create_task(first_life.run_due())
    await asyncio.wait_for(started.wait(), BOUND)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    await db.close()

    db = await Database.open(path)
    try:
        second_life = TimerService(db, clock)
        after_restart = Recorder()
        second_life.register("test.reminder", after_restart)
        timer = await second_life.get(timer_id)
        assert timer is not None
        assert (timer.status, timer.attempts) == ("pending", 0)  # a crash is not a failed attempt

        assert await second_life.run_due() == 1
        assert await second_life.run_due() == 0
        assert runs == [timer_id]
        assert after_restart.ids == [timer_id]
        assert await status_of(second_life, timer_id) == "done"
    finally:
        await db.close()


async def test_stop_while_a_handler_runs_leaves_the_timer_pending(
    timers: TimerService, clock: FakeClock
) -> None:
    started = asyncio.Event()

    async def slow(timer: Timer) -> None:
        started.set()
        await asyncio.Event().wait()

    timers.register("test.slow", slow)
    timer_id = await timers.schedule("test.slow", clock.now(), {})
    await timers.start()
    await asyncio.wait_for(started.wait(), BOUND)
    await timers.stop()
    assert not timers.running
    assert await status_of(timers, timer_id) == "pending"


async def test_overdue_timers_fire_at_start(timers: TimerService, clock: FakeClock) -> None:
    handler = Recorder()
    timers.register("test.ping", handler)
    overdue = [await timers.schedule("test.ping", clock.now() - timedelta(hours=h), {}) for h in (1, 2)]
    later = await timers.schedule("test.ping", clock.now() + timedelta(hours=1), {})

    await timers.start()
    await handler.wait_for_count(2)
    await wait_until(lambda: _statuses_are(timers, overdue, "done"))
    assert sorted(handler.ids) == sorted(overdue)
    assert await status_of(timers, later) == "pending"


async def _statuses_are(service: TimerService, ids: list[int], status: str) -> bool:
    return all([await status_of(service, timer_id) == status for timer_id in ids])


# -- cancel and reschedule ------------------------------------------------------------------------


async def test_cancelled_timer_never_fires(timers: TimerService, clock: FakeClock) -> None:
    handler = Recorder()
    timers.register("test.ping", handler)
    timer_id = await timers.schedule("test.ping", clock.now() + timedelta(minutes=1), {})

    assert await timers.cancel(timer_id) is True
    assert await timers.cancel(timer_id) is False  # already cancelled
    clock.advance(timedelta(hours=1))
    assert await timers.run_due() == 0
    assert handler.seen == []
    assert await status_of(timers, timer_id) == "cancelled"
    assert await timers.cancel(999_999) is False


async def test_reschedule_moves_the_due_time(timers: TimerService, clock: FakeClock) -> None:
    handler = Recorder()
    timers.register("test.ping", handler)
    start = clock.now()
    timer_id = await timers.schedule("test.ping", start + timedelta(minutes=10), {})

    await timers.reschedule(timer_id, start + timedelta(hours=2))
    clock.set(start + timedelta(minutes=10))
    assert await timers.run_due() == 0  # the old time does not fire
    clock.set(start + timedelta(hours=2))
    assert await timers.run_due() == 1
    assert handler.ids == [timer_id]
    assert handler.seen[0].due_at == start + timedelta(hours=2)

    await timers.reschedule(timer_id, start + timedelta(hours=5))  # done: no effect
    clock.set(start + timedelta(hours=5))
    assert await timers.run_due() == 0
    assert await status_of(timers, timer_id) == "done"


async def test_rescheduled_while_running_fires_again_at_the_new_time(
    timers: TimerService, clock: FakeClock
) -> None:
    entered = asyncio.Event()
    release = asyncio.Event()
    runs = 0

    async def handler(timer: Timer) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            entered.set()
            await release.wait()

    timers.register("test.ping", handler)
    timer_id = await timers.schedule("test.ping", clock.now(), {})
    first = asyncio.create_task(timers.run_due())
    await asyncio.wait_for(entered.wait(), BOUND)
    await timers.reschedule(timer_id, clock.now() + timedelta(hours=1))
    release.set()
    await asyncio.wait_for(first, BOUND)
    assert await status_of(timers, timer_id) == "pending"

    clock.advance(timedelta(hours=1))
    assert await timers.run_due() == 1
    assert runs == 2
    assert await status_of(timers, timer_id) == "done"


async def test_cancel_matching_cancels_by_kind_and_payload_fields(
    timers: TimerService, clock: FakeClock
) -> None:
    due = clock.now() + timedelta(hours=1)
    five_a = await timers.schedule("event.reminder", due, {"event_id": 5, "lead": "1d"})
    five_b = await timers.schedule("event.reminder", due, {"event_id": 5, "lead": "1h"})
    six = await timers.schedule("event.reminder", due, {"event_id": 6, "lead": "1h"})
    other_kind = await timers.schedule("poll.close", due, {"event_id": 5})
    text_five = await timers.schedule("event.reminder", due, {"event_id": "5"})

    assert await timers.cancel_matching("event.reminder", event_id=5, lead="1h") == 1
    assert await status_of(timers, five_b) == "cancelled"
    assert await timers.cancel_matching("event.reminder", event_id=5) == 1
    assert await status_of(timers, five_a) == "cancelled"
    assert await timers.cancel_matching("event.reminder", event_id=5) == 0
    for untouched in (six, other_kind, text_five):
        assert await status_of(timers, untouched) == "pending"

    with pytest.raises(ValueError):
        injection: dict[str, Any] = {"x') OR 1=1 --": 1}
        await timers.cancel_matching("event.reminder", **injection)
    with pytest.raises(TypeError):
        await timers.cancel_matching("event.reminder", event_id=None)
    assert await timers.pending_count() == 3


async def test_cancel_matching_with_booleans_and_no_fields(timers: TimerService, clock: FakeClock) -> None:
    due = clock.now() + timedelta(hours=1)
    loud = await timers.schedule("digest.post", due, {"ping": True})
    quiet = await timers.schedule("digest.post", due, {"ping": False})
    assert await timers.cancel_matching("digest.post", ping=True) == 1
    assert await status_of(timers, loud) == "cancelled"
    assert await status_of(timers, quiet) == "pending"
    assert await timers.cancel_matching("digest.post") == 1
    assert await status_of(timers, quiet) == "cancelled"


# -- scheduling -----------------------------------------------------------------------------------


async def test_schedule_joins_the_callers_transaction(
    db: Database, timers: TimerService, clock: FakeClock
) -> None:
    due = clock.now() + timedelta(hours=1)

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('feature.row', 'x')")
            await timers.schedule("test.ping", due, {"n": 1}, tx=tx)
            raise Abort
    assert await timers.pending_count() == 0
    assert await db.fetchval("SELECT COUNT(*) FROM meta WHERE key = 'feature.row'") == 0

    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('feature.row', 'x')")
        timer_id = await timers.schedule("test.ping", due, {"n": 2}, tx=tx)
        assert await timers.cancel_matching("test.ping", tx=tx, n=3) == 0
    assert [timer.id for timer in await timers.upcoming()] == [timer_id]


async def test_schedule_validates_its_arguments(timers: TimerService, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="aware"):
        await timers.schedule("test.ping", datetime(2027, 1, 1, 12, 0), {})
    with pytest.raises(TypeError, match="JSON"):
        await timers.schedule("test.ping", clock.now(), {"when": clock.now()})
    with pytest.raises(TypeError, match="dict"):
        await timers.schedule("test.ping", clock.now(), [1, 2])  # type: ignore[arg-type]  # the wrong type on purpose
    with pytest.raises(ValueError, match="kind"):
        await timers.schedule("", clock.now(), {})
    with pytest.raises(ValueError, match="aware"):
        await timers.reschedule(1, datetime(2027, 1, 1, 12, 0))
    assert await timers.pending_count() == 0


async def test_schedule_accepts_other_time_zones_and_stores_utc(
    timers: TimerService, clock: FakeClock
) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2027, 6, 15, 9, 0, tzinfo=ZoneInfo("America/Toronto"))
    timer_id = await timers.schedule("wim.day", local, {})
    timer = await timers.get(timer_id)
    assert timer is not None
    assert timer.due_at == local
    assert timer.due_at.tzinfo == UTC


async def test_unknown_kind_stays_pending_until_a_handler_is_registered(
    timers: TimerService, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    timer_id = await timers.schedule("cog.not_loaded", clock.now(), {})
    assert await timers.run_due() == 0
    assert await timers.run_due() == 0
    assert await status_of(timers, timer_id) == "pending"
    warnings = [r for r in caplog.records if "cog.not_loaded" in r.getMessage()]
    assert len(warnings) == 1  # said once, not at every wake-up

    handler = Recorder()
    timers.register("cog.not_loaded", handler)
    assert await timers.run_due() == 1
    assert handler.ids == [timer_id]


async def test_registering_a_kind_runs_its_waiting_timers(timers: TimerService, clock: FakeClock) -> None:
    timer_id = await timers.schedule("cog.late", clock.now() - timedelta(minutes=1), {})
    await timers.start()
    handler = Recorder()
    timers.register("cog.late", handler)
    await handler.wait_for_count(1)
    assert handler.ids == [timer_id]


async def test_upcoming_pending_count_and_next_due(timers: TimerService, clock: FakeClock) -> None:
    assert await timers.next_due() is None
    assert await timers.upcoming() == []
    base = clock.now()
    ids = [await timers.schedule("test.ping", base + timedelta(hours=h), {"h": h}) for h in (3, 1, 2)]
    await timers.cancel(ids[1])
    assert await timers.pending_count() == 2
    assert await timers.next_due() == base + timedelta(hours=2)
    assert [timer.id for timer in await timers.upcoming(limit=1)] == [ids[2]]
    assert [timer.payload["h"] for timer in await timers.upcoming()] == [2, 3]


# -- the wake-up job ------------------------------------------------------------------------------


def wake_job_time(service: TimerService) -> datetime | None:
    assert service.scheduler is not None
    job = service.scheduler.get_job(WAKE_JOB_ID)
    return None if job is None else job.next_run_time


async def test_one_wake_up_job_armed_at_the_earliest_due_time(timers: TimerService, clock: FakeClock) -> None:
    timers.register("test.ping", Recorder())
    base = clock.now()
    await timers.schedule("test.ping", base + timedelta(hours=5), {})
    await timers.start()
    await wait_until(lambda: _true_if(wake_job_time(timers) is not None))
    assert wake_job_time(timers) == base + timedelta(hours=5)

    await timers.schedule("test.ping", base + timedelta(hours=2), {})
    assert wake_job_time(timers) == base + timedelta(hours=2)
    await timers.schedule("test.ping", base + timedelta(hours=3), {})
    assert wake_job_time(timers) == base + timedelta(hours=2)  # later timers do not move it

    moved = await timers.schedule("test.ping", base + timedelta(hours=4), {})
    await timers.reschedule(moved, base + timedelta(hours=1))
    assert wake_job_time(timers) == base + timedelta(hours=1)

    # A committed cancel re-arms for the new earliest, which may be later.
    await timers.cancel(moved)
    assert wake_job_time(timers) == base + timedelta(hours=2)
    await timers.cancel_matching("test.ping")
    assert wake_job_time(timers) is None

    # Inside a transaction that may still roll back, the wake-up only ever moves earlier.
    kept = await timers.schedule("test.ping", base + timedelta(hours=7), {})
    async with timers_db(timers).transaction() as tx:
        await timers.cancel(kept, tx=tx)
        await timers.schedule("test.ping", base + timedelta(hours=8), {}, tx=tx)
        assert wake_job_time(timers) == base + timedelta(hours=7)
    # The next run re-arms for the true earliest.
    await timers.run_due()
    assert wake_job_time(timers) == base + timedelta(hours=8)
    assert timers.scheduler is not None
    assert len(timers.scheduler.get_jobs()) == 1


def timers_db(service: TimerService) -> Database:
    return service._db


async def test_many_pending_timers_still_make_one_wake_up_job(
    db: Database, timers: TimerService, clock: FakeClock
) -> None:
    timers.register("event.reminder", Recorder())
    base = clock.now()
    async with db.transaction() as tx:
        for minutes in range(1000, 0, -1):
            await timers.schedule("event.reminder", base + timedelta(minutes=minutes), {"n": minutes}, tx=tx)
    await timers.start()
    await wait_until(lambda: _true_if(wake_job_time(timers) == base + timedelta(minutes=1)))
    assert timers.scheduler is not None
    assert len(timers.scheduler.get_jobs()) == 1
    assert await timers.pending_count() == 1000


async def test_wake_up_is_re_armed_for_the_next_timer_after_a_run(
    timers: TimerService, clock: FakeClock
) -> None:
    handler = Recorder()
    timers.register("test.ping", handler)
    base = clock.now()
    first = await timers.schedule("test.ping", base - timedelta(minutes=1), {})
    await timers.schedule("test.ping", base + timedelta(hours=6), {})
    await timers.schedule("unhandled.kind", base + timedelta(hours=1), {})  # no handler: not armed for

    await timers.start()
    await handler.wait_for_count(1)
    await wait_until(lambda: _true_if(wake_job_time(timers) == base + timedelta(hours=6)))
    assert handler.ids == [first]


async def test_the_wake_up_really_fires_with_the_system_clock(db: Database) -> None:
    service = TimerService(db, SystemClock())
    handler = Recorder()
    service.register("test.ping", handler)
    await service.start()
    try:
        timer_id = await service.schedule("test.ping", datetime.now(UTC) + timedelta(seconds=0.2), {})
        await handler.wait_for_count(1)
        assert handler.ids == [timer_id]
        await wait_until(lambda: _statuses_are(service, [timer_id], "done"))
    finally:
        await service.stop()


async def test_a_far_wake_up_fires_when_its_time_comes(db: Database) -> None:
    start = datetime(2027, 6, 14, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=True) as traveller:
        service = TimerService(db, SystemClock())
        handler = Recorder()
        service.register("wim.day", handler)
        await service.start()
        try:
            timer_id = await service.schedule("wim.day", datetime(2027, 6, 15, 8, 0, tzinfo=UTC), {})
            await wait_until(
                lambda: _true_if(wake_job_time(service) == datetime(2027, 6, 15, 8, 0, tzinfo=UTC))
            )
            assert handler.seen == []

            traveller.shift(timedelta(hours=20))
            assert service.scheduler is not None
            service.scheduler.wakeup()  # the loop's timer runs on monotonic time; make it look again
            await handler.wait_for_count(1)
            assert handler.ids == [timer_id]
        finally:
            await service.stop()


# -- a clock that jumps (the end-to-end test clock) -------------------------------------------------


class JumpClock:
    """A ``JumpingClock`` like the e2e test clock: the wall clock plus an offset that only jumps ahead."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def on_jump(self, callback: Callable[[], None]) -> Callable[[], None]:
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback)

    def jump(self, delta: timedelta) -> None:
        self.offset += delta
        for callback in list(self.listeners):
            callback()


async def test_a_jump_of_the_clock_fires_what_fell_due_at_once_and_rearms(db: Database) -> None:
    clock = JumpClock()
    assert isinstance(clock, JumpingClock) and not isinstance(SystemClock(), JumpingClock)
    service = TimerService(db, clock)
    handler = Recorder()
    service.register("test.ping", handler)
    await service.start()
    try:
        assert len(clock.listeners) == 1
        tomorrow = await service.schedule("test.ping", clock.now() + timedelta(days=1), {})
        later = await service.schedule("test.ping", clock.now() + timedelta(days=1, hours=2), {})
        clock.jump(timedelta(days=1, seconds=1))
        await handler.wait_for_count(1)
        assert handler.ids == [tomorrow]
        # The wake-up for the next one waits the span the clock still has to go, in wall time.
        await wait_until(lambda: _true_if(_wake_in(service, timedelta(hours=2))))
        assert await status_of(service, later) == "pending"
        clock.jump(timedelta(hours=2))
        await handler.wait_for_count(2)
        assert handler.ids == [tomorrow, later]
    finally:
        await service.stop()
    assert clock.listeners == []  # a stopped service no longer follows the clock


def _wake_in(service: TimerService, span: timedelta) -> bool:
    """The wake-up job is armed about ``span`` of wall time from now (not at the clock's due time)."""
    armed = wake_job_time(service)
    if armed is None:
        return False
    return abs(armed - (datetime.now(UTC) + span)) < timedelta(seconds=BOUND)


async def test_a_timer_due_now_written_in_a_slow_transaction_fires_once_it_is_committed(
    db: Database, timers: TimerService, clock: FakeClock
) -> None:
    # The dispatcher reads on a second connection that sees only committed rows: a wake-up armed while
    # the writing transaction was still open found nothing and slept past the timer (seen end to end:
    # working-group posts that never went out).
    handler = Recorder()
    timers.register("test.ping", handler)
    await timers.start()
    async with db.transaction() as tx:
        timer_id = await timers.schedule("test.ping", clock.now(), {"guild_id": 7}, tx=tx)
        await asyncio.sleep(0.2)  # the action goes on after writing its timer: the wake-up must wait
        assert handler.ids == []
    await handler.wait_for_count(1)
    assert handler.ids == [timer_id]


async def test_after_commit_callbacks_run_only_for_committed_actions(db: Database) -> None:
    seen: list[str] = []
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
        tx.after_commit(lambda: seen.append("committed"))
        assert seen == []
    assert seen == ["committed"]
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('b', '1')")
            tx.after_commit(lambda: seen.append("rolled back"))
            raise RuntimeError("the action fails")
    assert seen == ["committed"]
