"""Checks of what a member typed into /event create and /event edit, and of the occurrence it is about.

Each error says what is expected, with the events feature's own keys (``events.errors.*``) where
``bot.validation`` has generic ones. Everything is checked before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import msgspec

from bot import validation
from bot.config import MAX_DURATION_MINUTES, RECURRENCES
from bot.errors import Choices, NotFound, PermissionDenied, UserFacingError
from bot.i18n import LANGUAGES
from bot.limits import excerpt
from bot.repositories import events as repo
from bot.services.events.model import (
    MAX_DESCRIPTION_LENGTH,
    MAX_LINK_LENGTH,
    MAX_TITLE_LENGTH,
    EventChanges,
    Occurrence,
    Series,
)
from bot.services.events.recurrence import parse_local_start, to_utc, wall_time_problem
from bot.timeutil import DurationError, format_lead_times, get_zone, parse_lead_times

# Field names shown in validation errors (events.yml, events.fields.*).
F_TITLE = "events.fields.title"
F_DESCRIPTION = "events.fields.description"
F_LINK = "events.fields.link"
F_START = "events.fields.start"


async def series_of(conn: Any, series_id: int) -> Series:
    series = await repo.get_series(conn, series_id)
    if series is None:
        raise NotFound("events.errors.unknown_event")
    return series


async def usable(conn: Any, occurrence_id: int) -> Occurrence:
    return checked_usable(await repo.get_occurrence(conn, occurrence_id))


def checked_usable(occurrence: Occurrence | None) -> Occurrence:
    if occurrence is None:
        raise NotFound("events.errors.unknown_event")
    if occurrence.status != "scheduled":
        raise UserFacingError("events.errors.event_cancelled")
    return occurrence


def require_audience(occurrence: Occurrence, member_role_ids: Collection[int]) -> None:
    if occurrence.audience_role_id is not None and occurrence.audience_role_id not in member_role_ids:
        raise PermissionDenied(
            "events.errors.not_in_audience", role_id=occurrence.audience_role_id, title=occurrence.title
        )


def _reworded(
    error: UserFacingError, words: Mapping[str, tuple[str, Callable[[Mapping[str, Any]], dict[str, Any]]]]
) -> NoReturn:
    """Raise ``error`` from ``bot.validation`` in the events feature's own words where it has them
    (``validation.too_long`` -> ``events.errors.title_too_long``...), else as it is."""
    if error.key in words:
        key, params = words[error.key]
        raise UserFacingError(key, **params(error.params)) from error
    raise error


def checked_title(title: str) -> str:
    try:
        return validation.text(title, field=F_TITLE, max_length=MAX_TITLE_LENGTH)
    except UserFacingError as error:
        _reworded(
            error,
            {
                "validation.required": ("events.errors.title_empty", lambda p: {}),
                "validation.too_long": (
                    "events.errors.title_too_long",
                    lambda p: {"length": p["length"], "limit": MAX_TITLE_LENGTH},
                ),
            },
        )


def checked_description(description: str) -> str:
    try:
        return validation.text(
            description, field=F_DESCRIPTION, max_length=MAX_DESCRIPTION_LENGTH, min_length=0, multiline=True
        )
    except UserFacingError as error:
        _reworded(
            error,
            {
                "validation.too_long": (
                    "events.errors.description_too_long",
                    lambda p: {"length": p["length"], "limit": MAX_DESCRIPTION_LENGTH},
                )
            },
        )


def checked_link(link: str | None) -> str | None:
    """A valid absolute http(s) URI (``validation.web_url``), or None for none."""
    try:
        return validation.optional_web_url(link, field=F_LINK, max_length=MAX_LINK_LENGTH)
    except UserFacingError as error:
        _reworded(
            error, {"validation.bad_url": ("events.errors.bad_link", lambda p: {"limit": MAX_LINK_LENGTH})}
        )


def checked_language(language: str | None) -> str | None:
    if language is not None and language not in LANGUAGES:
        raise UserFacingError(
            "events.errors.bad_language", language=excerpt(language), choices=Choices("languages", LANGUAGES)
        )
    return language


def checked_recurrence(recurrence: str) -> str:
    if recurrence not in RECURRENCES:
        raise UserFacingError(
            "events.errors.bad_recurrence",
            recurrence=excerpt(recurrence),
            choices=Choices("events_ui.recurrence", RECURRENCES),
        )
    return recurrence


def checked_zone_name(name: str) -> str:
    """The canonical IANA name (``validation.zone_name``: any case, only real IANA zones)."""
    try:
        return validation.zone_name(name)
    except UserFacingError as error:
        _reworded(
            error,
            {
                "validation.unknown_timezone": (
                    "events.errors.unknown_timezone",
                    lambda p: {"timezone": excerpt(name.strip())},
                )
            },
        )


class LocalStart(msgspec.Struct, frozen=True):
    """A typed start that parses: its text (stripped) and the naive local wall-clock time."""

    text: str
    local: datetime


class NewTime(msgspec.Struct, frozen=True):
    """A validated start: wall-clock ``local`` in ``zone_name`` and the same moment in UTC."""

    zone_name: str
    local: datetime
    starts_at: datetime


def checked_start_text(text: str) -> LocalStart:
    """ "YYYY-MM-DD HH:MM" that parses and lies in ``bot.validation``'s sane range (so adding a duration
    or a recurrence step can never overflow)."""
    cleaned = text.strip()
    try:
        local = parse_local_start(cleaned)
    except ValueError:
        raise UserFacingError("events.errors.bad_start", start=excerpt(cleaned)) from None
    # The naive local time read as UTC is within a day of the real moment: enough to refuse year 9999
    # before any arithmetic, with the shared "too far ahead" words.
    validation.moment(local.replace(tzinfo=UTC), field=F_START)
    return LocalStart(cleaned, local)


def checked_start(start: LocalStart, zone_name: str, now: datetime) -> NewTime:
    """A parsed local start in a checked zone: existing exactly once there, in the future, in range."""
    zone = get_zone(zone_name)
    problem = wall_time_problem(start.local, zone)
    shown = excerpt(start.text)
    if problem == "nonexistent":
        raise UserFacingError("events.errors.nonexistent_time", start=shown, timezone=zone_name)
    if problem == "ambiguous":
        raise UserFacingError("events.errors.ambiguous_time", start=shown, timezone=zone_name)
    starts_at = to_utc(start.local, zone)
    if starts_at <= now:
        raise UserFacingError("events.errors.start_in_past", start=shown, timezone=zone_name)
    validation.moment(starts_at, field=F_START)
    return NewTime(zone_name=zone_name, local=start.local, starts_at=starts_at)


class ValidChanges(msgspec.Struct, frozen=True):
    """An ``EventChanges`` after every check, ready to store. ``link=""`` / ``description=""`` clear;
    ``lead_times`` is the stored form ("1d,1h"; "" = no reminders)."""

    title: str | None
    description: str | None
    link: str | None
    start: LocalStart | None
    timezone: str | None
    duration_minutes: int | None
    lead_times: str | None
    channel_id: int | None
    language: str | None = None


def checked_changes(changes: EventChanges) -> ValidChanges:
    """Check every field of an edit once (the same checks as create), before anything is written."""
    return ValidChanges(
        title=None if changes.title is None else checked_title(changes.title),
        description=None if changes.description is None else checked_description(changes.description),
        link=None if changes.link is None else (checked_link(changes.link) or ""),
        start=None if changes.start is None else checked_start_text(changes.start),
        timezone=None if changes.timezone is None else checked_zone_name(changes.timezone),
        duration_minutes=None
        if changes.duration_minutes is None
        else checked_duration(changes.duration_minutes),
        lead_times=None
        if changes.lead_times is None
        else format_lead_times(checked_leads(changes.lead_times)),
        channel_id=None if changes.channel_id is None else checked_channel_id(changes.channel_id),
        language=None if changes.language is None else checked_language(changes.language),
    )


def checked_channel_id(channel_id: int) -> int:
    # The cog passes a channel Discord resolved (and checked the bot may post in), so anything else
    # is a programming error, not something the member could fix.
    if isinstance(channel_id, bool) or not isinstance(channel_id, int) or channel_id <= 0:
        raise ValueError(f"not a channel id: {channel_id!r}")
    return channel_id


def checked_duration(minutes: int) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise UserFacingError("events.errors.bad_duration", minutes=minutes, limit=MAX_DURATION_MINUTES)
    return minutes


def checked_leads(text: str) -> tuple[timedelta, ...]:
    try:
        return parse_lead_times(text)
    except DurationError:
        raise UserFacingError("events.errors.bad_lead_times", lead_times=excerpt(text)) from None
