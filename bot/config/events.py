"""The ``events`` and ``calendar`` blocks: event defaults and the recurring events the bot keeps scheduled."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from bot.config._fields import (
    ConfigError,
    Localized,
    Section,
    checked,
    localized,
    slug,
    text,
    zone_name,
)
from bot.timeutil import get_zone

RECURRENCES: tuple[str, ...] = ("none", "weekly", "monthly", "every_2_months", "yearly")
MAX_DURATION_MINUTES = 10080  # one week
MAX_HORIZON_DAYS = 3650
START_FORMAT = "%Y-%m-%d %H:%M"


class RecurringEventConfig(msgspec.Struct, frozen=True):
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


class EventsConfig(msgspec.Struct, frozen=True):
    horizon_days: int
    default_duration_minutes: int


def read_events(root: Section) -> EventsConfig:
    section = root.section("events", ("horizon_days", "default_duration_minutes"))
    return EventsConfig(
        horizon_days=section.integer("horizon_days", 1, MAX_HORIZON_DAYS, default=180),
        default_duration_minutes=section.integer(
            "default_duration_minutes", 1, MAX_DURATION_MINUTES, default=60
        ),
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
    written = text(path, value, max_length=16)
    checked(
        path,
        lambda s: datetime.strptime(s, START_FORMAT),  # noqa: DTZ007 - a wall-clock time; the zone is its own key
        written,
        'expected a local "YYYY-MM-DD HH:MM" such as "2027-02-10 13:00"',
    )
    return written


def _link(path: str, value: Any) -> str:
    link = text(path, value, max_length=512)
    if not link.startswith(("https://", "http://")) or any(ch.isspace() for ch in link):
        raise ConfigError(path, f"expected a web address starting with https://, got {link!r}")
    return link


def read_calendar(
    root: Section, default_zone: str, default_duration: int
) -> tuple[RecurringEventConfig, ...]:
    events: list[RecurringEventConfig] = []
    seen: set[str] = set()
    for path, item in root.items("calendar"):
        section = Section(path, item, _EVENT_KEYS)
        key = slug(section.key("key"), section.raw("key"))
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
                title=localized(section.key("title"), section.raw("title"), max_length=100),
                description=localized(
                    section.key("description"), section.raw("description"), max_length=1000
                ),
                start=_start(section.key("start"), section.raw("start")),
                timezone=(
                    zone_name(section.key("timezone"), section.data["timezone"])
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
