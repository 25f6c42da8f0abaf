"""The period of /stats and the newsletter, as a moderator types it, in the server's time zone.

``30d`` (the last 30 days; ``30j`` in French, ``30d`` / ``30días`` in Spanish; weeks ``8w`` / ``8sem``,
months ``6m`` / ``6mois`` / ``6meses``, years ``1y`` / ``1a``), a quarter ``2026-Q3`` (``2026-T3``: trimestre
in French and Spanish), a month ``2026-09``, a year ``2026``, a range of months or days
``2026-09..2026-10`` / ``2026-09-01..2026-10-15`` (both ends included). A period that has not begun is
refused; one still running ends now.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import msgspec

from bot.errors import UserFacingError
from bot.limits import excerpt

DEFAULT: Final = "90d"
#: The longest period: ten years.
MAX_DAYS: Final = 3660
EXAMPLES: Final = "`30d`, `12w`, `6m`, `2026-Q3`, `2026-09`, `2026-09..2026-10`, `2026-09-01..2026-10-15`"

_UNITS: Final[dict[str, str]] = {
    **dict.fromkeys(("d", "day", "days", "j", "jour", "jours", "dia", "dias", "día", "días"), "days"),
    **dict.fromkeys(("w", "week", "weeks", "sem", "semaine", "semaines", "semana", "semanas"), "weeks"),
    **dict.fromkeys(("m", "month", "months", "mois", "mes", "meses"), "months"),
    **dict.fromkeys(("y", "year", "years", "a", "an", "ans", "año", "años", "ano", "anos"), "years"),
}
_RELATIVE = re.compile(r"(\d{1,4})\s*([^\W\d_]+)")
_QUARTER = re.compile(r"(\d{4})-?[QT]([1-4])", re.IGNORECASE)
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_YEAR = re.compile(r"(\d{4})")


class Period(msgspec.Struct, frozen=True):
    """[start, end) in UTC; ``first_day`` and ``last_day`` are the local dates it covers."""

    text: str
    start: datetime
    end: datetime
    first_day: date
    last_day: date

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _next_month(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1)


def _bound(text: str, *, upper: bool) -> date | None:
    """A range end: a day, or a month (its first day; the day after its last as an upper bound)."""
    if (found := _DAY.fullmatch(text)) is not None:
        day = date(int(found[1]), int(found[2]), int(found[3]))
        return day + timedelta(days=1) if upper else day
    if (found := _MONTH.fullmatch(text)) is not None:
        year, month = int(found[1]), int(found[2])
        if not 1 <= month <= 12:
            raise ValueError(text)
        return _next_month(year, month) if upper else date(year, month, 1)
    return None


def parse_period(text: str | None, now: datetime, zone: ZoneInfo) -> Period:
    """Raises ``stats.errors.bad_period`` (with examples) or ``stats.errors.future_period``."""
    raw = (text or "").strip() or DEFAULT
    cleaned = raw.casefold().replace(" ", "")
    local_now = now.astimezone(zone)
    today = local_now.date()
    first: date | None = None
    after: date | None = None  # the day after the last one
    relative_start: datetime | None = None
    try:
        if (found := _RELATIVE.fullmatch(cleaned)) is not None and found[2] in _UNITS:
            count, unit = int(found[1]), _UNITS[found[2]]
            if count < 1:
                raise ValueError(raw)
            if unit == "days":
                relative_start = now - timedelta(days=count)
            elif unit == "weeks":
                relative_start = now - timedelta(weeks=count)
            else:
                back = _months_back(today, count * (12 if unit == "years" else 1))
                relative_start = datetime.combine(back, local_now.time(), zone)
        elif (found := _QUARTER.fullmatch(cleaned)) is not None:
            year, quarter = int(found[1]), int(found[2])
            first = date(year, 3 * quarter - 2, 1)
            after = _next_month(year, 3 * quarter)
        elif ".." in cleaned:
            left, _, right = cleaned.partition("..")
            first, after = _bound(left, upper=False), _bound(right, upper=True)
            if first is None or after is None or after <= first:
                raise ValueError(raw)
        elif (first := _bound(cleaned, upper=False)) is not None:
            after = _bound(cleaned, upper=True)
        elif (found := _YEAR.fullmatch(cleaned)) is not None:
            first, after = date(int(found[1]), 1, 1), date(int(found[1]) + 1, 1, 1)
        else:
            raise ValueError(raw)
    except (ValueError, OverflowError):
        raise UserFacingError("stats.errors.bad_period", period=excerpt(raw, 40), examples=EXAMPLES) from None
    if relative_start is not None:
        start, end = relative_start, now
    else:
        assert first is not None and after is not None
        start = datetime.combine(first, time(0), zone)
        end = min(datetime.combine(after, time(0), zone), now)
    if start >= now:
        raise UserFacingError("stats.errors.future_period", period=excerpt(raw, 40), examples=EXAMPLES)
    if (end - start) > timedelta(days=MAX_DAYS) or start.year < 2000:
        raise UserFacingError("stats.errors.bad_period", period=excerpt(raw, 40), examples=EXAMPLES)
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return Period(raw, start.astimezone(now.tzinfo), end, start.astimezone(zone).date(), last)
