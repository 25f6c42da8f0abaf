"""Coalesce work that falls due together: items for the same key submitted within a short window
are handed to one call, and each submitter gets that call's result.

Used for reminders: Discord allows about 5 messages per 5 s in a channel and 50 requests per second in
all, so 500 reminders due in the same minute as 500 messages take minutes to drain, while grouped
(one message per channel and batch) they go out in about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Batch(Generic[T, R]):
    items: list[T] = field(default_factory=list)
    waiters: list[asyncio.Future[R]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    closes_at: float = 0.0  # loop time by which it is sent, whatever joins it


class KeyedBatcher(Generic[K, T, R]):
    """``await submit(key, item)`` returns ``send(key, items)``'s result for the batch ``item`` joined.

    A batch is sent ``window`` seconds after its first item, or at once when it holds ``max_items``.
    With ``idle``, it is also sent as soon as no item joined it for ``idle`` seconds: a lone item waits
    only ``idle``, while a burst whose items trickle in (handlers reading the database one after the
    other) still leaves as one batch, at most ``window`` after its first item.
    If ``send`` raises, every submitter of that batch gets the exception (so each can retry on its own).
    """

    def __init__(
        self,
        send: Callable[[K, list[T]], Awaitable[R]],
        *,
        window: float = 0.25,
        max_items: int = 10,
        idle: float | None = None,
    ) -> None:
        if window < 0 or max_items < 1 or (idle is not None and idle < 0):
            raise ValueError("window and idle must be >= 0 and max_items >= 1")
        self._send = send
        self._window = window
        self._idle = idle
        self._max_items = max_items
        self._open: dict[K, _Batch[T, R]] = {}
        self._sending: set[asyncio.Task[None]] = set()

    async def submit(self, key: K, item: T) -> R:
        loop = asyncio.get_running_loop()
        batch = self._open.get(key)
        if batch is None:
            batch = self._open[key] = _Batch()
            batch.closes_at = loop.time() + self._window
            batch.timer = loop.call_later(self._window, self._close, key, batch)
        if self._idle is not None and batch.timer is not None:
            when = min(batch.closes_at, loop.time() + self._idle)
            batch.timer.cancel()
            batch.timer = loop.call_at(when, self._close, key, batch)
        waiter: asyncio.Future[R] = loop.create_future()
        batch.items.append(item)
        batch.waiters.append(waiter)
        if len(batch.items) >= self._max_items:
            self._close(key, batch)
        return await waiter

    def _close(self, key: K, batch: _Batch[T, R]) -> None:
        """Stop accepting items into ``batch`` and send it."""
        if self._open.get(key) is batch:
            del self._open[key]
        if batch.timer is not None:
            batch.timer.cancel()
            batch.timer = None
        task = asyncio.get_running_loop().create_task(self._deliver(key, batch))
        self._sending.add(task)  # keep a reference until done
        task.add_done_callback(self._sending.discard)

    async def _deliver(self, key: K, batch: _Batch[T, R]) -> None:
        try:
            result = await self._send(key, batch.items)
        except BaseException as exc:
            for waiter in batch.waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        else:
            for waiter in batch.waiters:
                if not waiter.done():
                    waiter.set_result(result)

    async def close(self) -> None:
        """Send what is still open and wait for every batch in flight."""
        for key, batch in list(self._open.items()):
            self._close(key, batch)
        for task in list(self._sending):
            with contextlib.suppress(BaseException):
                await task


class DelayedRun:
    """``request(delay)`` runs ``job()`` once, ``delay`` seconds after the first request since the last
    run began; many requests, one run. One run at a time: a run that falls due while the previous one
    is still going waits for another ``delay``. For work that may lag a little behind what asks for it
    (a WAL checkpoint after commits, remembered languages written together).
    """

    def __init__(self, job: Callable[[], Coroutine[Any, Any, object]], *, name: str) -> None:
        self._job = job
        self._name = name
        self._timer: asyncio.TimerHandle | None = None
        self._delay = 0.0
        self._running: asyncio.Task[object] | None = None

    def request(self, delay: float) -> None:
        if self._timer is None:
            self._delay = delay
            self._timer = asyncio.get_running_loop().call_later(delay, self._due)

    def _due(self) -> None:
        self._timer = None
        if self._running is not None and not self._running.done():
            self.request(self._delay)
            return
        self._running = asyncio.create_task(self._job(), name=self._name)

    async def close(self) -> None:
        """Cancel a run not yet due and wait for one in progress (its errors are the job's to log)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._running is not None:
            with contextlib.suppress(Exception):
                await self._running
