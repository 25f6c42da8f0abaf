"""Working-group suggestions for autocomplete, shared by every command with a ``group`` option
(``/wg ...`` and ``/event create group:``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, clip

if TYPE_CHECKING:
    from bot.core.bot import WimBot


async def group_choices(
    bot: WimBot, interaction: discord.Interaction, typed: str
) -> list[app_commands.Choice[str]]:
    """Groups matching what was typed, named in the member's language; the value is the stable key."""
    if interaction.guild is None:
        return []
    lang = bot.lang_for(interaction)
    groups = await bot.services.working_groups.autocomplete(interaction.guild.id, typed, lang)
    return [
        app_commands.Choice(name=clip(group.name.get(lang), CHOICE_NAME), value=group.key)
        for group in groups[:AUTOCOMPLETE_CHOICES]
    ]
