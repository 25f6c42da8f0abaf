"""Recurrence rules of event series, expanded in the series' local time zone.

A series is anchored at a local wall-clock time ("2027-01-13 13:00" in Europe/Paris). Its rule is
expanded on that naive local time and each result is then placed in the zone, so the call stays at
13:00 Paris time across daylight-saving changes while its UTC time moves by an hour. This is also
what iCalendar clients do with ``DTSTART;TZID=...`` plus ``RRULE``, so our stored occurrences and a
client's expansion of the exported .ics agree.

Month ends: a monthly (or every-two-months) series anchored on the 29th, 30th or 31st takes place
on that day, or on the last day of shorter months; it never silently skips a month. A yearly series
on 29 February takes place on 28 February in common years. Both are expressed in plain RFC 5545 as
``BYMONTHDAY=28,29,30,31;BYSETPOS=-1`` ("the last of these days that exists in the month").

Local times that do not exist or exist twice: the first occurrence is refused by the service when
typed (see :func:`wall_time_problem`); later occurrences that happen to fall into a change are read
as RFC 5545 section 3.3.5 says: a time in a spring-forward gap uses the offset before the gap, an
ambiguous time means its first instance (zoneinfo ``fold=0`` does exactly both).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from bot.config import RECURRENCES  # defined once, next to the config check that uses it too

LOCAL_START_FORMAT = "%Y-%m-%d %H:%M"


WallTimeProblem = Literal["nonexistent", "ambiguous"]


def rrule_text(recurrence: str, anchor: datetime) -> str | None:
    """The RFC 5545 RRULE value for ``recurrence`` anchored at local ``anchor``; None for one-offs.

    >>> rrule_text("every_2_months", datetime(2027, 1, 31, 13, 0))
    'FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=28,29,30,31;BYSETPOS=-1'
    """
    if recurrence == "none":
        return None
    if recurrence == "weekly":
        return "FREQ=WEEKLY"
    if recurrence in ("monthly", "every_2_months"):
        interval = ";INTERVAL=2" if recurrence == "every_2_months" else ""
        return f"FREQ=MONTHLY{interval};{_month_day(anchor.day)}"
    if recurrence == "yearly":
        if anchor.month == 2 and anchor.day == 29:
            return f"FREQ=YEARLY;BYMONTH=2;{_month_day(29)}"
        return "FREQ=YEARLY"
    raise ValueError(f"unknown recurrence {recurrence!r}; expected one of {', '.join(RECURRENCES)}")


def _month_day(day: int) -> str:
    if day <= 28:
        return f"BYMONTHDAY={day}"
    # "The latest of 28..day that the month has": the anchor day, clamped to the month's last day.
    return f"BYMONTHDAY={','.join(str(d) for d in range(28, day + 1))};BYSETPOS=-1"


def rule_for(recurrence: str, anchor: datetime) -> rrule | None:
    """A dateutil rule over naive local datetimes, built from the same RRULE text as the .ics."""
    text = rrule_text(recurrence, anchor)
    if text is None:
        return None
    built = rrulestr(text, dtstart=anchor.replace(tzinfo=None))
    assert isinstance(built, rrule)
    return built


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall-clock time in ``zone`` as an aware UTC datetime (RFC 5545 gap/overlap rules)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def wall_time_problem(local: datetime, zone: ZoneInfo) -> WallTimeProblem | None:
    """Whether a naive local time is skipped ("nonexistent") or repeated ("ambiguous") in ``zone``.

    Nonexistent: the time does not survive a round trip through UTC. Ambiguous: fold=0 and fold=1
    give different offsets.
    """
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return "nonexistent"
    if first.utcoffset() != second.utcoffset():
        return "ambiguous"
    return None


def occurrence_starts(
    recurrence: str,
    anchor: datetime,
    zone: ZoneInfo,
    *,
    until: datetime,
    after: datetime | None = None,
) -> list[datetime]:
    """UTC starts of the series anchored at naive local ``anchor``, from ``after`` (inclusive; default
    the anchor) up to ``until`` (inclusive), in order. A one-off yields its single start if in range."""
    if until.tzinfo is None or (after is not None and after.tzinfo is None):
        raise ValueError("occurrence_starts needs aware bounds")
    anchor = anchor.replace(tzinfo=None)
    rule = rule_for(recurrence, anchor)
    candidates: list[datetime]
    if rule is None:
        candidates = [anchor]
    else:
        # Bounds in local time, widened by a day to cover any UTC offset; exact filtering follows.
        low = anchor if after is None else max(anchor, _local(after, zone) - timedelta(days=1))
        high = _local(until, zone) + timedelta(days=1)
        candidates = list(rule.between(low, high, inc=True))
    starts = [to_utc(local, zone) for local in candidates]
    return [start for start in starts if (after is None or start >= after) and start <= until]


def first_start_not_before(
    recurrence: str, anchor: datetime, zone: ZoneInfo, moment: datetime
) -> datetime | None:
    """The first UTC start at or after ``moment`` (None for a one-off already past)."""
    rule = rule_for(recurrence, anchor)
    if rule is None:
        start = to_utc(anchor, zone)
        return start if start >= moment else None
    local = max(anchor.replace(tzinfo=None), _local(moment, zone) - timedelta(days=1))
    for candidate in rule.xafter(local, inc=True):
        start = to_utc(candidate, zone)
        if start >= moment:
            return start
    return None


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def parse_local_start(text: str) -> datetime:
    """ "YYYY-MM-DD HH:MM" as a naive local datetime; ValueError otherwise."""
    return datetime.strptime(text.strip(), LOCAL_START_FORMAT)  # noqa: DTZ007 - local wall time, zone applied by caller


def format_local_start(local: datetime) -> str:
    return local.strftime(LOCAL_START_FORMAT)
