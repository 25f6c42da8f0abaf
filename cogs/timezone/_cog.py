"""The ``TimeZones`` cog: /timezone set checks a zone before saving it, /timezone show reads it back."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import validation
from bot.core.replies import reply
from bot.core.strings import CommandText
from bot.core.zones import zone_choices
from bot.errors import UserFacingError
from bot.timeutil import get_zone

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

TIMEZONE = CommandText("timezone")
SET = CommandText("timezone.set")
SHOW = CommandText("timezone.show")


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:  # the group is guild-only; a DM cannot reach here
        raise UserFacingError("events_ui.errors.guild_only")
    return interaction.guild_id


class TimeZones(commands.Cog):
    timezone = TIMEZONE.group(guild_only=True)

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot

    def _local_time(self, zone_name: str) -> str:
        return self.bot.clock.now().astimezone(get_zone(zone_name)).strftime("%H:%M")

    @SET.command(timezone)
    @SET.options("zone")
    async def set_zone(
        self, interaction: discord.Interaction, zone: app_commands.Range[str, 1, validation.MAX_ZONE_LENGTH]
    ) -> None:
        guild_id = _guild_id(interaction)
        # Checked before anything is written: a blank or unknown zone leaves the saved one as it was.
        name = validation.zone_name(zone)
        settings = await self.bot.services.members.set_timezone(guild_id, interaction.user.id, name)
        saved = settings.timezone or name
        await reply(
            interaction,
            self.bot.t(interaction, "timezone_ui.set", zone=saved, local_time=self._local_time(saved)),
        )

    @set_zone.autocomplete("zone")
    async def _zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    @SHOW.command(timezone)
    async def show(self, interaction: discord.Interaction) -> None:
        settings = await self.bot.services.members.get(_guild_id(interaction), interaction.user.id)
        if settings.timezone is None:
            text = self.bot.t(interaction, "timezone_ui.not_set", zone=self.bot.config.timezone)
        else:
            text = self.bot.t(
                interaction,
                "timezone_ui.show",
                zone=settings.timezone,
                local_time=self._local_time(settings.timezone),
            )
        await reply(interaction, text)
