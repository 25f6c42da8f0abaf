"""Compare config.yml with the live guild at start, and warn about what is missing."""

from __future__ import annotations

import logging

import discord

from bot.config import Config
from bot.core.channels import configured_channel
from bot.core.guild_needs import REQUIRED_PERMISSIONS, channel_needs, role_needs
from bot.core.mentions import can_ping

__all__ = ["REQUIRED_PERMISSIONS", "find_text_channel", "verify_guild"]

log = logging.getLogger(__name__)


def verify_guild(guild: discord.Guild, config: Config) -> list[str]:
    """Problems between ``config`` and ``guild``, one readable line each (also logged as warnings)."""
    problems: list[str] = []
    text_channels = {channel.name for channel in guild.text_channels}
    for channel in channel_needs(config):
        if channel.name not in text_channels:
            problems.append(f"{channel.key}: no text channel named #{channel.name} in {guild.name}")
    role_names = {role.name.casefold() for role in guild.roles}
    role_ids = {role.id for role in guild.roles}
    for need in role_needs(config):
        role = need.role
        if isinstance(role, int):  # only moderator_roles may give an id
            if role not in role_ids:
                problems.append(f"{need.key}: no role {role!r} in {guild.name}")
        elif role.casefold() not in role_names:
            problems.append(f"{need.key}: no role named {role!r} in {guild.name} ({need.purpose})")
        elif need.kind == "audience":
            audience = next(r for r in guild.roles if r.name.casefold() == role.casefold())
            if not can_ping(audience):
                problems.append(
                    f"{need.key}: reminders mention {audience.name!r} but Discord will not notify its "
                    "members: make the role mentionable (Server Settings > Roles) or grant the bot "
                    "Mention Everyone"
                )
    me = guild.me
    if me is not None:
        granted = me.guild_permissions
        for permission in REQUIRED_PERMISSIONS:
            if not getattr(granted, permission):
                problems.append(f"permissions: the bot lacks {permission} in {guild.name}")
    for problem in problems:
        log.warning("Config check: %s", problem)
    return problems


def find_text_channel(guild: discord.Guild, name: str) -> discord.TextChannel | None:
    """Kept for existing callers: prefer ``bot.core.channels.configured_channel``."""
    return configured_channel(guild, name)
