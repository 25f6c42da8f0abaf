"""Permission checks enforced in code. ``default_permissions`` only hides commands in the UI."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.core.roles import RoleDirectory


T = TypeVar("T")


class NotModerator(app_commands.CheckFailure):
    """The member is neither in a configured moderator role nor has Manage Server."""


def member_is_moderator(member: discord.Member | discord.User, roles: RoleDirectory) -> bool:
    """Moderators: the configured moderator roles (Secretariat, Steering Committee), trusted by the id
    each resolved to (bot.core.roles: never by name at the click), or Manage Server."""
    if not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild or member.guild_permissions.administrator:
        return True
    trusted = roles.moderator_ids(member.guild)
    return any(role.id in trusted for role in member.roles)


def moderator_only() -> Callable[[T], T]:
    """App-command check: only moderators pass. Pair with ``default_permissions`` as the UI hint."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        roles = interaction.client.roles  # type: ignore[attr-defined]  # typed Client; runs in a WimBot
        if not member_is_moderator(interaction.user, roles):
            raise NotModerator()
        return True

    return app_commands.check(predicate)
