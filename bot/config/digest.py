"""The ``digest`` block: the weekday, time and zone of the weekly digest."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import msgspec

from bot.config._fields import ConfigError, Section, clock_time, zone_name
from bot.timeutil import get_zone

DAY_NAMES: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DigestConfig(msgspec.Struct, frozen=True):
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


def read_digest(root: Section, default_zone: str) -> DigestConfig:
    section = root.section("digest", ("day", "time", "timezone"))
    day_name = section.text("day", "monday", max_length=9).lower()
    if day_name not in DAY_NAMES:
        raise ConfigError(
            section.key("day"), f"expected a day name ({', '.join(DAY_NAMES)}), got {day_name!r}"
        )
    at = clock_time(section.key("time"), section.data["time"]) if section.has("time") else time(9, 0)
    zone = (
        zone_name(section.key("timezone"), section.data["timezone"])
        if section.has("timezone")
        else default_zone
    )
    return DigestConfig(day=DAY_NAMES.index(day_name), time=at, timezone=zone)
