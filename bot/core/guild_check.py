"""Compare config.yml with the live guild at start, and warn about what is missing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from typing import Final

import aiohttp
import discord

from bot.config import Config
from bot.core.channels import configured_channel
from bot.core.guild_needs import REQUIRED_PERMISSIONS, channel_needs
from bot.core.mentions import can_ping
from bot.core.roles import GuildRoles, resolve_guild, role_problems

__all__ = ["REQUIRED_PERMISSIONS", "find_text_channel", "verify_guild"]

log = logging.getLogger(__name__)

REST_TIMEOUT: Final = 15.0  # seconds per request of `check`: a start-up check, not a wait


def verify_guild(guild: discord.Guild, config: Config, resolved: GuildRoles) -> list[str]:
    """Problems between ``config`` and ``guild``, one readable line each (also logged as warnings).
    ``resolved``: the guild's configured roles as the bot resolved them (bot.core.roles)."""
    problems: list[str] = []
    text_channels = {channel.name for channel in guild.text_channels}
    for channel in channel_needs(config):
        if channel.name not in text_channels:
            problems.append(f"{channel.key}: no text channel named #{channel.name} in {guild.name}")
    problems.extend(role_problems(resolved, guild.name))
    for series in config.calendar:
        audience_id = resolved.audience_ids().get(series.audience_role or "")
        audience = guild.get_role(audience_id) if audience_id else None
        if audience is not None and not can_ping(audience):
            problems.append(
                f"calendar[{series.key}].audience_role: reminders mention {audience.name!r} but Discord "
                "will not notify its members: make the role mentionable (Server Settings > Roles) or grant "
                "the bot Mention Everyone"
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


async def check_roles_over_rest(config: Config, token: str, *, skip: Collection[int] = ()) -> list[str]:
    """For ``python -m bot check``: read each configured guild's roles over REST (no gateway) and say
    which role each configured name means, or why none. Lines to print; never raises for Discord."""
    client = discord.Client(intents=discord.Intents.none())
    lines: list[str] = []
    try:
        try:
            await asyncio.wait_for(client.login(token), REST_TIMEOUT)
        except discord.LoginFailure:
            return ["Roles: Discord refused DISCORD_TOKEN, so the roles could not be checked"]
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            return [f"Roles: could not reach Discord to check the roles ({type(exc).__name__})"]
        for guild_id in config.guild_ids:
            if guild_id in skip:
                continue
            try:
                payload = await asyncio.wait_for(client.http.get_roles(guild_id), REST_TIMEOUT)
            except (discord.Forbidden, discord.NotFound):
                lines.append(f"Roles in guild {guild_id}: the bot cannot see this server (is it invited?)")
                continue
            except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
                lines.append(f"Roles in guild {guild_id}: could not read them ({type(exc).__name__})")
                continue
            pairs = [(int(role["id"]), str(role["name"])) for role in payload]
            resolved = resolve_guild(config, pairs, None)
            lines.append(f"Roles in guild {guild_id}:")
            for resolution in resolved.resolutions:
                if resolution.role_id is not None:
                    lines.append(
                        f"  {resolution.wanted.where} {resolution.wanted.label}: role id {resolution.role_id}"
                    )
            lines.extend(f"  Problem: {problem}" for problem in role_problems(resolved, f"guild {guild_id}"))
    finally:
        await client.close()
    return lines
