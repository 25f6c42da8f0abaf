"""The bot's configuration: ``config.yml`` read into frozen dataclasses and validated once, at start.

Every error names the key path (``calendar[1].start``) and says what is expected, so whoever edits
the file can fix it without reading code. Secrets never live here: the token comes from the
``DISCORD_TOKEN`` environment variable only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml

from bot import countries, validation, yamlfile
from bot.errors import UserFacingError
from bot.i18n import LANGUAGES
from bot.timeutil import DurationError, get_zone, parse_lead_times

RECURRENCES: tuple[str, ...] = ("none", "weekly", "monthly", "every_2_months", "yearly")
DAY_NAMES: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_DURATION_MINUTES = 10080  # one week
MAX_HORIZON_DAYS = 3650
START_FORMAT = "%Y-%m-%d %H:%M"
# Stable ids end up in the database and in custom_ids: keep them short, lowercase and URL-safe.
_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_SECRET_KEYS = ("token", "discord_token", "bot_token")


class ConfigError(ValueError):
    """The configuration is invalid. ``str(error)`` is "key.path: what is expected"."""

    def __init__(self, key: str, expected: str) -> None:
        super().__init__(f"{key}: {expected}")
        self.key = key
        self.expected = expected


@dataclass(frozen=True)
class Localized:
    en: str
    fr: str
    es: str

    def get(self, lang: str) -> str:
        """The text in ``lang``; English for a language the bot does not speak."""
        return str(getattr(self, lang)) if lang in LANGUAGES else self.en


@dataclass(frozen=True)
class ChannelsConfig:
    announcements: str
    digest: str
    mod_log: str


@dataclass(frozen=True)
class RemindersConfig:
    default_lead_times: tuple[timedelta, ...]


@dataclass(frozen=True)
class DigestConfig:
    day: int  # 0 = Monday
    time: time
    timezone: str

    def next_run(self, after: datetime) -> datetime:
        """The first digest moment strictly after ``after``, in UTC.

        The weekday and wall-clock time are taken in the digest's zone, so a 09:00 digest stays at
        09:00 local across daylight-saving changes (its UTC time moves instead). A wall-clock time
        that does not exist on a spring-forward day is read with the offset before the jump.
        """
        if after.tzinfo is None:
            raise ValueError("next_run needs an aware datetime")
        zone = get_zone(self.timezone)
        local_day = after.astimezone(zone).date()
        # Eight days always reach the next matching weekday even if today's slot has passed.
        for offset in range(8):
            day = local_day + timedelta(days=offset)
            if day.weekday() != self.day:
                continue
            candidate = datetime.combine(day, self.time, tzinfo=zone).astimezone(UTC)
            if candidate > after:
                return candidate
        raise AssertionError("unreachable: a weekday recurs within eight days")


# --- working groups (block owned by the working-groups feature) ---------------------------------

WG_STATUSES: tuple[str, ...] = ("not_started", "in_progress", "needs_attention", "completed")
WG_DELIVERABLE_KINDS: tuple[str, ...] = ("white_paper", "index", "guide", "report", "directory")
WG_TEXT_LIMIT = 1000
WG_ITEM_LIMIT = 500


@dataclass(frozen=True)
class WorkplanItemConfig:
    title: Localized
    status: str  # one of WG_STATUSES


@dataclass(frozen=True)
class DeliverableConfig:
    title: Localized
    kind: str  # one of WG_DELIVERABLE_KINDS
    status: str


@dataclass(frozen=True)
class WorkingGroupConfig:
    key: str
    name: Localized
    stake: Localized
    mandate: Localized
    actions: Localized | None  # the WIM organisations' actions, one per line
    description: Localized | None  # what the group's report is to contain
    private: bool
    status: str
    workplan: tuple[WorkplanItemConfig, ...]
    deliverables: tuple[DeliverableConfig, ...]


@dataclass(frozen=True)
class WorkingGroupSettings:
    stale_after_weeks: int  # a group without activity this long is flagged and nudged once
    category: str  # category holding the groups' channels
    archive_category: str  # where archived groups' channels go, read-only


@dataclass(frozen=True)
class RecurringEventConfig:
    key: str  # stable id, e.g. "global-wim-call"
    title: Localized
    description: Localized
    start: str  # first occurrence, local "YYYY-MM-DD HH:MM"
    timezone: str  # IANA
    duration_minutes: int
    recurrence: str  # one of RECURRENCES
    channel: str | None  # channel name; None = channels.announcements
    audience_role: str | None  # role name; None = everyone
    link: str | None

    def first_start(self) -> datetime:
        """The first occurrence as an aware datetime in the event's zone."""
        return datetime.strptime(self.start, START_FORMAT).replace(tzinfo=get_zone(self.timezone))


@dataclass(frozen=True)
class EventsConfig:
    horizon_days: int
    default_duration_minutes: int


# --- directory (the organisation directory, /org) --------------------------------------------------


@dataclass(frozen=True)
class SeedOrganisation:
    """An organisation listed in config.yml, created once per guild (``key`` is its stable id)."""

    key: str
    name: str
    country: str  # ISO 3166-1 alpha-2
    website: str
    region: str | None = None  # UN M49 sub-region code; None = the country's
    linkedin: str | None = None
    description: tuple[tuple[str, str], ...] = ()  # (language, text) pairs, one to three
    joined: date | None = None  # None = the day it is seeded


@dataclass(frozen=True)
class DirectoryConfig:
    leaders_role: str = "WIM Leaders"  # given to verified leaders and representatives
    max_representatives: int = 2  # per organisation
    organisations: tuple[SeedOrganisation, ...] = ()


@dataclass(frozen=True)
class Config:
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
    directory: DirectoryConfig = field(default_factory=lambda: DirectoryConfig())

    @property
    def zone(self) -> ZoneInfo:
        return get_zone(self.timezone)

    def channel_language(self, channel_name: str | None) -> str:
        """The language public posts in this channel speak: its own from ``channel_languages``, else
        the server's ``language``. Direct messages never use this: they follow each member."""
        if channel_name is None:
            return self.language
        return dict(self.channel_languages).get(channel_name.casefold(), self.language)


# --- validation helpers -------------------------------------------------------------------------

T = TypeVar("T")


def _type_name(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


class _Section:
    """A mapping under validation: knows its key path, refuses unknown keys, names errors."""

    def __init__(self, path: str, data: Any, allowed: tuple[str, ...]) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(path or "(top level)", f"expected a mapping of keys, got {_type_name(data)}")
        for key in data:
            if not isinstance(key, str):
                raise ConfigError(self._join(path, str(key)), "keys must be text")
            if key not in allowed:
                raise ConfigError(
                    self._join(path, key), f"unknown key; expected one of: {', '.join(allowed)}"
                )
        self.path = path
        self.data = data

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def key(self, name: str) -> str:
        return self._join(self.path, name)

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def raw(self, name: str) -> Any:
        if name not in self.data or self.data[name] is None:
            raise ConfigError(self.key(name), "is required")
        return self.data[name]

    def text(self, name: str, default: str | None = None, *, max_length: int = 200) -> str:
        if default is not None and not self.has(name):
            return default
        return _text(self.key(name), self.raw(name), max_length=max_length)

    def optional_text(self, name: str, *, max_length: int = 200) -> str | None:
        if not self.has(name):
            return None
        return _text(self.key(name), self.data[name], max_length=max_length)

    def integer(self, name: str, low: int, high: int, default: int | None = None) -> int:
        if default is not None and not self.has(name):
            return default
        return _integer(self.key(name), self.raw(name), low, high)

    def section(self, name: str, allowed: tuple[str, ...], *, required: bool = False) -> _Section:
        if not self.has(name):
            if required:
                raise ConfigError(self.key(name), "is required")
            return _Section(self.key(name), {}, allowed)
        return _Section(self.key(name), self.data[name], allowed)

    def items(self, name: str) -> list[tuple[str, Any]]:
        """A list value as (key path, item) pairs; missing means empty."""
        if not self.has(name):
            return []
        value = self.data[name]
        if not isinstance(value, list):
            raise ConfigError(self.key(name), f"expected a list, got {_type_name(value)}")
        return [(f"{self.key(name)}[{index}]", item) for index, item in enumerate(value)]


def _text(path: str, value: Any, *, max_length: int = 200) -> str:
    if not isinstance(value, str):
        raise ConfigError(path, f"expected text, got {_type_name(value)}")
    text = value.strip()
    if not text:
        raise ConfigError(path, "expected non-empty text")
    if len(text) > max_length:
        raise ConfigError(path, f"expected at most {max_length} characters, got {len(text)}")
    return text


def _integer(path: str, value: Any, low: int, high: int) -> int:
    # bool is an int in Python; "yes" in YAML is never a number the user meant.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(path, f"expected a whole number from {low} to {high}, got {_type_name(value)}")
    if not low <= value <= high:
        raise ConfigError(path, f"expected a whole number from {low} to {high}, got {value}")
    return value


def _checked(path: str, parse: Callable[[str], T], value: str, expected: str) -> T:
    try:
        return parse(value)
    except ValueError:
        raise ConfigError(path, f"{expected}, got {value!r}") from None


def _zone_name(path: str, value: Any) -> str:
    name = _text(path, value, max_length=64)
    _checked(path, get_zone, name, "expected an IANA time zone such as Europe/Paris or America/Lima")
    return name


def _localized(path: str, value: Any, *, max_length: int) -> Localized:
    section = _Section(path, value, LANGUAGES)
    texts = {lang: section.text(lang, max_length=max_length) for lang in LANGUAGES}
    return Localized(**texts)


def _slug(path: str, value: Any) -> str:
    key = _text(path, value, max_length=40)
    if not _KEY_PATTERN.match(key):
        raise ConfigError(
            path, f"expected lowercase letters, digits and dashes (like global-wim-call), got {key!r}"
        )
    return key


def _clock_time(path: str, value: Any) -> time:
    # YAML 1.1 reads an unquoted 09:00 as the sexagesimal number 540: say to quote it.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ConfigError(path, 'expected a quoted "HH:MM" time such as "09:00"')
    text = _text(path, value, max_length=5)
    match = _TIME_PATTERN.match(text)
    if match is None:
        raise ConfigError(path, f'expected a 24-hour "HH:MM" time such as "09:00", got {text!r}')
    return time(int(match.group(1)), int(match.group(2)))


def _log_level(path: str, value: Any) -> str:
    level = _text(path, value, max_length=16).upper()
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
)


def _guild_ids(root: _Section) -> tuple[int, ...]:
    items = root.items("guild_ids")
    if not items:
        raise ConfigError("guild_ids", "expected a list with at least one server (guild) id")
    ids: list[int] = []
    for path, item in items:
        guild_id = _integer(path, item, 1, 2**63 - 1)
        if guild_id in ids:
            raise ConfigError(path, f"guild id {guild_id} is listed twice")
        ids.append(guild_id)
    return tuple(ids)


def _moderator_roles(root: _Section) -> tuple[str | int, ...]:
    roles: list[str | int] = []
    for path, item in root.items("moderator_roles"):
        role: str | int
        if isinstance(item, int) and not isinstance(item, bool):
            role = _integer(path, item, 1, 2**63 - 1)
        elif isinstance(item, str):
            role = _text(path, item, max_length=100)
        else:
            raise ConfigError(path, f"expected a role name or a role id, got {_type_name(item)}")
        roles.append(role)
    return tuple(roles)


def _channels(root: _Section) -> ChannelsConfig:
    section = root.section("channels", ("announcements", "digest", "mod_log"))
    return ChannelsConfig(
        announcements=section.text("announcements", "announcements", max_length=100),
        digest=section.text("digest", "weekly-digest", max_length=100),
        mod_log=section.text("mod_log", "mod-log", max_length=100),
    )


def _channel_languages(root: _Section) -> tuple[tuple[str, str], ...]:
    """``channel_languages: {annonces: fr}``: channel names (as in Discord, without #) -> en, fr or es."""
    if not root.has("channel_languages"):
        return ()
    raw = root.data["channel_languages"]
    if not isinstance(raw, Mapping):
        raise ConfigError(
            "channel_languages",
            "expected a mapping of channel names to languages, such as {annonces: fr}, "
            f"got {_type_name(raw)}",
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


def _reminders(root: _Section) -> RemindersConfig:
    section = root.section("reminders", ("default_lead_times",))
    if not section.has("default_lead_times"):
        return RemindersConfig(default_lead_times=parse_lead_times("7d,1d,1h,15m"))
    path = section.key("default_lead_times")
    raw = section.data["default_lead_times"]
    if not isinstance(raw, str):
        raise ConfigError(path, f'expected text such as "7d,1d,1h,15m", got {_type_name(raw)}')
    try:
        return RemindersConfig(default_lead_times=parse_lead_times(raw))
    except DurationError as exc:
        raise ConfigError(path, f'expected lead times such as "7d,1d,1h,15m": {exc}') from None


def _digest(root: _Section, default_zone: str) -> DigestConfig:
    section = root.section("digest", ("day", "time", "timezone"))
    day_name = section.text("day", "monday", max_length=9).lower()
    if day_name not in DAY_NAMES:
        raise ConfigError(
            section.key("day"), f"expected a day name ({', '.join(DAY_NAMES)}), got {day_name!r}"
        )
    at = _clock_time(section.key("time"), section.data["time"]) if section.has("time") else time(9, 0)
    zone = (
        _zone_name(section.key("timezone"), section.data["timezone"])
        if section.has("timezone")
        else default_zone
    )
    return DigestConfig(day=DAY_NAMES.index(day_name), time=at, timezone=zone)


def _events(root: _Section) -> EventsConfig:
    section = root.section("events", ("horizon_days", "default_duration_minutes"))
    return EventsConfig(
        horizon_days=section.integer("horizon_days", 1, MAX_HORIZON_DAYS, default=180),
        default_duration_minutes=section.integer(
            "default_duration_minutes", 1, MAX_DURATION_MINUTES, default=60
        ),
    )


_WG_KEYS = (
    "key",
    "name",
    "stake",
    "mandate",
    "actions",
    "description",
    "private",
    "status",
    "workplan",
    "deliverables",
)


def _choice(path: str, value: Any, allowed: tuple[str, ...]) -> str:
    text = _text(path, value, max_length=40)
    if text not in allowed:
        raise ConfigError(path, f"expected one of {', '.join(allowed)}, got {text!r}")
    return text


def _optional_localized(section: _Section, name: str, *, max_length: int) -> Localized | None:
    return (
        _localized(section.key(name), section.data[name], max_length=max_length)
        if section.has(name)
        else None
    )


def _working_groups(root: _Section) -> tuple[WorkingGroupConfig, ...]:
    groups: list[WorkingGroupConfig] = []
    seen: set[str] = set()
    for path, item in root.items("working_groups"):
        section = _Section(path, item, _WG_KEYS)
        key = _slug(section.key("key"), section.raw("key"))
        if key in seen:
            raise ConfigError(section.key("key"), f"working group key {key!r} is used twice")
        seen.add(key)
        private = section.data.get("private", False)
        if not isinstance(private, bool):
            raise ConfigError(section.key("private"), f"expected true or false, got {_type_name(private)}")
        workplan: list[WorkplanItemConfig] = []
        for item_path, entry in section.items("workplan"):
            item_section = _Section(item_path, entry, ("title", "status"))
            workplan.append(
                WorkplanItemConfig(
                    title=_localized(
                        item_section.key("title"), item_section.raw("title"), max_length=WG_ITEM_LIMIT
                    ),
                    status=_choice(
                        item_section.key("status"),
                        item_section.data.get("status", "not_started"),
                        WG_STATUSES,
                    ),
                )
            )
        deliverables: list[DeliverableConfig] = []
        for item_path, entry in section.items("deliverables"):
            item_section = _Section(item_path, entry, ("title", "kind", "status"))
            deliverables.append(
                DeliverableConfig(
                    title=_localized(item_section.key("title"), item_section.raw("title"), max_length=200),
                    kind=_choice(item_section.key("kind"), item_section.raw("kind"), WG_DELIVERABLE_KINDS),
                    status=_choice(
                        item_section.key("status"),
                        item_section.data.get("status", "not_started"),
                        WG_STATUSES,
                    ),
                )
            )
        groups.append(
            WorkingGroupConfig(
                key=key,
                name=_localized(section.key("name"), section.raw("name"), max_length=100),
                stake=_localized(section.key("stake"), section.raw("stake"), max_length=WG_TEXT_LIMIT),
                mandate=_localized(section.key("mandate"), section.raw("mandate"), max_length=WG_TEXT_LIMIT),
                actions=_optional_localized(section, "actions", max_length=WG_TEXT_LIMIT),
                description=_optional_localized(section, "description", max_length=WG_TEXT_LIMIT),
                private=private,
                status=_choice(section.key("status"), section.data.get("status", "not_started"), WG_STATUSES),
                workplan=tuple(workplan),
                deliverables=tuple(deliverables),
            )
        )
    return tuple(groups)


def _working_group_settings(root: _Section) -> WorkingGroupSettings:
    section = root.section("working_group_settings", ("stale_after_weeks", "category", "archive_category"))
    return WorkingGroupSettings(
        stale_after_weeks=section.integer("stale_after_weeks", 1, 52, default=4),
        category=section.text("category", "Working Groups", max_length=100),
        archive_category=section.text("archive_category", "Working Groups – Archive", max_length=100),
    )


_EVENT_KEYS = (
    "key",
    "title",
    "description",
    "start",
    "timezone",
    "duration_minutes",
    "recurrence",
    "channel",
    "audience_role",
    "link",
)


def _start(path: str, value: Any) -> str:
    # An unquoted "2027-02-10 13:00" is still a string for yaml.safe_load, but a bare date is not.
    if isinstance(value, datetime | date):
        raise ConfigError(path, 'expected a quoted local "YYYY-MM-DD HH:MM" such as "2027-02-10 13:00"')
    text = _text(path, value, max_length=16)
    _checked(
        path,
        lambda s: datetime.strptime(s, START_FORMAT),  # noqa: DTZ007 - a wall-clock time; the zone is its own key
        text,
        'expected a local "YYYY-MM-DD HH:MM" such as "2027-02-10 13:00"',
    )
    return text


def _link(path: str, value: Any) -> str:
    link = _text(path, value, max_length=512)
    if not link.startswith(("https://", "http://")) or any(ch.isspace() for ch in link):
        raise ConfigError(path, f"expected a web address starting with https://, got {link!r}")
    return link


def _calendar(root: _Section, default_zone: str, default_duration: int) -> tuple[RecurringEventConfig, ...]:
    events: list[RecurringEventConfig] = []
    seen: set[str] = set()
    for path, item in root.items("calendar"):
        section = _Section(path, item, _EVENT_KEYS)
        key = _slug(section.key("key"), section.raw("key"))
        if key in seen:
            raise ConfigError(section.key("key"), f"calendar key {key!r} is used twice")
        seen.add(key)
        recurrence = section.text("recurrence", "none", max_length=20)
        if recurrence not in RECURRENCES:
            raise ConfigError(
                section.key("recurrence"), f"expected one of {', '.join(RECURRENCES)}, got {recurrence!r}"
            )
        events.append(
            RecurringEventConfig(
                key=key,
                title=_localized(section.key("title"), section.raw("title"), max_length=100),
                description=_localized(
                    section.key("description"), section.raw("description"), max_length=1000
                ),
                start=_start(section.key("start"), section.raw("start")),
                timezone=(
                    _zone_name(section.key("timezone"), section.data["timezone"])
                    if section.has("timezone")
                    else default_zone
                ),
                duration_minutes=section.integer(
                    "duration_minutes", 1, MAX_DURATION_MINUTES, default=default_duration
                ),
                recurrence=recurrence,
                channel=section.optional_text("channel", max_length=100),
                audience_role=section.optional_text("audience_role", max_length=100),
                link=_link(section.key("link"), section.data["link"]) if section.has("link") else None,
            )
        )
    return tuple(events)


_SEED_ORG_KEYS = ("key", "name", "country", "website", "region", "linkedin", "description", "joined")


def _seed_organisation(path: str, item: Any) -> SeedOrganisation:
    # The same checks as /org add, so a seeded organisation is one a moderator could have typed.
    section = _Section(path, item, _SEED_ORG_KEYS)

    def check(key: str, parse: Callable[[], T], expected: str) -> T:
        try:
            return parse()
        except UserFacingError:
            raise ConfigError(section.key(key), expected) from None

    name = section.text("name", max_length=100)
    country = check(
        "country",
        lambda: countries.country_code(section.text("country", max_length=100)),
        f"expected an ISO 3166-1 country code such as PE or ZA, got {section.data.get('country')!r}",
    )
    website = check(
        "website",
        lambda: validation.web_url(section.text("website", max_length=512), field="orgs.fields.website"),
        "expected a web address starting with https://",
    )
    region = None
    if section.has("region"):
        region = check(
            "region",
            lambda: countries.region_code(str(section.data["region"])),
            f"expected a UN M49 sub-region code, one of {', '.join(countries.SUBREGIONS)}",
        )
    elif countries.subregion_of(country) is None:
        raise ConfigError(section.key("region"), f"is required: {country} has no UN M49 sub-region")
    linkedin = None
    if section.has("linkedin"):
        linkedin = check(
            "linkedin",
            lambda: validation.web_url(
                section.text("linkedin", max_length=512), field="orgs.fields.linkedin"
            ),
            "expected a web address starting with https://",
        )
    description: list[tuple[str, str]] = []
    if section.has("description"):
        texts = _Section(section.key("description"), section.data["description"], LANGUAGES)
        description = [(lang, texts.text(lang, max_length=500)) for lang in LANGUAGES if texts.has(lang)]
    joined = None
    if section.has("joined"):
        raw = section.data["joined"]
        if isinstance(raw, datetime) or not isinstance(raw, date | str):
            raise ConfigError(section.key("joined"), 'expected a date "YYYY-MM-DD"')
        joined = (
            raw
            if isinstance(raw, date)
            else _checked(section.key("joined"), date.fromisoformat, raw, 'expected a date "YYYY-MM-DD"')
        )
    return SeedOrganisation(
        key=_slug(section.key("key"), section.raw("key")),
        name=name,
        country=country,
        website=website,
        region=region,
        linkedin=linkedin,
        description=tuple(description),
        joined=joined,
    )


def _directory(root: _Section) -> DirectoryConfig:
    section = root.section("directory", ("leaders_role", "max_representatives", "organisations"))
    seeds: list[SeedOrganisation] = []
    keys: set[str] = set()
    names: set[str] = set()
    for path, item in section.items("organisations"):
        seed = _seed_organisation(path, item)
        if seed.key in keys:
            raise ConfigError(f"{path}.key", f"organisation key {seed.key!r} is used twice")
        if countries.fold(seed.name) in names:
            raise ConfigError(f"{path}.name", f"organisation name {seed.name!r} is used twice")
        keys.add(seed.key)
        names.add(countries.fold(seed.name))
        seeds.append(seed)
    return DirectoryConfig(
        leaders_role=section.text("leaders_role", "WIM Leaders", max_length=100),
        max_representatives=section.integer("max_representatives", 1, 25, default=2),
        organisations=tuple(seeds),
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
    root = _Section("", data, _TOP_KEYS)
    environ = os.environ if environ is None else environ

    timezone = _zone_name("timezone", root.data["timezone"]) if root.has("timezone") else "UTC"
    language = root.text("language", "en", max_length=5)
    if language not in LANGUAGES:
        raise ConfigError("language", f"expected one of {', '.join(LANGUAGES)}, got {language!r}")
    log_level = _log_level("log_level", root.data["log_level"]) if root.has("log_level") else "INFO"
    if environ.get("LOG_LEVEL", "").strip():
        log_level = _log_level("LOG_LEVEL (environment variable)", environ["LOG_LEVEL"])

    database = Path(root.text("database", "data/wim-bot.sqlite3", max_length=1024)).expanduser()
    if not database.is_absolute():
        database = base_dir / database

    events = _events(root)
    return Config(
        guild_ids=_guild_ids(root),
        timezone=timezone,
        language=language,
        log_level=log_level,
        database=database,
        moderator_roles=_moderator_roles(root),
        channels=_channels(root),
        reminders=_reminders(root),
        digest=_digest(root, timezone),
        events=events,
        working_groups=_working_groups(root),
        working_group_settings=_working_group_settings(root),
        calendar=_calendar(root, timezone, events.default_duration_minutes),
        channel_languages=_channel_languages(root),
        directory=_directory(root),
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
