"""A guild's member by id: from the cache, else asked of Discord (a member the cache missed)."""

from __future__ import annotations

import discord


async def member_of(guild: discord.Guild, user_id: int) -> discord.Member | None:
    """The member, or None when they are not in the guild (they left). Other Discord failures raise."""
    member = guild.get_member(user_id)
    if member is not None:
        return member
    try:
        return await guild.fetch_member(user_id)
    except discord.NotFound:
        return None
