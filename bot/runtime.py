"""The event loop under the bot: ``DEFAULT_LOOP``, or ``WIM_EVENT_LOOP`` (``asyncio`` or ``uvloop``).

``make bench`` measures both through the local Discord double, side by side with a bare discord.py
bot, in one run (that is what the variable is for); ``DEFAULT_LOOP`` is the one that won on every
figure (README, "Benchmarks"). uvloop does not install everywhere (Windows): without it the bot runs
on asyncio's own loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
LOOP_VARIABLE = "WIM_EVENT_LOOP"
LOOPS = ("uvloop", "asyncio")
DEFAULT_LOOP = "asyncio"


def loop_factory() -> tuple[str, Callable[[], asyncio.AbstractEventLoop] | None]:
    """(name, factory) of the loop to run on; the factory is None for asyncio's default loop.

    Raises ``ValueError`` for an unknown ``WIM_EVENT_LOOP`` and ``ImportError`` when uvloop is asked
    for explicitly but not installed.
    """
    asked = os.environ.get(LOOP_VARIABLE, "").strip().lower()
    if asked and asked not in LOOPS:
        raise ValueError(f"{LOOP_VARIABLE} must be one of {', '.join(LOOPS)}, not {asked!r}")
    if (asked or DEFAULT_LOOP) == "asyncio":
        return "asyncio", None
    try:
        import uvloop
    except ImportError:
        if asked == "uvloop":
            raise
        return "asyncio", None
    return "uvloop", uvloop.new_event_loop


_settled_once = False
# The collector stays paused this long at most when no READY comes (Discord unreachable, retrying).
STARTUP_GC_LIMIT = 30.0


def pause_gc() -> None:
    """Pause the garbage collector for the start (``wim-bot run``, before discord.py is imported).

    A start allocates what stays for the process's life: the modules, the command tree, the guild
    cache. Every collection while they are built walks all of them again, for nothing to free.
    ``settle_heap`` (at READY, or
    ``release_gc`` after ``STARTUP_GC_LIMIT`` seconds) collects once and turns the collector back on.
    """
    gc.disable()


def release_gc() -> None:
    """The collector back on, if start-up paused it and no READY did that yet."""
    if not gc.isenabled():
        gc.collect()
        gc.enable()


def settle_heap() -> None:
    """Collect once, then move everything alive now out of the garbage collector's way
    (``gc.freeze``), and turn the collector back on if the start paused it.

    Called when the bot is ready: the modules, the command tree and the guild cache are built and
    stay, and each full collection would walk all of them again: a pause that lands on whatever
    answer is in flight, most often during a burst. Frozen objects are never collected, so what the
    start left as garbage is collected first, and a later READY (a new session: discord.py rebuilds
    its cache) unfreezes and collects what the old session left, then freezes the new heap: memory
    stays bounded.
    """
    global _settled_once
    if _settled_once:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
    gc.enable()
    _settled_once = True


def describe() -> str:
    """What the running process is on, for the start-up log: "uvloop event loop, orjson JSON"."""
    import discord.utils

    loop = asyncio.get_running_loop()
    name = "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
    json = "orjson" if getattr(discord.utils, "HAS_ORJSON", False) else "stdlib"
    return f"{name} event loop, {json} JSON"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the chosen loop."""
    name, factory = loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        log.debug("Running on the %s event loop", name)
        return runner.run(main)
