"""The server-wide blocks: guild ids, moderator roles, the channels the bot posts in and their languages."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from bot.config._fields import ConfigError, Section, integer, text, type_name
from bot.i18n import LANGUAGES


class ChannelsConfig(msgspec.Struct, frozen=True):
    announcements: str
    digest: str
    mod_log: str


def read_guild_ids(root: Section) -> tuple[int, ...]:
    items = root.items("guild_ids")
    if not items:
        raise ConfigError("guild_ids", "expected a list with at least one server (guild) id")
    ids: list[int] = []
    for path, item in items:
        guild_id = integer(path, item, 1, 2**63 - 1)
        if guild_id in ids:
            raise ConfigError(path, f"guild id {guild_id} is listed twice")
        ids.append(guild_id)
    return tuple(ids)


def read_moderator_roles(root: Section) -> tuple[str | int, ...]:
    roles: list[str | int] = []
    for path, item in root.items("moderator_roles"):
        role: str | int
        if isinstance(item, int) and not isinstance(item, bool):
            role = integer(path, item, 1, 2**63 - 1)
        elif isinstance(item, str):
            role = text(path, item, max_length=100)
        else:
            raise ConfigError(path, f"expected a role name or a role id, got {type_name(item)}")
        roles.append(role)
    return tuple(roles)


def read_channels(root: Section) -> ChannelsConfig:
    section = root.section("channels", ("announcements", "digest", "mod_log"))
    return ChannelsConfig(
        announcements=section.text("announcements", "announcements", max_length=100),
        digest=section.text("digest", "weekly-digest", max_length=100),
        mod_log=section.text("mod_log", "mod-log", max_length=100),
    )


def read_channel_languages(root: Section) -> tuple[tuple[str, str], ...]:
    """``channel_languages: {annonces: fr}``: channel names (as in Discord, without #) -> en, fr or es."""
    if not root.has("channel_languages"):
        return ()
    raw = root.data["channel_languages"]
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "channel_languages",
            "expected a mapping of channel names to languages, such as {annonces: fr}, "
            f"got {type_name(raw)}",
        )
    languages: dict[str, str] = {}
    for name, language in raw.items():
        path = f"channel_languages.{name}"
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(path, "expected a channel name as the key")
        channel = name.strip()
        if channel.startswith("#"):
            raise ConfigError(path, f"write the channel name without #, as {channel.lstrip('#')!r}")
        if len(channel) > 100:
            raise ConfigError(path, f"expected a channel name of at most 100 characters, got {len(channel)}")
        if language not in LANGUAGES:
            raise ConfigError(path, f"expected one of {', '.join(LANGUAGES)}, got {language!r}")
        if channel.casefold() in languages:
            raise ConfigError(path, f"channel {channel!r} is listed twice")
        languages[channel.casefold()] = language
    return tuple(languages.items())
