"""What config.yml expects the Discord server to have: the channels, the roles, and the bot's
permissions, one table for the start-up guild check (``bot.core.guild_check``) and for ``check``,
which lists them offline so whoever sets up the server knows what to create.

No ``discord`` import: ``check`` reads these without loading discord.py.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec

from bot.config import Config

# What the bot needs across features (the invite link asks for exactly these).
# discord.py flag -> the label the Developer Portal and Server Settings show.
# Mention Everyone is deliberately absent: the bot pings a role only where a feature means to (e.g.
# the roundtable's audience role), which needs no such permission.
# Create Events: since 23 February 2026 Discord requires it (not Manage Events alone) for a bot to
# create scheduled events (discord-api-docs change log, 2025-11-20).
PERMISSION_LABELS: Final[dict[str, str]] = {
    "manage_roles": "Manage Roles",
    "manage_channels": "Manage Channels",
    "manage_events": "Manage Events",
    "create_events": "Create Events",
    "view_channel": "View Channels",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
}
REQUIRED_PERMISSIONS: Final[tuple[str, ...]] = tuple(PERMISSION_LABELS)

#: What posting a plain message needs.
POST: Final = ("view_channel", "send_messages")
#: What posting an embed (an announcement card) needs, in the order a refusal names them.
POST_EMBEDS: Final = ("view_channel", "send_messages", "embed_links")

# channels.<key> -> what the bot posts there.
CONFIGURED_CHANNELS: Final[dict[str, str]] = {
    "announcements": "event announcements and reminders",
    "digest": "the weekly digest",
    "mod_log": "moderator actions and problems the bot reports",
}


class ChannelNeed(msgspec.Struct, frozen=True):
    key: str  # the config key naming it: "channels.announcements", "calendar[global-wim-call].channel"
    name: str  # a text channel's name, without #
    purpose: str
    permissions: tuple[str, ...]  # what the bot needs in it (discord.py flag names)


class RoleNeed(msgspec.Struct, frozen=True):
    key: str  # "moderator_roles", "calendar[roundtable].audience_role", "directory.leaders_role"
    role: str | int  # a name, or an id (moderator_roles may give ids)
    purpose: str
    kind: Literal["moderator", "audience", "leaders"]


def channel_needs(config: Config) -> list[ChannelNeed]:
    """The text channels the config names, in config order (one entry per key naming one)."""
    needs = [
        ChannelNeed(f"channels.{key}", getattr(config.channels, key), purpose, POST_EMBEDS)
        for key, purpose in CONFIGURED_CHANNELS.items()
    ]
    needs.extend(
        ChannelNeed(
            f"calendar[{series.key}].channel", series.channel, f"announcements of {series.key}", POST_EMBEDS
        )
        for series in config.calendar
        if series.channel
    )
    return needs


def role_needs(config: Config) -> list[RoleNeed]:
    """The roles the config names, in config order."""
    needs = [
        RoleNeed("moderator_roles", role, "moderates the bot", "moderator") for role in config.moderator_roles
    ]
    needs.extend(
        RoleNeed(
            f"calendar[{series.key}].audience_role",
            series.audience_role,
            f"invited to and reminded of {series.key}; make it mentionable",
            "audience",
        )
        for series in config.calendar
        if series.audience_role
    )
    needs.append(
        RoleNeed(
            "directory.leaders_role",
            config.directory.leaders_role,
            "given to verified WIM leaders; keep it below the bot's role",
            "leaders",
        )
    )
    return needs
