"""Permission checks enforced in code. ``default_permissions`` only hides commands in the UI."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.config import Config


T = TypeVar("T")


class NotModerator(app_commands.CheckFailure):
    """The member is neither in a configured moderator role nor has Manage Server."""


def member_is_moderator(member: discord.Member | discord.User, config: Config) -> bool:
    """Moderators: the Secretariat and Steering Committee roles (by name or id), or Manage Server."""
    if not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild or member.guild_permissions.administrator:
        return True
    wanted_ids = {role for role in config.moderator_roles if isinstance(role, int)}
    wanted_names = {role.casefold() for role in config.moderator_roles if isinstance(role, str)}
    return any(role.id in wanted_ids or role.name.casefold() in wanted_names for role in member.roles)


def moderator_only() -> Callable[[T], T]:
    """App-command check: only moderators pass. Pair with ``default_permissions`` as the UI hint."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        config = interaction.client.config  # type: ignore[attr-defined]  # typed Client; runs in a WimBot
        if not member_is_moderator(interaction.user, config):
            raise NotModerator()
        return True

    return app_commands.check(predicate)
