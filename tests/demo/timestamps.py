"""Discord timestamps (``<t:1700000000:F>``) as a member's Discord shows them: in their language and zone.

The Discord client formats a timestamp token with the viewer's locale and their device's time zone;
the bot only ever sends the token. Styles, as Discord documents them (en-US examples):

    t 4:20 PM | T 4:20:30 PM | d 04/20/2021 | D April 20, 2021 | f April 20, 2021 4:20 PM (default)
    F Tuesday, April 20, 2021 4:20 PM | R in 2 hours / 2 hours ago

Only the languages the bot speaks are covered (English US/UK, French, Spanish); others read as en-US.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

TOKEN = re.compile(r"<t:(-?\d{1,13})(?::([tTdDfFR]))?>")


@dataclass(frozen=True)
class _Language:
    months: tuple[str, ...]
    weekdays: tuple[str, ...]  # Monday first
    twelve_hour: bool
    long_date: str  # {day} {month} {year}
    full: str  # {weekday} {date} {time}
    short_date: str  # {dd} {mm} {yyyy}
    relative: dict[str, tuple[str, str]]  # unit -> (one, many with {n})
    future: str
    past: str


_EN_RELATIVE = {
    "s": ("a few seconds", "a few seconds"),
    "m": ("a minute", "{n} minutes"),
    "h": ("an hour", "{n} hours"),
    "d": ("a day", "{n} days"),
    "M": ("a month", "{n} months"),
    "y": ("a year", "{n} years"),
}
_EN_MONTHS = "January February March April May June July August September October November December".split()
_EN_DAYS = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())

LANGUAGES: dict[str, _Language] = {
    "en-US": _Language(
        tuple(_EN_MONTHS),
        _EN_DAYS,
        True,
        "{month} {day}, {year}",
        "{weekday}, {date} {time}",
        "{mm}/{dd}/{yyyy}",
        _EN_RELATIVE,
        "in {x}",
        "{x} ago",
    ),
    "en-GB": _Language(
        tuple(_EN_MONTHS),
        _EN_DAYS,
        False,
        "{day} {month} {year}",
        "{weekday}, {date} {time}",
        "{dd}/{mm}/{yyyy}",
        _EN_RELATIVE,
        "in {x}",
        "{x} ago",
    ),
    "fr": _Language(
        tuple("janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()),
        tuple("lundi mardi mercredi jeudi vendredi samedi dimanche".split()),
        False,
        "{day} {month} {year}",
        "{weekday} {date} {time}",
        "{dd}/{mm}/{yyyy}",
        {
            "s": ("quelques secondes", "quelques secondes"),
            "m": ("une minute", "{n} minutes"),
            "h": ("une heure", "{n} heures"),
            "d": ("un jour", "{n} jours"),
            "M": ("un mois", "{n} mois"),
            "y": ("un an", "{n} ans"),
        },
        "dans {x}",
        "il y a {x}",
    ),
    "es": _Language(
        tuple(
            "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
        ),
        tuple("lunes martes miércoles jueves viernes sábado domingo".split()),
        False,
        "{day} de {month} de {year}",
        "{weekday}, {date} {time}",
        "{dd}/{mm}/{yyyy}",
        {
            "s": ("unos segundos", "unos segundos"),
            "m": ("un minuto", "{n} minutos"),
            "h": ("una hora", "{n} horas"),
            "d": ("un día", "{n} días"),
            "M": ("un mes", "{n} meses"),
            "y": ("un año", "{n} años"),
        },
        "en {x}",
        "hace {x}",
    ),
}


def language_of(locale: str) -> _Language:
    """The formatting of a Discord locale ("en-US", "en-GB", "fr", "es-ES", "es-419"...)."""
    if locale in LANGUAGES:
        return LANGUAGES[locale]
    family = locale.split("-")[0]
    return LANGUAGES.get(family, LANGUAGES["en-US"])


def _time(lang: _Language, moment: datetime, *, seconds: bool) -> str:
    minute = f"{moment.minute:02d}" + (f":{moment.second:02d}" if seconds else "")
    if lang.twelve_hour:
        hour = moment.hour % 12 or 12
        return f"{hour}:{minute} {'AM' if moment.hour < 12 else 'PM'}"
    return f"{moment.hour:02d}:{minute}"


def _long_date(lang: _Language, moment: datetime) -> str:
    return lang.long_date.format(day=moment.day, month=lang.months[moment.month - 1], year=moment.year)


def _relative(lang: _Language, moment: datetime, now: datetime) -> str:
    """Discord's (moment.js') wording: "in an hour", "in 2 days", "3 minutes ago"."""
    seconds = (moment - now).total_seconds()
    span = abs(seconds)
    minutes, hours, days = span / 60, span / 3600, span / 86400
    if span < 45:
        unit, n = "s", 1
    elif span < 90:
        unit, n = "m", 1
    elif minutes < 45:
        unit, n = "m", round(minutes)
    elif minutes < 90:
        unit, n = "h", 1
    elif hours < 22:
        unit, n = "h", round(hours)
    elif hours < 36:
        unit, n = "d", 1
    elif days < 26:
        unit, n = "d", round(days)
    elif days < 45:
        unit, n = "M", 1
    elif days < 320:
        unit, n = "M", max(2, round(days / 30.4))
    elif days < 548:
        unit, n = "y", 1
    else:
        unit, n = "y", round(days / 365.25)
    one, many = lang.relative[unit]
    words = one if n == 1 else many.format(n=n)
    return (lang.future if seconds >= 0 else lang.past).format(x=words)


def format_timestamp(unix: int, style: str, *, locale: str, zone: str, now: datetime) -> str:
    """One token's text, as a viewer with Discord in ``locale`` on a device in ``zone`` sees it."""
    lang = language_of(locale)
    moment = datetime.fromtimestamp(unix, UTC).astimezone(ZoneInfo(zone))
    if style == "R":
        return _relative(lang, moment, now)
    if style == "t":
        return _time(lang, moment, seconds=False)
    if style == "T":
        return _time(lang, moment, seconds=True)
    if style == "d":
        return lang.short_date.format(dd=f"{moment.day:02d}", mm=f"{moment.month:02d}", yyyy=moment.year)
    if style == "D":
        return _long_date(lang, moment)
    if style == "F":
        return lang.full.format(
            weekday=lang.weekdays[moment.weekday()],
            date=_long_date(lang, moment),
            time=_time(lang, moment, seconds=False),
        )
    return f"{_long_date(lang, moment)} {_time(lang, moment, seconds=False)}"  # "f", the default


def tokens(text: str) -> list[tuple[int, str]]:
    """The (unix time, style) of every timestamp token in ``text``, in order."""
    return [(int(match.group(1)), match.group(2) or "f") for match in TOKEN.finditer(text)]


def render(text: str, *, locale: str, zone: str, now: datetime) -> str:
    """``text`` with every timestamp token replaced by what that viewer's Discord shows."""
    return TOKEN.sub(
        lambda match: format_timestamp(
            int(match.group(1)), match.group(2) or "f", locale=locale, zone=zone, now=now
        ),
        text,
    )
