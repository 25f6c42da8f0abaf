"""Checks on what members type, shared by every feature and run before any write.

Each check returns the cleaned value or raises ``UserFacingError`` with a ``validation.*`` key, so
every feature refuses the same bad input with the same words. Lengths are counted the way the
database's ``CHECK (length(x) ...)`` constraints count them (code points); text with a NUL is refused
here, because SQLite's ``length()`` stops at the first NUL and would let it past the constraint.

``field`` is the catalog key of the field's name ("events.fields.title"), wrapped in ``Term`` so the
error handler shows it in the member's language.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.errors import Term, UserFacingError
from bot.limits import excerpt
from bot.timeutil import all_zone_names, get_zone

#: The latest moment any feature accepts: far enough for a yearly calendar, early enough that adding a
#: duration or a recurrence step can never overflow ``datetime``.
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
MAX_URL_LENGTH: Final = 512
MAX_ZONE_LENGTH: Final = 64

# Characters RFC 3986 allows in a URI (unreserved, reserved and the percent sign).
_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _bad_characters(value: str, *, multiline: bool) -> bool:
    """Control characters (NUL, escapes...), lone surrogates and unassigned code points.

    Tabs and line breaks are allowed in multi-line text; format characters (zero-width joiners,
    right-to-left marks) are legitimate in many scripts and emoji, so they stay.
    """
    allowed = {"\n", "\t"} if multiline else set()
    for ch in value:
        if ch in allowed:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Cn", "Co") or ch in ("\u2028", "\u2029"):
            return True
    return False


def text(
    value: str | None,
    *,
    field: str,
    max_length: int,
    min_length: int = 1,
    multiline: bool = False,
) -> str:
    """Stripped text of ``min_length`` to ``max_length`` characters.

    ``min_length=0`` accepts empty text (returned as ""). Line breaks only where ``multiline``.
    Errors: ``validation.required``, ``validation.too_long``, ``validation.too_short``,
    ``validation.bad_characters``.
    """
    cleaned = (value or "").strip()
    if multiline:
        cleaned = cleaned.replace("\r\n", "\n").replace("\r", "\n")
    if _bad_characters(cleaned, multiline=multiline):
        raise UserFacingError("validation.bad_characters", field=Term(field))
    if not cleaned and min_length > 0:
        raise UserFacingError("validation.required", field=Term(field))
    if len(cleaned) > max_length:
        raise UserFacingError("validation.too_long", field=Term(field), length=len(cleaned), limit=max_length)
    if len(cleaned) < min_length:
        raise UserFacingError("validation.too_short", field=Term(field), limit=min_length)
    return cleaned


def optional_text(value: str | None, *, field: str, max_length: int, multiline: bool = False) -> str | None:
    """Like ``text``, but blank means "none" (``None``)."""
    cleaned = text(value, field=field, max_length=max_length, min_length=0, multiline=multiline)
    return cleaned or None


def _valid_host(host: str) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(labels) >= 2 and all(_HOST_LABEL.match(label) for label in labels)


def web_url(value: str | None, *, field: str, max_length: int = MAX_URL_LENGTH) -> str:
    """An absolute http(s) address that is a valid URI (RFC 3986): a host with a dot, no spaces, no
    ``<>"{}|\\^`` characters, percent signs only as escapes. Other schemes (javascript:, file:) are
    refused. Error: ``validation.bad_url`` (or ``validation.required`` when blank)."""
    cleaned = (value or "").strip()
    if not cleaned:
        raise UserFacingError("validation.required", field=Term(field))
    problem = len(cleaned) > max_length or not _URI_CHARS.match(cleaned) or bool(_PERCENT.search(cleaned))
    if not problem:
        try:
            parts = urlsplit(cleaned)
            host = parts.hostname or ""
            _ = parts.port  # raises ValueError for a port that is not a number
        except ValueError:
            problem = True
        else:
            problem = (
                parts.scheme.lower() not in ("http", "https")
                or parts.username is not None
                or not _valid_host(host)
            )
    if problem:
        raise UserFacingError("validation.bad_url", field=Term(field), limit=max_length)
    return cleaned


def optional_web_url(value: str | None, *, field: str, max_length: int = MAX_URL_LENGTH) -> str | None:
    """Like ``web_url``, but blank means "no link" (``None``)."""
    if value is None or not value.strip():
        return None
    return web_url(value, field=field, max_length=max_length)


def zone(value: str | None) -> ZoneInfo:
    """An IANA time zone ("Europe/Paris", any case). Only real IANA names: ``ZoneInfo`` alone would
    also accept "localtime", the server's own zone. Errors: ``validation.timezone_required``,
    ``validation.unknown_timezone`` (quoting a short excerpt of the input)."""
    return get_zone(zone_name(value))


def zone_name(value: str | None) -> str:
    """The canonical spelling of an IANA zone name typed in any case ("europe/paris" -> "Europe/Paris")."""
    cleaned = (value or "").strip()
    if not cleaned:
        raise UserFacingError("validation.timezone_required")
    if len(cleaned) <= MAX_ZONE_LENGTH:
        canonical = _zones_by_folded_name().get(cleaned.casefold())
        if canonical is not None:
            return canonical
    raise UserFacingError("validation.unknown_timezone", timezone=excerpt(cleaned))


_FOLDED_ZONES: dict[str, str] | None = None


def warm_up() -> None:
    """Build the zone-name table now (it reads the whole tz database), e.g. on a thread
    at start-up, so the first check of a zone does not pause the event loop for it."""
    _zones_by_folded_name()


def _zones_by_folded_name() -> dict[str, str]:
    global _FOLDED_ZONES
    if _FOLDED_ZONES is None:
        _FOLDED_ZONES = {name.casefold(): name for name in all_zone_names()}
    return _FOLDED_ZONES


def moment(
    value: datetime, *, field: str, now: datetime | None = None, ahead: timedelta | None = None
) -> datetime:
    """A moment between ``EARLIEST`` and ``LATEST`` (and after ``now`` when given; at most ``ahead``
    after it when given). Errors: ``validation.in_past``, ``validation.too_far``."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    latest = LATEST if ahead is None or now is None else min(LATEST, now + ahead)
    if now is not None and value <= now:
        raise UserFacingError("validation.in_past", field=Term(field))
    if not EARLIEST <= value < latest:
        raise UserFacingError("validation.too_far", field=Term(field), latest=latest.date().isoformat())
    return value


def calendar_date(value: str | None, *, field: str, today: date | None = None) -> date:
    """A ``YYYY-MM-DD`` date in the sane range (on or after ``today`` when given).

    Errors: ``validation.required``, ``validation.bad_date``, ``validation.in_past``, ``validation.too_far``.
    """
    cleaned = (value or "").strip()
    if not cleaned:
        raise UserFacingError("validation.required", field=Term(field))
    try:
        parsed = date.fromisoformat(cleaned) if len(cleaned) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise UserFacingError("validation.bad_date", field=Term(field), value=excerpt(cleaned))
    if today is not None and parsed < today:
        raise UserFacingError("validation.in_past", field=Term(field))
    if not EARLIEST.date() <= parsed < LATEST.date():
        raise UserFacingError("validation.too_far", field=Term(field), latest=LATEST.date().isoformat())
    return parsed
