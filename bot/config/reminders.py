"""The ``reminders`` block: the lead times a new event's reminders default to."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from bot.config._fields import ConfigError, Section, type_name
from bot.timeutil import DurationError, parse_lead_times


class RemindersConfig(msgspec.Struct, frozen=True):
    default_lead_times: tuple[timedelta, ...]


def read_reminders(root: Section) -> RemindersConfig:
    section = root.section("reminders", ("default_lead_times",))
    if not section.has("default_lead_times"):
        return RemindersConfig(default_lead_times=parse_lead_times("7d,1d,1h,15m"))
    path = section.key("default_lead_times")
    raw = section.data["default_lead_times"]
    if not isinstance(raw, str):
        raise ConfigError(path, f'expected text such as "7d,1d,1h,15m", got {type_name(raw)}')
    try:
        return RemindersConfig(default_lead_times=parse_lead_times(raw))
    except DurationError as exc:
        raise ConfigError(path, f'expected lead times such as "7d,1d,1h,15m": {exc}') from None
