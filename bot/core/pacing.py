"""The bot's one rate-aware path to Discord's REST API: requests leave at a pace Discord accepts.

discord.py already waits on each route's bucket once it has seen its ``X-RateLimit-*`` headers, but
nothing holds back the bot as a whole: Discord refuses more than 50 requests per second across all
routes (a global 429), and a burst (500 reminders, 100 "starting now" posts, a DM to every member of a
working group) is far more than that in one instant. ``RequestPacer`` sits where the request leaves
(an ``aiohttp.TraceConfig`` hook that runs after discord.py's own bucket wait, just before the
request is sent), so every request of the bot passes through it, whoever sends it:

- at most ``per_second`` requests a second, evenly spaced (below Discord's 50: Discord counts
  arrivals, which the network and a busy event loop bunch);
- interaction answers and webhooks (``/interactions/``, ``/webhooks/``) are exempt, as they are on
  Discord: a click is never queued behind a burst;
- when requests wait, they leave by priority, then in order: ``NORMAL`` (what a member or a due
  timer is waiting for), before ``BACKGROUND`` (refreshing counts on a card, mirrors). Code marks its
  requests with ``with background():`` (a context variable, so it follows the task that sends).

Routes with tight buckets of their own (opening a DM channel: 10 per 10 s) are left to discord.py's
bucket handling; ``bot.core.dm`` keeps each member's DM channel so it is opened once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import itertools
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import aiohttp

NORMAL = 1
BACKGROUND = 2
# Discord's global cap is 50 requests per second; keep a margin for the bunching of arrivals.
DEFAULT_PER_SECOND = 45
EXEMPT_PATH_PARTS = ("/interactions/", "/webhooks/")

_priority: contextvars.ContextVar[int] = contextvars.ContextVar("wim_request_priority", default=NORMAL)


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Requests sent inside this block (by this task and tasks it starts) wait behind the others."""
    token = _priority.set(BACKGROUND)
    try:
        yield
    finally:
        _priority.reset(token)


def is_exempt(path: str) -> bool:
    """Whether Discord leaves this request out of the global cap (interaction answers, webhooks)."""
    return any(part in path for part in EXEMPT_PATH_PARTS)


class RequestPacer:
    """Requests leave evenly spaced, at most ``per_second`` a second, granted by priority.

    Evenly spaced rather than in bursts of ``per_second``: the far end counts arrivals, and a burst
    bunched by the network or a busy event loop would land in one of its windows. ``BACKGROUND``
    requests leave only once no ``NORMAL`` one left for ``quiet`` seconds (or after waiting
    ``max_background_wait``): a burst's posts are not slowed by the card refreshes they cause, even
    between two waves of posts. A global 429 that still comes back (another process sharing the
    token, a clock far off) pauses every request for the ``Retry-After`` it names.
    """

    def __init__(
        self,
        per_second: float = DEFAULT_PER_SECOND,
        *,
        quiet: float = 0.5,
        max_background_wait: float = 5.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= 0 or quiet < 0 or max_background_wait < 0:
            raise ValueError("per_second must be > 0, quiet and max_background_wait >= 0")
        self.interval = 1.0 / per_second
        self.quiet = quiet
        self.max_background_wait = max_background_wait
        self._now = now
        self._next_free = float("-inf")  # when the next request may leave
        self._last_normal = float("-inf")  # when the last NORMAL request left
        # (priority, order, when it started waiting, future)
        self._waiting: list[tuple[int, int, float, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._wakeup: asyncio.TimerHandle | None = None
        self.waited = 0  # how many requests had to wait (for logs and benchmarks)
        self.global_429s = 0

    @property
    def queued(self) -> int:
        return sum(1 for *_, future in self._waiting if not future.done())

    def _ready_at(self, priority: int, since: float) -> float:
        """When a request of ``priority`` waiting since ``since`` may leave (spacing aside)."""
        if priority < BACKGROUND:
            return self._next_free
        return max(self._next_free, min(self._last_normal + self.quiet, since + self.max_background_wait))

    def _take(self, now: float, priority: int) -> None:
        self._next_free = max(now, self._next_free) + self.interval
        if priority < BACKGROUND:
            self._last_normal = now

    async def acquire(self, priority: int | None = None) -> None:
        """Return when one more request may leave now (it is counted)."""
        level = _priority.get() if priority is None else priority
        now = self._now()
        if not self._waiting and now >= self._ready_at(level, now):
            self._take(now, level)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (level, next(self._order), now, future))
        self.waited += 1
        self._rearm()
        await future  # a cancelled waiter is skipped when its turn comes

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (Discord said so with a global 429)."""
        self._next_free = max(self._next_free, self._now() + max(0.0, seconds))
        self._rearm()

    def _rearm(self) -> None:
        """Wake up for the first waiter (after a new one, which may come first, or a pause)."""
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        while self._waiting and self._waiting[0][3].done():
            heapq.heappop(self._waiting)
        if self._waiting:
            level, _, since, _ = self._waiting[0]
            delay = max(0.0, self._ready_at(level, since) - self._now())
            self._wakeup = asyncio.get_running_loop().call_later(delay, self._grant)

    def _grant(self) -> None:
        self._wakeup = None
        now = self._now()
        # One at a time, spaced from now: a late wake-up (a busy loop) never lets out a catch-up burst.
        while self._waiting:
            level, _, since, future = self._waiting[0]
            if future.done():
                heapq.heappop(self._waiting)
                continue
            if now < self._ready_at(level, since):
                break
            heapq.heappop(self._waiting)
            self._take(now, level)
            future.set_result(None)
        self._rearm()

    def trace_config(self) -> aiohttp.TraceConfig:
        """The hook to hand to discord.py (``Client(http_trace=...)``): every request passes here."""

        async def on_request_start(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestStartParams,
        ) -> None:
            if not is_exempt(params.url.path):
                await self.acquire()

        async def on_request_end(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            response = params.response
            if response.status == 429 and response.headers.get("X-RateLimit-Global", "").lower() == "true":
                self.global_429s += 1
                try:
                    retry_after = float(response.headers.get("Retry-After", "1"))
                except ValueError:
                    retry_after = 1.0
                self.pause(retry_after)

        config = aiohttp.TraceConfig()
        config.on_request_start.append(on_request_start)
        config.on_request_end.append(on_request_end)
        return config
