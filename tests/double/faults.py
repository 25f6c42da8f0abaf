"""Failure injection for the double: make a route answer like a Discord outage, a set number of times.

Kept apart from rest.py/server.py on purpose (other work edits those); rest.py calls ``apply`` once per
request, just before the route handler (``before``) and just after it (``after``). ::

    from tests.double import faults
    faults.fail_next(double, "POST /channels/{channel_id}/messages", status=503, times=1)
    faults.fail_next(double, "POST /channels/{channel_id}/messages", when="after")  # posted, then 503

``before``: the request is refused and nothing happens (Discord was down). ``after``: the route did its
work (the message exists) but the client gets the error, as when Discord fails after committing. 503 is
what discord.py does not retry by itself (it retries 500, 502, 504 and 524 up to five times), so the
bot's own retry path is what a test exercises. ``path_contains`` narrows the fault to one channel, say.
Injected answers are not violations: the bot did nothing wrong.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

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
    hits: int = 0


_FAULTS: weakref.WeakKeyDictionary[FakeDiscord, list[Fault]] = weakref.WeakKeyDictionary()


def fail_next(
    double: FakeDiscord,
    route: str,
    *,
    status: int = 503,
    times: int = 1,
    when: When = "before",
    path_contains: str | None = None,
) -> Fault:
    """Answer the next ``times`` requests to ``route`` with ``status`` (see the module docstring)."""
    fault = Fault(route, status, times, when, path_contains)
    double._sync(lambda: _FAULTS.setdefault(double, []).append(fault))
    return fault


def clear(double: FakeDiscord) -> None:
    double._sync(lambda: _FAULTS.pop(double, None))


def apply(double: FakeDiscord, when: When, method: str, template: str, path: str) -> int | None:
    """The status to answer with now, or None (called on the double's loop by rest.py)."""
    for fault in _FAULTS.get(double, []):
        if fault.remaining <= 0 or fault.when != when or fault.route != f"{method} {template}":
            continue
        if fault.path_contains is not None and fault.path_contains not in path:
            continue
        fault.remaining -= 1
        fault.hits += 1
        return fault.status
    return None
