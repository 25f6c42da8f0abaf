"""The digest's embeds: the service lays the digest out (``EmbedSpec``s within Discord's limits);
this turns them into ``discord.Embed``s and recognises a part an earlier attempt posted."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.outbox import Matcher
from bot.services.digest import EmbedSpec

COLOUR = discord.Colour.teal()


def embed(spec: EmbedSpec) -> discord.Embed:
    return discord.Embed(
        title=spec.title, description=spec.description or None, colour=COLOUR, timestamp=spec.timestamp
    )


def embeds(specs: Sequence[EmbedSpec]) -> list[discord.Embed]:
    return [embed(spec) for spec in specs]


def same_part(specs: Sequence[EmbedSpec]) -> Matcher:
    """A message showing exactly these embeds (titles, texts, timestamps): the channel post's parts are
    rendered once and kept, so a retry finds an earlier attempt's post by what it shows."""
    wanted = [(spec.title, spec.description or None, spec.timestamp) for spec in specs]

    def matches(message: discord.Message) -> bool:
        shown = [(item.title, item.description, item.timestamp) for item in message.embeds]
        return shown == wanted

    return matches


def starts_like(spec: EmbedSpec) -> Matcher:
    """A DM whose first embed has this title and timestamp: a part an interrupted run sent. The text
    is rebuilt on each run (counts move), the title and the digest's moment do not."""

    def matches(message: discord.Message) -> bool:
        if not message.embeds:
            return False
        first = message.embeds[0]
        return first.title == spec.title and first.timestamp == spec.timestamp

    return matches
