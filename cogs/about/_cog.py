"""The ``About`` cog: /about reads the bot's state (version, uptime, timers, the next digest, database size)
when asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import format_dt

from bot.core.replies import reply
from bot.core.strings import cmd_str
from bot.errors import Term

if TYPE_CHECKING:
    from bot.core.bot import WimBot


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


class About(commands.Cog):
    def __init__(self, bot: WimBot) -> None:
        self.bot = bot

    @app_commands.command(name=cmd_str("cmd.about.name"), description=cmd_str("cmd.about.description"))
    async def about(self, interaction: discord.Interaction) -> None:
        bot = self.bot
        lang = bot.lang_for(interaction)
        config = bot.config
        timers = bot.services.timers
        pending = await timers.pending_count()
        next_timer = await timers.next_due()
        embed = discord.Embed(
            title=bot.t(lang, "about.title"),
            description=bot.t(lang, "about.description"),
            colour=discord.Colour.gold(),
        )
        embed.add_field(name=bot.t(lang, "about.version"), value=bot.version)
        embed.add_field(name=bot.t(lang, "about.uptime"), value=format_dt(bot.started_at, "R"))
        embed.add_field(
            name=bot.t(lang, "about.guild_settings"),
            value=bot.t(
                lang,
                "about.guild_settings_value",
                timezone=config.timezone,
                language=Term(f"languages.{config.language}"),  # "Français", not "fr"
            ),
        )
        embed.add_field(
            name=bot.t(lang, "about.pending_timers"),
            value=bot.t(
                lang,
                "about.pending_timers_value",
                count=pending,
                next=format_dt(next_timer, "R") if next_timer else bot.t(lang, "about.none"),
            ),
        )
        embed.add_field(
            name=bot.t(lang, "about.next_digest"), value=format_dt(bot.services.digest.next_slot(), "F")
        )
        embed.add_field(name=bot.t(lang, "about.database"), value=_human_size(await bot.db.size_bytes()))
        await reply(interaction, embed=embed, ephemeral=True)
