"""Answering an interaction exactly once, whatever state it is in."""

from __future__ import annotations

from typing import Any

import discord
from discord.utils import MISSING


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
    ephemeral: bool = True,
    allowed_mentions: discord.AllowedMentions | None = None,
) -> None:
    """Send ``content`` as the response, or as a follow-up if the interaction was already answered.

    Works after ``defer()`` (the follow-up replaces the "thinking..." state) and after a first
    response (a new follow-up message), so error handlers can always call it.
    """
    kwargs: dict[str, Any] = {
        "content": content,
        "ephemeral": ephemeral,
        "allowed_mentions": allowed_mentions or discord.AllowedMentions.none(),
    }
    if embeds is not None:
        kwargs["embeds"] = embeds
    elif embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if interaction.response.is_done():
        kwargs.setdefault("view", MISSING)
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
