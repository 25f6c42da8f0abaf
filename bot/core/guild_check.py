"""Compare config.yml with the live guild at start, and warn about what is missing."""

from __future__ import annotations

import logging

import discord

from bot.config import Config
from bot.core.channels import configured_channel
from bot.core.mentions import can_ping

log = logging.getLogger(__name__)

# What the bot needs across features, as named in the README's invite instructions.
REQUIRED_PERMISSIONS: tuple[str, ...] = (
    "manage_roles",
    "manage_channels",
    "manage_events",
    "create_events",
    "view_channel",
    "send_messages",
    "send_messages_in_threads",
    "embed_links",
    "attach_files",
    "read_message_history",
)


def verify_guild(guild: discord.Guild, config: Config) -> list[str]:
    """Problems between ``config`` and ``guild``, one readable line each (also logged as warnings)."""
    problems: list[str] = []
    text_channels = {channel.name for channel in guild.text_channels}
    for key in ("announcements", "digest", "mod_log"):
        name = getattr(config.channels, key)
        if name not in text_channels:
            problems.append(f"channels.{key}: no text channel named #{name} in {guild.name}")
    for series in config.calendar:
        if series.channel and series.channel not in text_channels:
            problems.append(f"calendar[{series.key}].channel: no text channel named #{series.channel}")
    role_names = {role.name.casefold() for role in guild.roles}
    role_ids = {role.id for role in guild.roles}
    for role in config.moderator_roles:
        missing = role not in role_ids if isinstance(role, int) else role.casefold() not in role_names
        if missing:
            problems.append(f"moderator_roles: no role {role!r} in {guild.name}")
    for series in config.calendar:
        if series.audience_role and series.audience_role.casefold() not in role_names:
            problems.append(f"calendar[{series.key}].audience_role: no role named {series.audience_role!r}")
            continue
        wanted = (series.audience_role or "").casefold()
        audience = next((r for r in guild.roles if wanted and r.name.casefold() == wanted), None)
        if audience is not None and not can_ping(audience):
            problems.append(
                f"calendar[{series.key}].audience_role: reminders mention {audience.name!r} but Discord "
                "will not notify its members: make the role mentionable (Server Settings > Roles) or grant "
                "the bot Mention Everyone"
            )
    leaders = config.directory.leaders_role
    if leaders.casefold() not in role_names:
        problems.append(f"directory.leaders_role: no role named {leaders!r} for verified WIM leaders")
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
