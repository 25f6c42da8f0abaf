"""The test clock: the bot's notion of "now", moved by the test through the double.

Two halves, one on each side of the loopback connection:

* ``ClockControl`` lives in the double (``double.clock``). It holds an offset added to the wall clock
  and serves it on the websocket ``/_test/clock``. ``await double.advance(timedelta(days=1))`` adds to
  the offset, pushes it to every connected bot and returns once each bot has applied it and woken what
  waits for a moment (the timer service's wake-up), so whatever fell due is already on its way.
* ``DoubleClock`` lives in the bot process: ``tests/double/launch_bot.py`` connects it and hands it to
  ``bot.cli.main(clock=...)``. ``now()`` is the wall clock plus the last offset received; it implements
  ``bot.clock.JumpingClock`` so ``TimerService`` re-arms at once after a jump.

Only the bot's "now" moves. Discord's side stays on real time: snowflakes and ``Message.created_at``,
the 3-second interaction deadline, rate limits, the gateway's heartbeats. ``double.clock.at(moment)``
converts a real instant (e.g. ``message.created_at``) into the bot's time at that instant.

The offset outlives bot restarts (a restarted bot reads it when it connects) and only moves forward.

Protocol (JSON text frames): the double sends ``{"version": n, "offset": seconds}`` on connect and on
every change; the bot answers ``{"applied": n}`` once ``now()`` includes it, then ``{"notified": n}``
once its jump listeners ran.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from .server import FakeDiscord

CLOCK_PATH = "/_test/clock"
_Done = concurrent.futures.Future[None]
_DAWN = dt.datetime.min.replace(tzinfo=dt.UTC)


def _wall() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---- the double's side ------------------------------------------------------------------------------


@dataclass
class _Change:
    version: int
    offset: dt.timedelta
    effective_from: dt.datetime | None  # when every connected bot had applied it (None: not yet)


@dataclass
class _Subscriber:
    applied: int = -1
    notified: int = -1


class ClockControl:
    """The offset of the bot's clock, owned by the double (``double.clock``).

    ``now()``, ``offset`` and ``at()`` may be called from any thread; ``advance`` goes through
    ``FakeDiscord.advance`` (it runs on the double's loop).
    """

    def __init__(self, double: FakeDiscord) -> None:
        self._double = double
        self._changes = [_Change(0, dt.timedelta(0), _DAWN)]
        self._subscribers: dict[web.WebSocketResponse, _Subscriber] = {}

    @property
    def offset(self) -> dt.timedelta:
        return self._changes[-1].offset

    @property
    def version(self) -> int:
        return self._changes[-1].version

    def now(self) -> dt.datetime:
        """What the bot's clock shows now (once it applied the latest advance)."""
        return _wall() + self.offset

    def at(self, moment: dt.datetime) -> dt.datetime:
        """The bot's time at the real instant ``moment`` (e.g. a message's ``created_at``).

        An advance counts from when the bot had applied it, so this never runs ahead of the bot: a
        check like ``double.clock.at(reminder.created_at) >= due`` cannot pass by accident.
        """
        for change in reversed(self._changes):
            if change.effective_from is not None and change.effective_from <= moment:
                return moment + change.offset
        return moment

    @property
    def subscribers(self) -> int:
        """How many bot processes follow the clock now."""
        return len(self._subscribers)

    async def advance_here(self, delta: dt.timedelta, patience: float) -> dt.datetime:
        """On the double's loop: move the clock ahead by ``delta`` and wait for every bot to follow."""
        if delta < dt.timedelta(0):
            raise ValueError(f"the test clock only moves forward, not by {delta}")
        change = _Change(self.version + 1, self.offset + delta, None)
        self._changes.append(change)
        frame = {"version": change.version, "offset": change.offset.total_seconds()}
        for ws in list(self._subscribers):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json(frame)
        self._settle()
        await self._double._wait_value_here(
            lambda: all(s.notified >= change.version for s in self._subscribers.values()),
            patience,
            f"the bot to follow the test clock to {self.now():%Y-%m-%d %H:%M:%S} UTC",
        )
        self._settle()
        return self.now()

    def _settle(self) -> None:
        """Stamp the changes every connected bot has applied with the time that became true."""
        applied = min((s.applied for s in self._subscribers.values()), default=self.version)
        stamp = _wall()
        for change in self._changes:
            if change.effective_from is None and change.version <= applied:
                change.effective_from = stamp

    async def close_all(self) -> None:
        """The double stops: close every bot's clock connection (the bots keep their last offset)."""
        for ws in list(self._subscribers):
            await ws.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /_test/clock`` (websocket): one connection per bot process, for its lifetime."""
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        subscriber = _Subscriber()
        self._subscribers[ws] = subscriber
        try:
            await ws.send_json({"version": self.version, "offset": self.offset.total_seconds()})
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                subscriber.applied = max(subscriber.applied, int(data.get("applied", -1)))
                subscriber.notified = max(subscriber.notified, int(data.get("notified", -1)))
                self._settle()
                self._double.notify()
        finally:
            del self._subscribers[ws]
            self._settle()
            self._double.notify()
        return ws


# ---- the bot's side ---------------------------------------------------------------------------------


class DoubleClock:
    """``bot.clock.JumpingClock`` following the double's test clock (used by ``launch_bot.py`` only).

    A daemon thread with its own event loop holds the websocket. If the double goes away the clock
    keeps its last offset and goes on with the wall clock.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._offset = dt.timedelta(0)
        self._listeners: list[tuple[asyncio.AbstractEventLoop, Callable[[], None]]] = []
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, port: int, *, timeout: float = 10.0) -> DoubleClock:
        """Connect to the double on ``port`` and return once the current offset is known."""
        clock = cls(f"http://127.0.0.1:{port}{CLOCK_PATH}")
        first: concurrent.futures.Future[None] = concurrent.futures.Future()
        thread = threading.Thread(
            target=lambda: asyncio.run(clock._follow(first)), name="test-clock", daemon=True
        )
        thread.start()
        first.result(timeout=timeout)
        return clock

    def now(self) -> dt.datetime:
        return _wall() + self._offset

    @property
    def offset(self) -> dt.timedelta:
        return self._offset

    def on_jump(self, callback: Callable[[], None]) -> Callable[[], None]:
        entry = (asyncio.get_running_loop(), callback)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(entry)

        return unsubscribe

    async def _follow(self, first: concurrent.futures.Future[None]) -> None:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(self._url, heartbeat=None) as ws,
            ):
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        continue
                    data: dict[str, Any] = json.loads(message.data)
                    version = int(data["version"])
                    offset = dt.timedelta(seconds=float(data["offset"]))
                    jumped = offset != self._offset
                    self._offset = offset
                    await ws.send_json({"applied": version})
                    if not first.done():
                        first.set_result(None)
                    elif jumped:
                        await asyncio.to_thread(self._notify)
                    await ws.send_json({"notified": version})
        except Exception as exc:
            if not first.done():
                first.set_exception(exc)
                return
            print(f"test clock: lost the double ({exc!r}); keeping offset {self._offset}", file=sys.stderr)
        if not first.done():
            first.set_exception(ConnectionError("the double closed the test clock connection"))

    def _notify(self) -> None:
        """Run every listener on its own loop and wait until each ran (a stopped loop is skipped)."""
        with self._lock:
            listeners = list(self._listeners)
        for loop, callback in listeners:
            done: _Done = concurrent.futures.Future()

            def run(callback: Callable[[], None] = callback, done: _Done = done) -> None:
                try:
                    callback()
                finally:
                    done.set_result(None)

            try:
                loop.call_soon_threadsafe(run)
            except RuntimeError:  # that loop is closed: its bot stopped
                continue
            with contextlib.suppress(concurrent.futures.TimeoutError):
                done.result(timeout=5)
