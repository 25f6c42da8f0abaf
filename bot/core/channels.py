"""Channels the bot posts in: what it may do there, whether it can post, which one the config means.

Every feature that posts (announcements, working-group notices, poll results, the digest) checks the
channel with these before writing anything, so a member is told "I cannot post in #x: I am missing
Embed Links" instead of getting an event nobody can see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeAlias

import discord

from bot.config import Config
from bot.core.guild_needs import POST, POST_EMBEDS
from bot.errors import Term, UserFacingError

if TYPE_CHECKING:
    from bot.core.bot import WimBot

__all__ = ["POST", "POST_EMBEDS"]  # defined with the other needs, which check reads without discord


def bot_permissions(channel: discord.abc.GuildChannel) -> discord.Permissions:
    """The bot's own permissions in ``channel`` (roles and overwrites applied)."""
    return channel.permissions_for(channel.guild.me)


def missing_permissions(channel: discord.abc.GuildChannel, needed: Sequence[str] = POST_EMBEDS) -> list[str]:
    """The permissions of ``needed`` the bot lacks in ``channel``, in order (``Permissions`` names)."""
    granted = bot_permissions(channel)
    return [name for name in needed if not getattr(granted, name)]


def can_post(channel: discord.abc.GuildChannel, needed: Sequence[str] = POST_EMBEDS) -> bool:
    return not missing_permissions(channel, needed)


def permission_terms(names: Sequence[str]) -> list[Term]:
    """Permission names as catalog terms (``permissions.<name>`` in core.yml), for an error parameter."""
    return [Term(f"permissions.{name}") for name in names]


def ensure_can_post(channel: discord.abc.GuildChannel, needed: Sequence[str] = POST_EMBEDS) -> None:
    """Raise ``UserFacingError("errors.cannot_post_in")`` naming the channel and what is missing."""
    missing = missing_permissions(channel, needed)
    if missing:
        raise UserFacingError(
            "errors.cannot_post_in", channel=channel.mention, permissions=permission_terms(missing)
        )


#: A problem to tell moderators about once: the key ``report_once`` remembers it by, and the text.
Report: TypeAlias = tuple[str, str]


async def postable_channel(
    bot: WimBot,
    guild_id: int,
    channel: discord.TextChannel | None,
    *,
    gone: Callable[[], Report],
    cannot: Callable[[discord.TextChannel, list[str]], Report] | None = None,
    needed: Sequence[str] = POST_EMBEDS,
) -> discord.TextChannel | None:
    """``channel`` if the bot can post there (``needed``); else None, and moderators are told once in
    mod-log, across restarts (``report_once``): ``gone()`` when there is no channel (deleted, never
    set), ``cannot(channel, missing)`` when the bot lacks permissions there (``gone()`` without it).

    For the timer handlers that post: retrying cannot bring a channel or a permission back, so the
    caller ends the timer on None. The texts are built only when there is something to tell.
    """
    if channel is None:
        key, text = gone()
    else:
        missing = missing_permissions(channel, needed)
        if not missing:
            return channel
        key, text = gone() if cannot is None else cannot(channel, missing)
    await bot.report_once(guild_id, key, text)
    return None


def permission_list(bot: WimBot, lang: str, missing: Sequence[str]) -> str:
    """Permission names as moderators read them in ``lang`` ("View Channel, Embed Links")."""
    return ", ".join(bot.t(lang, f"permissions.{name}") for name in missing)


def text_channel(guild: discord.Guild, channel_id: int | None) -> discord.TextChannel | None:
    """The text channel with this id in ``guild``, or None (deleted, not a text channel, no id)."""
    channel = guild.get_channel(channel_id) if channel_id else None
    return channel if isinstance(channel, discord.TextChannel) else None


def configured_channel(guild: discord.Guild, name_or_id: str | int) -> discord.TextChannel | None:
    """The text channel a config value names (``channels.announcements: "announcements"``, or an id)."""
    if isinstance(name_or_id, int):
        return text_channel(guild, name_or_id)
    return discord.utils.get(guild.text_channels, name=name_or_id)


def post_language(config: Config, channel: discord.abc.GuildChannel | None, chosen: str | None = None) -> str:
    """The language of a public post in ``channel``: ``chosen`` (say, an event's own), else the
    channel's from ``channel_languages`` in config.yml, else the server's ``language``. Replies and DMs
    never use this: they speak the member's language."""
    if chosen:
        return chosen
    return config.channel_language(channel.name if channel is not None else None)


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    """The link that opens a message in Discord."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"
