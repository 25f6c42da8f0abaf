"""Processes of the through-Discord benchmark, each on the runtime the benchmark asks for.

    python -m tests.bench.launch bot run --config <path>   the real bot (tests.double.launch_bot)
    python -m tests.bench.launch bare                      a bare discord.py bot that answers /ping

Environment: ``WIM_DOUBLE_PORT`` and ``DISCORD_TOKEN`` as for tests.double.launch_bot; ``WIM_EVENT_LOOP``
(``asyncio`` or ``uvloop``, read by bot.runtime for both processes); ``WIM_BENCH_JSON=stdlib`` makes
discord.py use the standard library's JSON and zlib gateway compression even where its ``speed``
extra (orjson, zstandard) is installed, so one installation measures both. The bare bot also reads
``WIM_BARE_GUILD`` (the guild to register /ping in) and ``WIM_BARE_SYNC=1`` (register it now).
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from typing import Any

from bot import runtime

JSON_VARIABLE = "WIM_BENCH_JSON"
# WIM_BARE_PROFILE=<file>: the bare bot under cProfile, as WIM_PROFILE runs the real one (for comparing
# where each spends a click).
BARE_PROFILE_VARIABLE = "WIM_BARE_PROFILE"


def without_speed_extra() -> None:
    """discord.py as if its ``speed`` extra were not installed: stdlib JSON, zlib-stream compression."""
    import discord.utils

    def to_json(obj: Any) -> str:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)

    class ZlibContext:
        COMPRESSION_TYPE = "zlib-stream"
        ZLIB_SUFFIX = b"\x00\x00\xff\xff"

        def __init__(self) -> None:
            self.inflator = zlib.decompressobj()
            self.buffer = bytearray()

        def decompress(self, data: bytes, /) -> str | None:
            self.buffer.extend(data)
            if len(data) < 4 or data[-4:] != self.ZLIB_SUFFIX:
                return None
            message = self.inflator.decompress(self.buffer)
            self.buffer = bytearray()
            return message.decode("utf-8")

    utils: Any = discord.utils
    utils.HAS_ORJSON = False
    utils._to_json = to_json
    utils._from_json = json.loads
    utils._ActiveDecompressionContext = getattr(utils, "_ZlibDecompressionContext", ZlibContext)


def bare_bot() -> int:
    import discord
    from discord import app_commands

    guild = discord.Object(id=int(os.environ["WIM_BARE_GUILD"]))
    # The same intents as the real bot, so both receive the same gateway traffic.
    client = discord.Client(intents=discord.Intents(guilds=True, members=True))
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Answers pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    class BareRsvpButton(
        discord.ui.DynamicItem[discord.ui.Button[Any]],
        template=r"event:rsvp:(?P<occurrence_id>[0-9]{1,20}):(?P<status>going|maybe|declined)",
    ):
        """The real bot's RSVP button template, answered with a fixed text: what discord.py alone
        costs for a click on a message carrying an embed and buttons (the context for the RSVP
        click figure, whose target is against /ping)."""

        @classmethod
        async def from_custom_id(
            cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
        ) -> BareRsvpButton:
            return cls(discord.ui.Button(custom_id=item.custom_id))  # type: ignore[attr-defined]

        async def callback(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message("noted", ephemeral=True)

    client.add_dynamic_items(BareRsvpButton)

    async def setup_hook() -> None:
        if os.environ.get("WIM_BARE_SYNC") == "1":
            tree.copy_global_to(guild=guild)
            await tree.sync(guild=guild)

    client.setup_hook = setup_hook  # type: ignore[method-assign]  # discord.py's hook, set per instance

    async def main() -> None:
        import signal

        async with client:
            loop = __import__("asyncio").get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(client.close()))
            await client.start(os.environ["DISCORD_TOKEN"])

    profile_path = os.environ.get(BARE_PROFILE_VARIABLE)
    if not profile_path:
        runtime.run(main())
        return 0
    import cProfile

    profiler = cProfile.Profile()
    try:
        profiler.runcall(runtime.run, main())
    finally:
        profiler.dump_stats(profile_path.replace("{pid}", str(os.getpid())))
    return 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("bot", "bare"):
        print(__doc__, file=sys.stderr)
        return 2
    mode = sys.argv.pop(1)
    if mode == "bot":
        # What `wim-bot run` does before it imports discord.py (bot/cli/run.py). The bare bot is plain
        # discord.py: its collector runs as Python's does.
        runtime.pause_gc()
    if os.environ.get(JSON_VARIABLE) == "stdlib":
        without_speed_extra()
    from tests.double import launch_bot

    if mode == "bare":
        launch_bot.point_discord_at_double(int(os.environ[launch_bot.PORT_VARIABLE]))
        launch_bot.exit_when_orphaned()
        return bare_bot()
    return launch_bot.main()


if __name__ == "__main__":
    raise SystemExit(main())
