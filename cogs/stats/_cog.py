"""The ``StatsCog``: /stats [period], and the member joins and leaves the growth section counts."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.checks import moderator_only
from bot.core.replies import reply
from bot.core.strings import CommandText
from bot.errors import UserFacingError
from bot.repositories import engagement
from cogs.stats import _render

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

STATS = CommandText("stats")


class StatsCog(commands.Cog, name="Stats"):
    def __init__(self, bot: WimBot) -> None:
        self.bot = bot

    @STATS.command()
    @STATS.options("period")
    @app_commands.guild_only()
    @moderator_only()
    async def stats(
        self, interaction: discord.Interaction, period: app_commands.Range[str, 1, 40] | None = None
    ) -> None:
        """The engagement report of a period, only for the moderator who asks."""
        if interaction.guild_id is None:
            raise UserFacingError("errors.guild_only")
        lang = self.bot.lang_for(interaction)
        service = self.bot.services.stats
        chosen = service.period(period)  # a period it cannot read is told before anything is done
        await interaction.response.defer(ephemeral=True, thinking=True)  # the charts take a moment
        report = await service.report(interaction.guild_id, chosen)
        rendered = await service.render(report, lang)
        await reply(
            interaction,
            self.bot.t(
                lang, "stats.note", first=chosen.first_day.isoformat(), last=chosen.last_day.isoformat()
            ),
            embeds=_render.embeds(rendered),
            files=_render.files(rendered),
        )

    # --- growth: who came and went ------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        await self._record(member, "joined")

    @commands.Cog.listener()
    async def on_member_remove(self, member: discord.Member) -> None:
        await self._record(member, "left")

    async def _record(self, member: discord.Member, kind: str) -> None:
        if member.bot or member.guild.id not in self.bot.config.guild_ids:
            return
        try:
            await self.bot.db.write(
                engagement.record_member_event, member.guild.id, member.id, kind, self.bot.clock.now()
            )
        except Exception:
            log.warning(
                "Member %s of guild %s not recorded as %s", member.id, member.guild.id, kind, exc_info=True
            )
