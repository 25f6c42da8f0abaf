"""Base for short-lived views: owner-only, time-limited, disabled when they expire."""

from __future__ import annotations

import contextlib
from typing import Any

import discord
from discord.ext import commands

from bot.core.tree import handle_interaction_error


def loaded_cog(interaction: discord.Interaction, name: str) -> commands.Cog:
    """The cog a persistent button's callback hands the click to. Its views only run in the bot,
    whose ``interaction.client`` is a ``commands.Bot`` even though discord.py types it ``Client``."""
    client = interaction.client
    cog = client.get_cog(name) if isinstance(client, commands.Bot) else None
    if cog is None:
        raise RuntimeError(f"the {name} cog is not loaded")
    return cog


class OwnedView(discord.ui.View):
    """A view only its owner may use. On timeout every item is disabled on the message."""

    def __init__(self, owner_id: int, *, timeout: float = 180.0) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        bot: Any = interaction.client
        await interaction.response.send_message(bot.t(interaction, "errors.not_your_view"), ephemeral=True)
        return False

    def disable_all(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True

    async def on_timeout(self) -> None:
        self.disable_all()
        if self.message is not None:
            # The message is gone or the token expired: nothing left to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_interaction_error(interaction, error)
