"""/timezone set|show: the member's IANA time zone, used to read the times they type."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.replies import reply
from bot.core.strings import cmd_str
from bot.errors import UserFacingError
from bot.i18n import LANGUAGES
from bot.timeutil import all_zone_names, get_zone

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

MAX_CHOICES: Final = 25


async def remember_member_language(bot: WimBot, interaction: discord.Interaction) -> None:
    """Remember the language the member uses Discord in, so DMs sent later (reminders, change
    notices) outside any interaction speak it. Only a locale the catalogs have counts (an en-US
    member is "en"; a German one stays unknown and gets the guild's language). Best effort: the
    member's action already succeeded, a failure here must not turn it into an error."""
    if interaction.guild is None or interaction.locale is None:
        return
    lang = str(interaction.locale).split("-")[0].lower()
    if lang not in LANGUAGES:
        return
    try:
        await bot.services.members.remember_language(interaction.guild.id, interaction.user.id, lang)
    except Exception:
        log.warning("Could not remember the language of member %s", interaction.user.id, exc_info=True)


def zone_choices(typed: str) -> list[app_commands.Choice[str]]:
    """IANA zones matching what was typed ("paris", "new york", "America/"): name-start matches first,
    then city-start matches, then anywhere; at most 25, as Discord allows."""
    needle = typed.strip().casefold().replace(" ", "_")
    zones = all_zone_names()
    if not needle:
        return [app_commands.Choice(name=zone, value=zone) for zone in zones[:MAX_CHOICES]]

    def rank(zone: str) -> int | None:
        folded = zone.casefold()
        if folded.startswith(needle):
            return 0
        if folded.rsplit("/", 1)[-1].startswith(needle):
            return 1
        if needle in folded:
            return 2
        return None

    ranked = sorted((r, zone) for zone in zones if (r := rank(zone)) is not None)
    return [app_commands.Choice(name=zone, value=zone) for _, zone in ranked[:MAX_CHOICES]]


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:  # the group is guild-only; a DM cannot reach here
        raise UserFacingError("events_ui.errors.guild_only")
    return interaction.guild_id


def canonical_zone(typed: str) -> str:
    """The IANA spelling of a zone typed in any case ("europe/paris" -> "Europe/Paris"); anything that
    is not a zone comes back unchanged, for the service to refuse with a message naming it."""
    text = typed.strip()
    folded = text.casefold().replace(" ", "_")
    return next((zone for zone in all_zone_names() if zone.casefold() == folded), text)


class TimeZones(commands.Cog):
    timezone = app_commands.Group(
        name=cmd_str("cmd.timezone.name"),
        description=cmd_str("cmd.timezone.description"),
        guild_only=True,
    )

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot

    def _local_time(self, zone_name: str) -> str:
        return self.bot.clock.now().astimezone(get_zone(zone_name)).strftime("%H:%M")

    @timezone.command(
        name=cmd_str("cmd.timezone.set.name"),
        description=cmd_str("cmd.timezone.set.description"),
    )
    @app_commands.rename(zone=cmd_str("cmd.timezone.set.options.zone.name"))
    @app_commands.describe(zone=cmd_str("cmd.timezone.set.options.zone.description"))
    async def set_zone(self, interaction: discord.Interaction, zone: str) -> None:
        guild_id = _guild_id(interaction)
        settings = await self.bot.services.members.set_timezone(
            guild_id, interaction.user.id, canonical_zone(zone)
        )
        assert settings.timezone is not None
        await remember_member_language(self.bot, interaction)
        await reply(
            interaction,
            self.bot.t(
                interaction,
                "timezone_ui.set",
                zone=settings.timezone,
                local_time=self._local_time(settings.timezone),
            ),
        )

    @set_zone.autocomplete("zone")
    async def _zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    @timezone.command(
        name=cmd_str("cmd.timezone.show.name"),
        description=cmd_str("cmd.timezone.show.description"),
    )
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


async def setup(bot: WimBot) -> None:
    await bot.add_cog(TimeZones(bot))
