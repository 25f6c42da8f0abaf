"""The Discord side of a working group: its category, role and channel, and their permission overwrites.

Nothing is left half-created: what the bot cannot do is checked first (Manage Roles, Manage Channels,
role hierarchy) and named; if the channel cannot be created after the role was made, the role is
deleted again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import discord

from bot import limits
from bot.config import Config
from bot.core.channels import permission_terms
from bot.errors import UserFacingError
from bot.services.working_groups import Group

log = logging.getLogger(__name__)

REASON: Final = "WIM Alliance bot: working groups"
# What the bot keeps for itself in every group channel (also read-only archived ones).
BOT_OVERWRITE: Final = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, embed_links=True, attach_files=True, read_message_history=True
)


@dataclass
class Provisioned:
    role: discord.Role
    channel: discord.TextChannel
    created: list[str] = field(default_factory=list)  # "role", "channel", "category", "overwrites"


def missing_permissions(guild: discord.Guild) -> list[str]:
    """Guild permissions the bot lacks for roles and channels, as catalog suffixes."""
    granted = guild.me.guild_permissions
    return [name for name in ("manage_roles", "manage_channels") if not getattr(granted, name)]


def ensure_permissions(guild: discord.Guild) -> None:
    """Raise ``working_groups.errors.bot_missing`` naming, in the member's language, what is missing."""
    missing = missing_permissions(guild)
    if missing:
        raise UserFacingError("working_groups.errors.bot_missing", permissions=permission_terms(missing))


def ensure_below_bot(guild: discord.Guild, role: discord.Role) -> None:
    """Discord lets a bot give or take only roles below its own highest role."""
    if role >= guild.me.top_role:
        raise UserFacingError(
            "working_groups.errors.role_above_bot", role=role.name, bot_role=guild.me.top_role.name
        )


def overwrites(
    guild: discord.Guild,
    group: Group,
    role: discord.Role,
    *,
    moderators: Sequence[discord.Role],
    archived: bool = False,
) -> dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]:
    """Public: everyone sees the channel. Private: only the group's role, moderators and the bot.
    Archived: the same visibility, read-only for everyone but the bot. ``moderators``: the trusted
    moderator roles (``bot.roles.moderator_roles(guild)``: pinned by id, never a role that only shares
    their name)."""
    result: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite] = {
        guild.me: BOT_OVERWRITE
    }
    everyone: dict[str, bool] = {}
    member: dict[str, bool] = {}
    if group.private:
        everyone["view_channel"] = False
        member["view_channel"] = True
    if archived:
        everyone["send_messages"] = False
        member["send_messages"] = False
    if everyone:
        result[guild.default_role] = discord.PermissionOverwrite(**everyone)
    if member:
        result[role] = discord.PermissionOverwrite(**member)
    if group.private:
        for moderators_role in moderators:
            result[moderators_role] = discord.PermissionOverwrite(
                view_channel=True, send_messages=not archived
            )
    return result


def find_category(guild: discord.Guild, name: str) -> discord.CategoryChannel | None:
    wanted = name.casefold()
    return next((c for c in guild.categories if c.name.casefold() == wanted), None)


async def ensure_category(guild: discord.Guild, name: str, created: list[str]) -> discord.CategoryChannel:
    category = find_category(guild, name)
    if category is None:
        category = await guild.create_category(limits.clip(name, 100), reason=REASON)
        created.append("category")
    return category


def channel_name(group: Group) -> str:
    return group.key[:100]


async def provision(
    guild: discord.Guild,
    group: Group,
    config: Config,
    *,
    role_name: str,
    adopt_by_name: bool,
    moderators: Sequence[discord.Role],
) -> Provisioned:
    """Make sure the group has a role and a channel under the working-groups category; create only what
    is missing. ``adopt_by_name``: a role or channel already named like the group's is taken as its
    own (seeding after a crash, or an operator who prepared them by hand) instead of a duplicate."""
    ensure_permissions(guild)
    created: list[str] = []
    role = guild.get_role(group.role_id) if group.role_id else None
    if role is None and adopt_by_name:
        role = discord.utils.find(lambda r: r.name == role_name, guild.roles)
    if role is not None:
        ensure_below_bot(guild, role)
    channel = guild.get_channel(group.channel_id) if group.channel_id else None
    if not isinstance(channel, discord.TextChannel):
        channel = None
    settings = config.working_group_settings
    category = None
    if channel is None:
        category = await ensure_category(guild, settings.category, created)
        if adopt_by_name:
            found = discord.utils.find(lambda c: c.name == channel_name(group), category.text_channels)
            channel = found if isinstance(found, discord.TextChannel) else None
    made_role = False
    if role is None:
        role = await guild.create_role(name=limits.clip(role_name, 100), mentionable=False, reason=REASON)
        made_role = True
        created.append("role")
    if channel is None:
        assert category is not None
        try:
            channel = await guild.create_text_channel(
                channel_name(group),
                category=category,
                topic=limits.clip(group.stake.get(config.language), 1024),
                overwrites=overwrites(guild, group, role, moderators=moderators),
                reason=REASON,
            )
        except discord.HTTPException as error:
            if made_role:
                try:
                    await role.delete(reason=f"{REASON}: the channel could not be created")
                except discord.HTTPException:
                    log.exception(
                        "Could not delete role %s after the channel of %s failed", role.id, group.key
                    )
            log.warning("Creating the channel of %s failed: %s", group.key, error)
            raise UserFacingError(
                "working_groups.errors.channel_failed", error=limits.excerpt(error.text or str(error.status))
            ) from error
        created.append("channel")
    return Provisioned(role=role, channel=channel, created=created)


async def apply_overwrites(
    guild: discord.Guild,
    group: Group,
    channel: discord.TextChannel,
    role: discord.Role,
    *,
    moderators: Sequence[discord.Role],
) -> None:
    await channel.edit(
        overwrites=overwrites(guild, group, role, moderators=moderators, archived=group.archived),
        reason=REASON,
    )


async def archive_channel(
    guild: discord.Guild,
    group: Group,
    channel: discord.TextChannel,
    role: discord.Role | None,
    config: Config,
    *,
    moderators: Sequence[discord.Role],
) -> None:
    """Move the channel to the archive category, read-only. Nothing is deleted."""
    created: list[str] = []
    category = await ensure_category(guild, config.working_group_settings.archive_category, created)
    wanted: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]
    if role is not None:
        wanted = overwrites(guild, group, role, moderators=moderators, archived=True)
    else:
        everyone = discord.PermissionOverwrite(send_messages=False)
        if group.private:
            everyone.update(view_channel=False)
        wanted = {guild.me: BOT_OVERWRITE, guild.default_role: everyone}
    await channel.edit(category=category, overwrites=wanted, reason=REASON)
