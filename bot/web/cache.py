"""The hub's in-memory cache of rendered responses, and their validators (ETag, Last-Modified).

Invalidation: each request reads SQLite's ``PRAGMA data_version`` on the read connection (one quick
hand-off), which changes whenever the bot's writer commits. An entry built at another version is
rebuilt. This is the simplest rule that is always correct: no service has to remember to bump a
counter (a forgotten bump would serve stale pages for ever, a leak of something just made private
among them), and it sees every write, from a command, a timer or another process on the same file.
Its cost is that any commit (an RSVP, a timer) drops every page: a rebuild is a few milliseconds,
and the single flight below makes a burst of visitors build a page once. Pages that depend on the
time as well as the data (upcoming events) also expire after ``MAX_AGE``.

A rebuilt response with the same bytes keeps its ETag and its Last-Modified, so a subscribed
calendar polling with If-None-Match / If-Modified-Since gets a 304 until an event really changes.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, timedelta

import msgspec

from bot.clock import Clock

MAX_AGE = timedelta(seconds=60)
MAX_ENTRIES = 512


class Built(msgspec.Struct, frozen=True):
    """What a page builder returns: the status and the bytes."""

    body: bytes
    content_type: str
    status: int = 200


class Entry(msgspec.Struct, frozen=True):
    built: Built
    version: int
    built_at: datetime
    etag: str
    last_modified: datetime


class PageCache:
    def __init__(self, clock: Clock, version: Callable[[], Awaitable[int]]) -> None:
        self._clock = clock
        self._version = version
        self._entries: dict[Hashable, Entry] = {}
        self._building: dict[Hashable, asyncio.Future[Entry]] = {}
        self.builds = 0  # how many times a builder ran (the tests and the bench read it)

    async def get(self, key: Hashable, build: Callable[[], Awaitable[Built]]) -> Entry:
        version = await self._version()
        now = self._clock.now()
        entry = self._entries.get(key)
        if entry is not None and entry.version == version and now - entry.built_at < MAX_AGE:
            return entry
        running = self._building.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Entry] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        try:
            # The version is read before the data: a commit in between makes the next request
            # rebuild, never a stale page kept under the new version.
            built = await build()
            self.builds += 1
            etag = '"' + hashlib.sha256(built.body).hexdigest()[:32] + '"'
            if entry is not None and entry.etag == etag:
                last_modified = entry.last_modified
            else:
                last_modified = now.replace(microsecond=0)
            fresh = Entry(built, version, now, etag, last_modified)
            if built.status == 200:
                if len(self._entries) >= MAX_ENTRIES and key not in self._entries:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = fresh
            future.set_result(fresh)
            return fresh
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._building[key]

    def clear(self) -> None:
        self._entries.clear()
