"""Permission checks enforced in code. ``default_permissions`` only hides commands in the UI.

Each check's predicate carries who it lets through (``WHO``), which the command reference
(bot/docs.py) reads for its "Who" column, so the reference says what the code enforces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TypeVar

import discord
from discord import app_commands

from bot.errors import PermissionDenied

if TYPE_CHECKING:
    from bot.core.roles import RoleDirectory


T = TypeVar("T")

WHO: Final = "__wim_who__"  # the attribute naming who a check's predicate lets through
MODERATORS: Final = "moderators"
COORDINATORS: Final = "coordinators and moderators"


class NotModerator(app_commands.CheckFailure):
    """The member is neither in a configured moderator role nor has Manage Server."""


class NotCoordinator(app_commands.CheckFailure, PermissionDenied):
    """The member is no moderator and coordinates no working group. A ``PermissionDenied`` too, so the
    tree's error handler answers it like the service's refusals, in the member's language."""

    def __init__(self) -> None:
        PermissionDenied.__init__(self, "errors.not_coordinator")


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

    setattr(predicate, WHO, MODERATORS)
    return app_commands.check(predicate)


def coordinator_or_moderator() -> Callable[[T], T]:
    """App-command check: moderators, and members who coordinate at least one working group here.

    The working-groups service still decides for the group the command names (a coordinator of
    another group is refused there, naming it); this check turns away, before any option is read or
    any form opened, the members the service would refuse for every group."""

    async def predicate(interaction: discord.Interaction) -> bool:
        guild = interaction.guild
        if guild is None:
            raise app_commands.NoPrivateMessage()
        bot = interaction.client
        if member_is_moderator(interaction.user, bot.roles):  # type: ignore[attr-defined]  # a WimBot
            return True
        service = bot.services.working_groups  # type: ignore[attr-defined]  # typed Client; a WimBot
        if not await service.coordinates_any(guild.id, interaction.user.id):
            raise NotCoordinator()
        return True

    setattr(predicate, WHO, COORDINATORS)
    return app_commands.check(predicate)
