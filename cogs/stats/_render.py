"""The report's embeds: one per section, its summary and table, its chart shown from the attachment."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord

from bot import limits

if TYPE_CHECKING:
    from bot.services.stats import Rendered

COLOUR = discord.Colour.from_rgb(0x8E, 0x44, 0xAD)


def embeds(rendered: Rendered) -> list[discord.Embed]:
    out = []
    for index, section in enumerate(rendered.sections):
        description = section.summary + (f"\n{section.table}" if section.table else "")
        embed = discord.Embed(
            title=limits.clip(
                f"{rendered.title} · {section.title}" if index == 0 else section.title, limits.EMBED_TITLE
            ),
            description=limits.clip(description, 1100),  # five sections within a message's 6,000
            colour=COLOUR,
        )
        if section.chart is not None:
            embed.set_image(url=f"attachment://{section.filename}")
        out.append(embed)
    return out


def files(rendered: Rendered) -> list[discord.File]:
    attached = [
        discord.File(io.BytesIO(section.chart), filename=section.filename)
        for section in rendered.sections
        if section.chart is not None
    ]
    attached.append(discord.File(io.BytesIO(rendered.csv.encode("utf-8")), filename=rendered.csv_name))
    return attached
