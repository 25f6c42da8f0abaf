"""Checks of what a member typed into /poll create, /poll election and a ballot, before anything is
written. Lengths in ``bot.validation``'s terms (code points, no NUL), matching the CHECKs of
``bot/migrations/0013_consultations.sql``; errors are ``consultations.errors.*``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot import validation
from bot.countries import fold
from bot.errors import Choices, UserFacingError
from bot.i18n import LANGUAGES
from bot.limits import excerpt
from bot.services.consultations.model import (
    KINDS,
    MAX_BALLOTS_QUORUM,
    MAX_COMMENT_LENGTH,
    MAX_NOMINATIONS,
    MAX_OPEN,
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    MAX_QUESTION_LENGTH,
    MAX_SEATS,
    MIN_OPEN,
    MIN_OPTIONS,
    RESULTS,
    VOTERS,
    Poll,
)
from bot.timeutil import LEAD_UNIT_ALIASES, get_zone

F_QUESTION = "consultations.fields.question"
F_OPTION = "consultations.fields.option"
F_COMMENT = "consultations.fields.comment"
F_CLOSES = "consultations.fields.closes"

_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
# Members' own letters (bot.timeutil: d/j days, w/sem weeks, h hours, m/min minutes), in any
# combination: "3d", "12h", "2j 6h", "1sem", "90min". Seconds are not a deadline.
_DURATION_PART = re.compile(r"(\d{1,4})\s*([a-z]{1,3})", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(?:\d{1,4}\s*[a-z]{1,3}\s*)+$", re.IGNORECASE)
_LOCAL = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})\s*$")


def question(value: str) -> str:
    try:
        return validation.text(value, field=F_QUESTION, max_length=MAX_QUESTION_LENGTH)
    except UserFacingError as error:
        if error.key == "validation.required":
            raise UserFacingError("consultations.errors.question_empty") from error
        if error.key == "validation.too_long":
            raise UserFacingError(
                "consultations.errors.question_too_long",
                length=error.params["length"],
                limit=MAX_QUESTION_LENGTH,
            ) from error
        raise


def options(value: str) -> tuple[tuple[str, str], ...]:
    """2 to 20 options separated by ``;`` or one per line, each 1-80 characters, no two alike
    ignoring case and accents: ((label, folded key), ...)."""
    parts = [part.strip() for part in re.split(r"[;\n\r]+", value or "")]
    parts = [part for part in parts if part]
    if len(parts) < MIN_OPTIONS:
        raise UserFacingError("consultations.errors.too_few_options", count=len(parts), minimum=MIN_OPTIONS)
    if len(parts) > MAX_OPTIONS:
        raise UserFacingError("consultations.errors.too_many_options", count=len(parts), limit=MAX_OPTIONS)
    seen: dict[str, str] = {}
    cleaned: list[tuple[str, str]] = []
    for part in parts:
        try:
            label = validation.text(part, field=F_OPTION, max_length=MAX_OPTION_LENGTH)
        except UserFacingError as error:
            if error.key == "validation.too_long":
                raise UserFacingError(
                    "consultations.errors.option_too_long",
                    option=excerpt(part),
                    length=error.params["length"],
                    limit=MAX_OPTION_LENGTH,
                ) from error
            raise
        key = fold(label)
        if key in seen:
            raise UserFacingError(
                "consultations.errors.duplicate_option", option=excerpt(label), first=excerpt(seen[key])
            )
        seen[key] = label
        cleaned.append((label, key))
    return tuple(cleaned)


def choice_of(value: str, allowed: tuple[str, ...], key: str, prefix: str) -> str:
    if value not in allowed:
        raise UserFacingError(key, value=excerpt(value), choices=Choices(prefix, allowed))
    return value


def kind(value: str) -> str:
    return choice_of(value, KINDS, "consultations.errors.bad_kind", "consultations.kinds")


def voters(value: str) -> str:
    return choice_of(value, VOTERS, "consultations.errors.bad_voters", "consultations.voters")


def results(value: str) -> str:
    return choice_of(value, RESULTS, "consultations.errors.bad_results", "consultations.results")


def language(value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise UserFacingError(
            "consultations.errors.bad_language", value=excerpt(value), choices=Choices("languages", LANGUAGES)
        )
    return value


def max_choices(value: int | None, kind_: str, option_count: int) -> int | None:
    """Multiple choice only: 1 to the number of options (None: as many as there are)."""
    if value is None or kind_ != "multiple":
        return None
    if isinstance(value, bool) or not 1 <= value <= option_count:
        raise UserFacingError("consultations.errors.bad_max_choices", value=value, limit=option_count)
    return value


def quorum(value: str | None, voters_: str) -> tuple[str | None, int | None]:
    """ "12" (ballots, 1 to 100,000) or "40%" (of the registered organisations, 1 to 100, organisation
    mode only); blank: none."""
    text = (value or "").strip()
    if not text:
        return None, None
    percent = text.endswith("%")
    digits = text[:-1].strip() if percent else text
    if not digits.isdigit() or len(digits) > 6:
        raise UserFacingError("consultations.errors.bad_quorum", value=excerpt(text))
    number = int(digits)
    if percent:
        if voters_ != "organisations":
            raise UserFacingError("consultations.errors.percent_quorum_members")
        if not 1 <= number <= 100:
            raise UserFacingError(
                "consultations.errors.quorum_out_of_range", value=excerpt(text), limit="100%"
            )
        return "percent", number
    if not 1 <= number <= MAX_BALLOTS_QUORUM:
        raise UserFacingError(
            "consultations.errors.quorum_out_of_range", value=excerpt(text), limit=f"{MAX_BALLOTS_QUORUM:,}"
        )
    return "ballots", number


def deadline(value: str, zone_name: str, now: datetime, *, after: datetime | None = None) -> datetime:
    """A duration ("3d", "12h", "2j 6h", "1sem") counted from ``after`` (default ``now``), or a local
    "YYYY-MM-DD HH:MM" in ``zone_name``: after ``now`` by at least a minute, at most a year ahead."""
    start = after or now
    text = (value or "").strip()
    if not text:
        raise UserFacingError("consultations.errors.closes_required")
    match = _LOCAL.match(text)
    if match is not None:
        moment = _local_moment(text, f"{match.group(1)} {match.group(2)}", zone_name)
    elif _DURATION.match(text):
        seconds = 0
        for amount, unit in _DURATION_PART.findall(text):
            alias = LEAD_UNIT_ALIASES.get(unit.lower())
            if alias not in _UNIT_SECONDS:
                raise UserFacingError("consultations.errors.bad_closes", closes=excerpt(text))
            seconds += int(amount) * _UNIT_SECONDS[alias]
        if seconds > MAX_OPEN.total_seconds() * 2:
            raise UserFacingError("consultations.errors.closes_too_far", days=MAX_OPEN.days)
        moment = start + timedelta(seconds=seconds)
    else:
        raise UserFacingError("consultations.errors.bad_closes", closes=excerpt(text))
    if moment < start + MIN_OPEN:
        raise UserFacingError("consultations.errors.closes_in_past", closes=excerpt(text))
    if moment > now + MAX_OPEN:
        raise UserFacingError("consultations.errors.closes_too_far", days=MAX_OPEN.days)
    return moment


def _local_moment(text: str, local_text: str, zone_name: str) -> datetime:
    try:
        local = datetime.strptime(local_text, "%Y-%m-%d %H:%M")  # noqa: DTZ007  # made aware just below
    except ValueError:
        raise UserFacingError("consultations.errors.bad_closes", closes=excerpt(text)) from None
    zone = get_zone(validation.zone_name(zone_name))
    aware = local.replace(tzinfo=zone)
    # A wall time a clock change skips does not survive the round trip through UTC.
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise UserFacingError("consultations.errors.bad_closes", closes=excerpt(text))
    return aware.astimezone(UTC)


def comment(value: str | None, poll: Poll) -> str | None:
    """None: no comment (or keep the one recorded); a poll without comments refuses one."""
    if value is None:
        return None
    if not poll.comments and value.strip():
        raise UserFacingError("consultations.errors.comments_off")
    try:
        return validation.optional_text(value, field=F_COMMENT, max_length=MAX_COMMENT_LENGTH, multiline=True)
    except UserFacingError as error:
        if error.key == "validation.too_long":
            raise UserFacingError(
                "consultations.errors.comment_too_long",
                length=error.params["length"],
                limit=MAX_COMMENT_LENGTH,
            ) from error
        raise


def choices(poll: Poll, chosen: Sequence[int]) -> tuple[int, ...]:
    """Option positions of a ballot: known, no repeats; single: exactly one; multiple: at least one and
    at most ``max_choices``; ranked: at least one, in preference order."""
    known = {option.position for option in poll.options}
    picked = tuple(chosen)
    if not picked:
        raise UserFacingError("consultations.errors.no_choice")
    if any(p not in known for p in picked) or len(set(picked)) != len(picked):
        raise UserFacingError("consultations.errors.bad_choice")
    if poll.kind == "single" and len(picked) != 1:
        raise UserFacingError("consultations.errors.single_choice")
    if poll.kind == "multiple" and poll.max_choices is not None and len(picked) > poll.max_choices:
        raise UserFacingError(
            "consultations.errors.too_many_choices", count=len(picked), limit=poll.max_choices
        )
    return picked


def seats(value: int) -> int:
    if isinstance(value, bool) or not 1 <= value <= MAX_SEATS:
        raise UserFacingError("consultations.errors.bad_seats", value=value, limit=MAX_SEATS)
    return value


def max_nominations(value: int) -> int:
    if isinstance(value, bool) or not 1 <= value <= MAX_NOMINATIONS:
        raise UserFacingError("consultations.errors.bad_max_nominations", value=value, limit=MAX_NOMINATIONS)
    return value


__all__ = [
    "F_CLOSES",
    "F_COMMENT",
    "F_OPTION",
    "F_QUESTION",
    "choices",
    "comment",
    "deadline",
    "kind",
    "language",
    "max_choices",
    "max_nominations",
    "options",
    "question",
    "quorum",
    "results",
    "seats",
    "voters",
]
