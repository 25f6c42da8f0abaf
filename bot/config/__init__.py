"""The bot's configuration: ``config.yml`` read into frozen structs (msgspec) and validated once, at start.

Every error names the key path (``calendar[1].start``) and says what is expected, so whoever edits
the file can fix it without reading code. Secrets never live here: the token comes from the
``DISCORD_TOKEN`` environment variable only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import yaml

from bot import yamlfile
from bot.config._fields import ConfigError, Localized, Section, text, zone_name
from bot.config.digest import DAY_NAMES, DigestConfig, read_digest
from bot.config.directory import DirectoryConfig, SeedOrganisation, read_directory
from bot.config.events import (
    MAX_DURATION_MINUTES,
    MAX_HORIZON_DAYS,
    RECURRENCES,
    START_FORMAT,
    EventsConfig,
    RecurringEventConfig,
    read_calendar,
    read_events,
)
from bot.config.reminders import RemindersConfig, read_reminders
from bot.config.server import (
    ChannelsConfig,
    read_channel_languages,
    read_channels,
    read_guild_ids,
    read_moderator_roles,
)
from bot.config.web import WebConfig, read_web
from bot.config.working_groups import (
    WG_DELIVERABLE_KINDS,
    WG_ITEM_LIMIT,
    WG_STATUSES,
    WG_TEXT_LIMIT,
    DeliverableConfig,
    WorkingGroupConfig,
    WorkingGroupSettings,
    WorkplanItemConfig,
    read_working_group_settings,
    read_working_groups,
)
from bot.i18n import LANGUAGES
from bot.timeutil import get_zone

__all__ = [
    "DAY_NAMES",
    "LOG_LEVELS",
    "MAX_DURATION_MINUTES",
    "MAX_HORIZON_DAYS",
    "RECURRENCES",
    "START_FORMAT",
    "WG_DELIVERABLE_KINDS",
    "WG_ITEM_LIMIT",
    "WG_STATUSES",
    "WG_TEXT_LIMIT",
    "ChannelsConfig",
    "Config",
    "ConfigError",
    "DeliverableConfig",
    "DigestConfig",
    "DirectoryConfig",
    "EventsConfig",
    "Localized",
    "RecurringEventConfig",
    "RemindersConfig",
    "SeedOrganisation",
    "WebConfig",
    "WorkingGroupConfig",
    "WorkingGroupSettings",
    "WorkplanItemConfig",
    "load_config",
    "parse_config",
]

LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SECRET_KEYS = ("token", "discord_token", "bot_token")


class Config(msgspec.Struct, frozen=True):
    guild_ids: tuple[int, ...]
    timezone: str
    language: str
    log_level: str
    database: Path
    moderator_roles: tuple[str | int, ...]  # role names or ids
    channels: ChannelsConfig
    reminders: RemindersConfig
    digest: DigestConfig
    events: EventsConfig
    working_groups: tuple[WorkingGroupConfig, ...]
    working_group_settings: WorkingGroupSettings
    calendar: tuple[RecurringEventConfig, ...]
    # (channel name casefolded, language of its public posts); other channels speak ``language``.
    channel_languages: tuple[tuple[str, str], ...] = ()
    directory: DirectoryConfig = msgspec.field(default_factory=lambda: DirectoryConfig())
    web: WebConfig = msgspec.field(default_factory=WebConfig)

    @property
    def zone(self) -> ZoneInfo:
        return get_zone(self.timezone)

    def channel_language(self, channel_name: str | None) -> str:
        """The language public posts in this channel speak: its own from ``channel_languages``, else
        the server's ``language``. Direct messages never use this: they follow each member."""
        if channel_name is None:
            return self.language
        return dict(self.channel_languages).get(channel_name.casefold(), self.language)


def _log_level(path: str, value: Any) -> str:
    level = text(path, value, max_length=16).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(path, f"expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


# --- sections -----------------------------------------------------------------------------------

_TOP_KEYS = (
    "guild_ids",
    "timezone",
    "language",
    "log_level",
    "database",
    "moderator_roles",
    "channels",
    "reminders",
    "digest",
    "events",
    "working_groups",
    "working_group_settings",
    "calendar",
    "channel_languages",
    "directory",
    "web",
)


def parse_config(data: Any, *, base_dir: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Validate an already-parsed YAML document. ``base_dir`` anchors a relative database path."""
    if data is None:
        raise ConfigError("(top level)", "the file is empty; expected at least guild_ids")
    if isinstance(data, Mapping):
        for secret in _SECRET_KEYS:
            if secret in data:
                raise ConfigError(
                    secret,
                    "the bot token must never be in config.yml; remove it and set the DISCORD_TOKEN "
                    "environment variable instead",
                )
    root = Section("", data, _TOP_KEYS)
    environ = os.environ if environ is None else environ

    timezone = zone_name("timezone", root.data["timezone"]) if root.has("timezone") else "UTC"
    language = root.text("language", "en", max_length=5)
    if language not in LANGUAGES:
        raise ConfigError("language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}")
    log_level = _log_level("log_level", root.data["log_level"]) if root.has("log_level") else "INFO"
    if environ.get("LOG_LEVEL", "").strip():
        log_level = _log_level("LOG_LEVEL (environment variable)", environ["LOG_LEVEL"])

    database = Path(root.text("database", "data/wim-bot.sqlite3", max_length=1024)).expanduser()
    if not database.is_absolute():
        database = base_dir / database

    events = read_events(root)
    return Config(
        guild_ids=read_guild_ids(root),
        timezone=timezone,
        language=language,
        log_level=log_level,
        database=database,
        moderator_roles=read_moderator_roles(root),
        channels=read_channels(root),
        reminders=read_reminders(root),
        digest=read_digest(root, timezone),
        events=events,
        working_groups=read_working_groups(root),
        working_group_settings=read_working_group_settings(root),
        calendar=read_calendar(root, timezone, events.default_duration_minutes),
        channel_languages=read_channel_languages(root),
        directory=read_directory(root),
        web=read_web(root),
    )


def load_config(path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate ``path``. Raises ``ConfigError`` naming the offending key.

    ``environ`` (default ``os.environ``) supplies overrides: ``LOG_LEVEL`` replaces ``log_level``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "(file)", f"no configuration file at {path}; copy config.yml from the repository"
        ) from None
    except IsADirectoryError:
        raise ConfigError("(file)", f"{path} is a directory; give the path of the config.yml file") from None
    except OSError as exc:
        raise ConfigError("(file)", f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "(file)", f"expected UTF-8 text; byte {exc.start + 1} is not (is {path} really config.yml?)"
        ) from None
    try:
        data = yamlfile.load(text)
    except yamlfile.DuplicateKeyError as exc:
        raise ConfigError(
            exc.path,
            f"written twice, on lines {exc.first_line} and {exc.second_line}; keep one "
            "(YAML would silently use the second)",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"
        raise ConfigError("(file)", f"expected valid YAML; the parser stopped at {where}") from None
    return parse_config(data, base_dir=path.resolve().parent, environ=environ)
