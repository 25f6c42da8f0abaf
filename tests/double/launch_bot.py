"""Run the real bot against the local Discord double.

    WIM_DOUBLE_PORT=<port> DISCORD_TOKEN=<token> python -m tests.double.launch_bot run --config <path>

With ``WIM_PROFILE=<file>`` the bot runs under cProfile and writes its stats to that file when it
stops (``WIM_PROFILE=/tmp/bot.prof make bench``; the bare bot of the benchmark is not profiled).

Two changes to the bot: discord.py's REST base URL and default gateway point at 127.0.0.1:<port>, and
the bot's clock is the double's test clock (``tests/double/clock.py``: the wall clock plus an offset
the test moves with ``await double.advance(...)``). Everything else is the bot's own entry point,
``bot.cli.main(clock=...)``, with this process's arguments. Production (``python -m bot``, ``wim-bot``)
never passes a clock, so it runs on ``SystemClock``.
"""

from __future__ import annotations

import os
import sys
import threading
import time

PORT_VARIABLE = "WIM_DOUBLE_PORT"
# WIM_PROFILE=<file>: run the bot under cProfile and write its stats there when it stops ("{pid}" in
# the name is replaced by the process id: a benchmark starts the bot more than once).
PROFILE_VARIABLE = "WIM_PROFILE"


def point_discord_at_double(port: int) -> None:
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")


def exit_when_orphaned() -> None:
    """Test processes must not outlive the test run: exit if the parent (pytest) goes away."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> int:
    port = os.environ.get(PORT_VARIABLE)
    if not port or not port.isdigit():
        print(f"{PORT_VARIABLE} must hold the double's port", file=sys.stderr)
        return 2
    # What `wim-bot run` does before it imports discord.py (bot/cli/run.py); discord.py is imported
    # here first, to point it at the double.
    from bot import runtime

    runtime.pause_gc()
    point_discord_at_double(int(port))
    exit_when_orphaned()
    from bot.cli import main as bot_main
    from tests.double.clock import DoubleClock

    clock = DoubleClock.connect(int(port))
    profile_path = os.environ.get(PROFILE_VARIABLE)
    if not profile_path:
        return int(bot_main(clock=clock) or 0)
    # Profiling a benchmark run: the whole process under cProfile, written when the bot stops.
    import cProfile

    profiler = cProfile.Profile()
    try:
        result = profiler.runcall(bot_main, clock=clock)
    finally:
        profiler.dump_stats(profile_path.replace("{pid}", str(os.getpid())))
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
