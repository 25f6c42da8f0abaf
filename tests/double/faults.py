"""Failure injection for the double: make a route answer like a Discord outage, a set number of times.

Kept apart from rest.py/server.py on purpose (other work edits those); rest.py calls ``apply`` once per
request, just before the route handler (``before``) and just after it (``after``), and ``hold`` just
after it. ::

    from tests.double import faults
    faults.fail_next(double, "POST /channels/{channel_id}/messages", status=503, times=1)
    faults.fail_next(double, "POST /channels/{channel_id}/messages", when="after")  # posted, then 503
    faults.fail_next(double, "PATCH /channels/{channel_id}/messages/{message_id}", status=429)
    faults.fail_sequence(double, "PATCH /channels/{channel_id}/messages/{message_id}", [500, 503, 429])
    held = faults.hold_next(double, "POST /channels/{channel_id}/messages")  # done, answer withheld
    await held.reached(double)  # the message exists; the bot is waiting for the answer (kill it now)
    held.release(double)

``before``: the request is refused and nothing happens (Discord was down). ``after``: the route did its
work (the message exists) but the client gets the error, as when Discord fails after committing. 503 is
what discord.py does not retry by itself (it retries 500, 502, 504 and 524 up to five times), so the
bot's own retry path is what a test exercises. A 429 carries ``retry_after`` (body and ``Retry-After``
header) and the ``Via`` header, as Discord's own rate limits do, so discord.py waits and retries it
itself. ``path_contains`` narrows the fault to one channel, say. A hold lets the route do its work and
then keeps the answer back until released: the moment "Discord did it, the bot has not heard yet", to
crash the bot in. Injected answers are not violations: the bot did nothing wrong.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .server import FakeDiscord

When = Literal["before", "after"]


@dataclass
class Fault:
    route: str  # "METHOD /template", as in RequestRecord.route with the method in front
    status: int
    remaining: int
    when: When
    path_contains: str | None
    retry_after: float | None = None  # 429 only: seconds, in the body and the Retry-After header
    statuses: tuple[int, ...] = ()  # fail_sequence: the status of each hit in turn
    hits: int = 0

    def next_status(self) -> int:
        return self.statuses[self.hits] if self.statuses else self.status


@dataclass(frozen=True)
class Injected:
    """What rest.py answers instead of the route's result."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Hold:
    route: str
    path_contains: str | None
    skip: int = 0  # matching requests to let through first
    hits: int = 0
    _reached: asyncio.Event = field(default_factory=asyncio.Event)
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    async def reached(self, double: FakeDiscord, *, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until a matching request did its work and is being held."""

        async def run() -> None:
            await asyncio.wait_for(self._reached.wait(), timeout)

        await double._async(run())

    def release(self, double: FakeDiscord) -> None:
        double._sync(self._released.set)


_FAULTS: weakref.WeakKeyDictionary[FakeDiscord, list[Fault]] = weakref.WeakKeyDictionary()
_HOLDS: weakref.WeakKeyDictionary[FakeDiscord, list[Hold]] = weakref.WeakKeyDictionary()


def fail_next(
    double: FakeDiscord,
    route: str,
    *,
    status: int = 503,
    times: int = 1,
    when: When = "before",
    path_contains: str | None = None,
    retry_after: float | None = None,
) -> Fault:
    """Answer the next ``times`` requests to ``route`` with ``status`` (see the module docstring)."""
    if status == 429 and retry_after is None:
        retry_after = 0.2
    fault = Fault(route, status, times, when, path_contains, retry_after)
    double._sync(lambda: _FAULTS.setdefault(double, []).append(fault))
    return fault


def fail_sequence(
    double: FakeDiscord,
    route: str,
    statuses: Sequence[int],
    *,
    when: When = "before",
    path_contains: str | None = None,
    retry_after: float = 0.2,
) -> Fault:
    """Answer the next ``len(statuses)`` requests to ``route`` with these statuses, in turn."""
    if not statuses:
        raise ValueError("fail_sequence needs at least one status")
    fault = Fault(route, statuses[0], len(statuses), when, path_contains, retry_after, tuple(statuses))
    double._sync(lambda: _FAULTS.setdefault(double, []).append(fault))
    return fault


def hold_next(double: FakeDiscord, route: str, *, path_contains: str | None = None, skip: int = 0) -> Hold:
    """Let the next request to ``route`` (after ``skip`` of them) do its work, then keep its answer back
    until released."""

    def add() -> Hold:
        hold = Hold(route, path_contains, skip)  # its events belong to the double's loop
        _HOLDS.setdefault(double, []).append(hold)
        return hold

    return double._sync(add)


def clear(double: FakeDiscord) -> None:
    def run() -> None:
        _FAULTS.pop(double, None)
        for hold in _HOLDS.pop(double, []):
            hold._released.set()

    double._sync(run)


def _answer(fault: Fault, status: int) -> Injected:
    if status != 429:
        return Injected(status, {"code": 0, "message": f"{status}: injected failure"}, {})
    wait = fault.retry_after if fault.retry_after is not None else 0.2
    headers = {
        "Retry-After": f"{wait:.3f}",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset-After": f"{wait:.3f}",
        "X-RateLimit-Scope": "user",
        "Via": "1.1 google",  # discord.py takes a 429 without it for a Cloudflare ban
    }
    body = {"message": "You are being rate limited.", "retry_after": round(wait, 3), "global": False}
    return Injected(429, body, headers)


def apply(double: FakeDiscord, when: When, method: str, template: str, path: str) -> Injected | None:
    """The answer to give now instead of the route's, or None (called on the double's loop by rest.py)."""
    for fault in _FAULTS.get(double, []):
        if fault.remaining <= 0 or fault.when != when or fault.route != f"{method} {template}":
            continue
        if fault.path_contains is not None and fault.path_contains not in path:
            continue
        status = fault.next_status()
        fault.remaining -= 1
        fault.hits += 1
        return _answer(fault, status)
    return None


async def hold(double: FakeDiscord, method: str, template: str, path: str) -> None:
    """Keep the answer back while a matching hold is not released (called on the double's loop)."""
    for held in _HOLDS.get(double, []):
        if held.hits or held.route != f"{method} {template}":
            continue
        if held.path_contains is not None and held.path_contains not in path:
            continue
        if held.skip > 0:
            held.skip -= 1
            continue
        held.hits += 1
        held._reached.set()
        await held._released.wait()
        return
