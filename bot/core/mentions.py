"""Mentions: lists of members that fit a Discord field, and whether a role ping really notifies."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import discord

from bot.limits import EMBED_FIELD_VALUE, clip


def mention_list(
    user_ids: Sequence[int],
    *,
    nobody: str,
    more: Callable[[int], str],
    limit: int = EMBED_FIELD_VALUE,
) -> str:
    """``<@id>, <@id>, ... and N more`` within ``limit`` characters; ``nobody`` when empty.

    ``more(n)`` is the translated tail ("and 3 more"). Mentions inside an embed are shown as names but
    never notify anyone; in message content they would, so send them with ``AllowedMentions.none()``.
    """
    if not user_ids:
        return nobody
    mentions = [f"<@{user_id}>" for user_id in user_ids]
    shown: list[str] = []
    for index, mention in enumerate(mentions):
        remaining = len(mentions) - index - 1
        candidate = ", ".join([*shown, mention])
        # Reserve room for the "and N more" tail whenever someone would still be left out.
        tail = "" if remaining == 0 else " " + more(remaining)
        if len(candidate) + len(tail) > limit:
            break
        shown.append(mention)
    hidden = len(mentions) - len(shown)
    text = ", ".join(shown)
    if hidden:
        text = f"{text} {more(hidden)}".strip()
    return clip(text, limit)


def can_ping(role: discord.Role, channel: discord.abc.GuildChannel | None = None) -> bool:
    """Whether a message from the bot mentioning ``role`` really notifies its members: Discord does so
    only when the role is mentionable or the bot may Mention Everyone (in ``channel`` if given).
    Allowed mentions alone are not enough. ``@everyone`` itself never counts as pingable here."""
    if role.is_default():
        return False
    if role.mentionable:
        return True
    me = role.guild.me
    if me is None:  # not in the guild's member cache yet: assume the worst, it only adds a warning
        return False
    granted = channel.permissions_for(me) if channel is not None else me.guild_permissions
    return granted.mention_everyone or granted.administrator
