"""Parsing of durations and local times shared by config and features. No Discord here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_LEAD_PART = re.compile(r"^\s*(\d{1,4})\s*([a-z]{1,3})\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# The letters members type, in every language at once (none means two things): English d, w, m, h;
# French j (jours), sem (semaines), min; Spanish d (días), sem (semanas), min. "s" is seconds, for
# tests; French and Spanish weeks are "sem", never "s".
LEAD_UNIT_ALIASES: dict[str, str] = {
    "s": "s",
    "m": "m",
    "min": "m",
    "h": "h",
    "d": "d",
    "j": "d",
    "w": "w",
    "sem": "w",
}
# How each language writes the units back (help texts, lead times shown to a member).
LEAD_UNITS: dict[str, dict[str, str]] = {
    "en": {"w": "w", "d": "d", "h": "h", "m": "m", "s": "s"},
    "fr": {"w": "sem", "d": "j", "h": "h", "m": "min", "s": "s"},
    "es": {"w": "sem", "d": "d", "h": "h", "m": "min", "s": "s"},
}
MAX_LEAD_TIME = timedelta(days=60)
MAX_LEAD_TIMES = 10


class DurationError(ValueError):
    """A duration list could not be parsed; the message says what is expected."""


def parse_lead_times(text: str) -> tuple[timedelta, ...]:
    """Parse "7d,1d,1h,15m" into distinct durations, longest first.

    Units (any case, in any of the three languages): ``m``/``min`` minutes, ``h`` hours, ``d``/``j``
    days, ``w``/``sem`` weeks, ``s`` seconds; "7j,1sem,30min" is French for "7d,1w,30m". An empty
    string means no reminders.
    """
    if not text.strip():
        return ()
    leads: set[timedelta] = set()
    for part in text.split(","):
        match = _LEAD_PART.match(part)
        if match is None:
            raise DurationError(f"{part.strip()!r} is not a lead time like 7d, 1h or 15m")
        amount, unit = int(match.group(1)), LEAD_UNIT_ALIASES.get(match.group(2).lower())
        if unit is None:
            raise DurationError(f"{part.strip()!r} is not a lead time like 7d, 1h or 15m")
        lead = timedelta(seconds=amount * _UNIT_SECONDS[unit])
        if lead <= timedelta(0) or lead > MAX_LEAD_TIME:
            raise DurationError(f"{part.strip()!r} must be between 1s and 60d")
        leads.add(lead)
    if len(leads) > MAX_LEAD_TIMES:
        raise DurationError(f"at most {MAX_LEAD_TIMES} lead times")
    return tuple(sorted(leads, reverse=True))


def format_lead_time(lead: timedelta, lang: str = "en") -> str:
    """The inverse of one ``parse_lead_times`` item, largest exact unit: 86400s -> "1d" ("1j" in
    French). The English form (the default) is what the database stores."""
    units = LEAD_UNITS.get(lang, LEAD_UNITS["en"])
    seconds = int(lead.total_seconds())
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds % size == 0:
            return f"{seconds // size}{units[unit]}"
    return f"{seconds}{units['s']}"


def format_lead_times(leads: tuple[timedelta, ...], lang: str = "en") -> str:
    return ",".join(format_lead_time(lead, lang) for lead in leads)


def get_zone(name: str) -> ZoneInfo:
    """A ZoneInfo for an IANA name; ValueError for anything else (including "" and paths)."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(f"{name!r} is not an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone") from exc


_ZONES: list[str] | None = None


def all_zone_names() -> list[str]:
    """Every IANA zone name, sorted (cached: building the set reads the tz database)."""
    global _ZONES
    if _ZONES is None:
        _ZONES = sorted(available_timezones() - {"localtime", "Factory"})
    return _ZONES


def utc_iso(when: datetime) -> str:
    """The storage form of a moment: ISO 8601 in UTC. Refuses naive datetimes."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.astimezone(UTC).isoformat()


def from_iso(text: str) -> datetime:
    """Read back what ``utc_iso`` wrote."""
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"stored time {text!r} has no offset")
    return when.astimezone(UTC)
