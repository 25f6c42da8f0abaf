"""Time source. Services take a clock so tests can move time without patching the world."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


@runtime_checkable
class JumpingClock(Clock, Protocol):
    """A clock that runs at wall-clock speed but can jump ahead (the end-to-end test clock).

    Production never uses one (it runs ``SystemClock``); the test launcher in ``tests/double`` does.
    What waits for a moment (the timer wake-up) subscribes, so a jump wakes it at once.
    """

    def on_jump(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` on the subscriber's running event loop after every jump.

        Must be called from a running loop. Returns a function that unsubscribes.
        """
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to. Used by tests and benchmarks."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)
