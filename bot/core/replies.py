"""Answering an interaction exactly once, whatever state it is in, with nothing Discord would refuse.

Every reply goes through ``reply``: message content is clipped to 2,000 characters and every embed to
Discord's embed limits (``fit_embed``), so an answer always arrives. Quote a member's own input only
through ``bot.limits.excerpt``; the clipping here is the last line of defence, not the way to size text.
"""

from __future__ import annotations

from typing import Any

import discord
from discord.utils import MISSING

from bot import limits


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """``embed`` clipped in place to Discord's limits (title, description, fields, footer, author, total)."""
    if embed.title:
        embed.title = limits.clip(embed.title, limits.EMBED_TITLE)
    if embed.description:
        embed.description = limits.clip(embed.description, limits.EMBED_DESCRIPTION)
    fields = embed.fields[: limits.EMBED_FIELDS]
    embed.clear_fields()
    for item in fields:
        embed.add_field(
            name=limits.clip(item.name or "\u200b", limits.EMBED_FIELD_NAME) or "\u200b",
            value=limits.clip(item.value or "\u200b", limits.EMBED_FIELD_VALUE) or "\u200b",
            inline=bool(item.inline),
        )
    if embed.footer.text:
        embed.set_footer(
            text=limits.clip(embed.footer.text, limits.EMBED_FOOTER), icon_url=embed.footer.icon_url
        )
    if embed.author.name:
        embed.set_author(
            name=limits.clip(embed.author.name, limits.EMBED_AUTHOR),
            url=embed.author.url,
            icon_url=embed.author.icon_url,
        )
    # Over the 6,000-character total: shorten the description, then drop fields from the end.
    excess = len(embed) - limits.EMBED_TOTAL
    if excess > 0 and embed.description:
        embed.description = limits.clip(embed.description, max(1, len(embed.description) - excess))
    while len(embed) > limits.EMBED_TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    return embed


def fit_content(content: str | None) -> str | None:
    return None if content is None else limits.clip(content, limits.MESSAGE_CONTENT)


async def reply(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    file: discord.File | None = None,
    files: list[discord.File] | None = None,
    ephemeral: bool = True,
    allowed_mentions: discord.AllowedMentions | None = None,
) -> None:
    """Send ``content`` as the response, or as a follow-up if the interaction was already answered.

    Works after ``defer()`` (the follow-up replaces the "thinking..." state) and after a first
    response (a new follow-up message), so error handlers can always call it.
    """
    kwargs: dict[str, Any] = {
        "content": fit_content(content),
        "ephemeral": ephemeral,
        "allowed_mentions": allowed_mentions or discord.AllowedMentions.none(),
    }
    if embeds is not None:
        kwargs["embeds"] = [fit_embed(item) for item in embeds[: limits.EMBEDS_PER_MESSAGE]]
    elif embed is not None:
        kwargs["embed"] = fit_embed(embed)
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    elif files is not None:
        kwargs["files"] = files[: limits.FILES_PER_MESSAGE]
    if interaction.response.is_done():
        kwargs.setdefault("view", MISSING)
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
