"""Run the real bot against the local Discord double.

    WIM_DOUBLE_PORT=<port> DISCORD_TOKEN=<token> python -m tests.double.launch_bot run --config <path>

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

import discord.gateway
import discord.http
import yarl

PORT_VARIABLE = "WIM_DOUBLE_PORT"


def point_discord_at_double(port: int) -> None:
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
    point_discord_at_double(int(port))
    exit_when_orphaned()
    from bot.cli import main as bot_main
    from tests.double.clock import DoubleClock

    result = bot_main(clock=DoubleClock.connect(int(port)))
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
