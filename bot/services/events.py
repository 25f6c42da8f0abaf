"""Events: one-off and recurring Alliance events, RSVPs, check-ins, reminders and calendar export.

This is the reference feature: the cog in ``cogs/events/`` parses options, checks permissions,
calls this service and renders what it returns. Everything that decides something lives here:
validation, recurrence, which timers exist, whether a reminder may still be sent and to whom.

Model
-----
* A **series** holds what the organiser typed: title, description, link, the local wall-clock start
  ("2026-09-16 13:00" in "Europe/Paris"), duration, recurrence rule, channel, audience role and
  reminder lead times. A one-off event is a series with recurrence ``"none"``.
* An **occurrence** is one concrete meeting with UTC ``starts_at``/``ends_at``. RSVPs, check-ins,
  announcements and timers hang off occurrences. Recurring series are materialised
  ``config.events.horizon_days`` ahead; :meth:`EventService.extend_horizons` tops them up.
* Every delayed action is a timer row, written in the same transaction as the occurrence:
  ``event.reminder`` (payload ``occurrence_id``, ``lead_seconds``, ``starts_at``) for each lead time
  still in the future, ``event.start`` and ``event.end`` (payload ``occurrence_id``, ``starts_at``).
  Editing the time cancels and re-creates them; cancelling cancels them.

Timer handlers (registered by the cog, which owns Discord) ask this service what to do:
:meth:`EventService.reminder_delivery`, :meth:`EventService.start_plan`,
:meth:`EventService.end_plan`; after posting they record it with
:meth:`EventService.record_reminder_posted` / :meth:`EventService.record_dm` /
:meth:`EventService.set_announcement`, so a retried timer never posts twice.

Errors the user can fix are ``UserFacingError("events.errors.<key>", ...)``; every key is in
``bot/locales/<lang>/events.yml``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot.clock import Clock
from bot.config import Config, RecurringEventConfig
from bot.db import Database

if TYPE_CHECKING:
    from bot.services.timers import TimerService

# Timer kinds. The cog registers a handler for each; payloads are documented above.
EVENT_REMINDER = "event.reminder"
EVENT_START = "event.start"
EVENT_END = "event.end"
EVENT_HORIZON = "event.horizon"  # payload {}; handler calls extend_horizons()

RECURRENCES: tuple[str, ...] = ("none", "weekly", "monthly", "every_2_months", "yearly")
RSVP_STATUSES: tuple[str, ...] = ("going", "maybe", "declined")
MAX_TITLE_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 2000
MAX_LINK_LENGTH = 512
MAX_DURATION_MINUTES = 10080  # seven days
# Members may check in this long before the start (people join calls a little early).
CHECK_IN_EARLY = timedelta(minutes=10)
# How long after a start an "event.start" timer that fired late may still announce "starting now".
START_ANNOUNCE_GRACE = timedelta(minutes=30)

Scope = Literal["this", "series"]
RsvpStatus = Literal["going", "maybe", "declined"]
DmStatus = Literal["sent", "skipped_closed"]


@dataclass(frozen=True)
class EventDraft:
    """What a member typed in /event create, as plain values.

    ``start`` is local wall-clock "YYYY-MM-DD HH:MM" in ``timezone``. ``None`` means "use the default":
    timezone -> the organiser's saved zone, else ``config.timezone``; duration ->
    ``config.events.default_duration_minutes``; lead_times -> ``config.reminders.default_lead_times``
    (an empty string means no reminders). ``channel_id`` is where it is announced and reminded: the
    cog resolves the default channel. ``audience_role_id``: only members with that role may RSVP.
    """

    guild_id: int
    organiser_id: int
    title: str
    start: str
    channel_id: int
    timezone: str | None = None
    duration_minutes: int | None = None
    description: str = ""
    link: str | None = None
    recurrence: str = "none"
    lead_times: str | None = None
    audience_role_id: int | None = None


@dataclass(frozen=True)
class EventChanges:
    """An edit: ``None`` leaves a field as it is. ``description=""`` / ``link=""`` clear them.

    ``start`` is local "YYYY-MM-DD HH:MM" in ``timezone`` (or the event's zone when ``timezone`` is None).
    """

    title: str | None = None
    description: str | None = None
    link: str | None = None
    start: str | None = None
    timezone: str | None = None
    duration_minutes: int | None = None
    lead_times: str | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


@dataclass(frozen=True)
class RsvpCounts:
    going: int = 0
    maybe: int = 0
    declined: int = 0


@dataclass(frozen=True)
class Occurrence:
    """One concrete meeting, with the series' values merged with this occurrence's overrides.

    ``starts_at``/``ends_at`` are UTC; ``timezone`` is the zone the organiser planned in (for display
    and .ics). ``status`` is "scheduled" or "cancelled" (an occurrence of a cancelled series is
    "cancelled" too).
    """

    id: int
    series_id: int
    guild_id: int
    title: str
    description: str
    link: str | None
    timezone: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    recurrence: str
    channel_id: int
    audience_role_id: int | None
    organiser_id: int
    status: str
    lead_times: tuple[timedelta, ...]
    announcement_channel_id: int | None
    announcement_message_id: int | None
    discord_event_id: int | None
    counts: RsvpCounts = field(default_factory=RsvpCounts)
    original_start: datetime | None = None  # the rule's start before any per-occurrence move
    source_key: str | None = None  # calendar key for seeded series

    @property
    def is_recurring(self) -> bool:
        return self.recurrence != "none"


@dataclass(frozen=True)
class UpcomingPage:
    """A page of upcoming occurrences (with RSVP counts) and how many there are in total."""

    items: tuple[Occurrence, ...]
    total: int


@dataclass(frozen=True)
class EditResult:
    """The occurrences as they are after the edit, and who to tell (members going or maybe).

    ``time_changed`` says whether start or duration moved (worth a DM); the cog should also refresh
    each occurrence's announcement message.
    """

    occurrences: tuple[Occurrence, ...]
    notify_user_ids: tuple[int, ...]
    time_changed: bool


@dataclass(frozen=True)
class CancelResult:
    """The occurrences just cancelled (the cog updates their announcements) and who to tell."""

    occurrences: tuple[Occurrence, ...]
    notify_user_ids: tuple[int, ...]


@dataclass(frozen=True)
class Rsvp:
    user_id: int
    status: str
    updated_at: datetime


@dataclass(frozen=True)
class CheckIn:
    user_id: int
    checked_in_at: datetime


@dataclass(frozen=True)
class CheckInResult:
    occurrence: Occurrence
    check_in: CheckIn
    already: bool  # True when the member had already checked in (the first time is kept)


@dataclass(frozen=True)
class Attendees:
    rsvps: tuple[Rsvp, ...]  # latest choice per member, going first, then maybe, then declined
    check_ins: tuple[CheckIn, ...]  # in check-in order


@dataclass(frozen=True)
class ReminderPlan:
    """What an ``event.reminder`` timer must send now.

    ``post_to_channel`` is False when an earlier attempt already posted (``channel_message_id`` is
    then that post): only the DMs still missing remain. ``dm_user_ids`` are members who answered
    going/maybe, have DM reminders on, and have no DM logged for this reminder yet. ``late`` is True
    when the reminder is sent after its due time (e.g. the bot was down) but before the start.
    """

    occurrence: Occurrence
    lead: timedelta
    late: bool
    post_to_channel: bool
    channel_message_id: int | None
    dm_user_ids: tuple[int, ...]


@dataclass(frozen=True)
class StartPlan:
    """What an ``event.start`` timer must do: post "starting now" with a Check in button."""

    occurrence: Occurrence
    going_user_ids: tuple[int, ...]


@dataclass(frozen=True)
class EndPlan:
    """What an ``event.end`` timer must do: close check-in and update the announcement."""

    occurrence: Occurrence
    checked_in: int


@dataclass(frozen=True)
class SeedResult:
    """Outcome of seeding the configured calendar into one guild.

    ``created``: keys newly created; ``existing``: keys already there (restart); ``skipped``: key ->
    reason ("channel:<name>" or "role:<name>" missing from the guild), for the cog to log.
    """

    created: tuple[str, ...]
    existing: tuple[str, ...]
    skipped: dict[str, str]


class EventService:
    """Events logic. ``EventService(db, clock, timers, config)``; no Discord here."""

    def __init__(self, db: Database, clock: Clock, timers: TimerService, config: Config) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._config = config

    # --- creating and changing ------------------------------------------------------------------

    async def create_event(self, draft: EventDraft) -> Occurrence:
        """Validate and store a series with its occurrences up to the horizon, and their timers.

        Returns the first occurrence. One transaction: on any error nothing is written. Raises
        ``UserFacingError`` with keys ``events.errors.{title_empty, title_too_long,
        description_too_long, bad_link, unknown_timezone, bad_start, start_in_past,
        nonexistent_time, ambiguous_time, bad_duration, bad_lead_times, bad_recurrence}``.
        """
        raise NotImplementedError

    async def edit_event(
        self,
        occurrence_id: int,
        changes: EventChanges,
        scope: Scope,
        editor_id: int,
        *,
        editor_is_moderator: bool,
    ) -> EditResult:
        """Change one occurrence (``"this"``) or the series from this occurrence on (``"series"``).

        Only the organiser or a moderator may edit (``events.errors.not_organiser``). A changed start,
        duration or lead times cancels the affected occurrences' pending timers and schedules new
        ones. With scope "series" a new start re-anchors the series: this and every later occurrence
        move to the new local time and date pattern. Raises the same validation errors as
        ``create_event`` plus ``events.errors.{unknown_event, already_ended, nothing_to_change}``.
        """
        raise NotImplementedError

    async def cancel_event(
        self, occurrence_id: int, scope: Scope, editor_id: int, *, editor_is_moderator: bool
    ) -> CancelResult:
        """Cancel one occurrence or the series (this and all later occurrences; the series stops).

        Pending timers of cancelled occurrences are cancelled in the same transaction. Raises
        ``events.errors.{unknown_event, not_organiser, already_ended}``.
        """
        raise NotImplementedError

    # --- RSVPs and check-ins --------------------------------------------------------------------

    async def rsvp(
        self, occurrence_id: int, user_id: int, status: str, member_role_ids: Collection[int]
    ) -> RsvpCounts:
        """Record a member's answer (latest wins) and return the new counts.

        Raises ``events.errors.{unknown_event, already_ended, not_in_audience, bad_rsvp_status}``.
        """
        raise NotImplementedError

    async def counts(self, occurrence_id: int) -> RsvpCounts:
        raise NotImplementedError

    async def attendees(self, occurrence_id: int) -> Attendees:
        """RSVPs and check-ins of an occurrence (``events.errors.unknown_event`` if none)."""
        raise NotImplementedError

    async def check_in(
        self, occurrence_id: int, user_id: int, member_role_ids: Collection[int]
    ) -> CheckInResult:
        """Record attendance, allowed from ``CHECK_IN_EARLY`` before the start until the end.

        Raises ``events.errors.{unknown_event, check_in_not_open, check_in_closed, not_in_audience}``.
        """
        raise NotImplementedError

    # --- queries ----------------------------------------------------------------------------------

    async def get_occurrence(self, occurrence_id: int, *, include_cancelled: bool = False) -> Occurrence:
        """One occurrence with counts; ``NotFound("events.errors.unknown_event")`` when missing
        (or cancelled, unless ``include_cancelled``)."""
        raise NotImplementedError

    async def upcoming(
        self, guild_id: int, *, days: int = 60, limit: int = 10, offset: int = 0
    ) -> UpcomingPage:
        """Scheduled occurrences not yet ended and starting within ``days``, soonest first, with counts.

        One query for the page (counts included), one for the total.
        """
        raise NotImplementedError

    async def search(self, guild_id: int, text: str, *, limit: int = 25) -> list[Occurrence]:
        """Autocomplete: scheduled, not-ended occurrences whose title contains ``text`` (case-insensitive)
        or whose UTC date starts with it ("2026-06"); title-prefix matches first, then soonest."""
        raise NotImplementedError

    async def set_announcement(self, occurrence_id: int, channel_id: int, message_id: int) -> None:
        """Remember the message announcing an occurrence (the cog edits it on RSVP/edit/cancel)."""
        raise NotImplementedError

    async def set_discord_event_id(self, occurrence_id: int, discord_event_id: int | None) -> None:
        """Remember the Discord scheduled event mirroring an occurrence (None to forget it)."""
        raise NotImplementedError

    async def occurrences_for_calendar(
        self, guild_id: int, *, occurrence_id: int | None = None
    ) -> list[Occurrence]:
        """Occurrences that go into an .ics export: every stored occurrence (cancelled included) of the
        guild's series, or of the one series ``occurrence_id`` belongs to."""
        raise NotImplementedError

    async def ics_for(self, guild_id: int, occurrence_id: int | None = None) -> bytes:
        """An RFC 5545 calendar: the series of ``occurrence_id``, or every series of the guild."""
        raise NotImplementedError

    # --- timer decisions --------------------------------------------------------------------------

    async def reminder_delivery(self, payload: Mapping[str, Any], now: datetime) -> ReminderPlan | None:
        """Decide what an ``event.reminder`` timer sends, or None when it must send nothing:
        the occurrence is gone or cancelled, it moved (payload start or lead no longer match), it has
        already started, or everything was already delivered."""
        raise NotImplementedError

    async def record_reminder_posted(
        self, occurrence_id: int, lead_seconds: int, channel_message_id: int | None
    ) -> None:
        """Log that the channel reminder went out (idempotent: the first record wins)."""
        raise NotImplementedError

    async def record_dm(self, occurrence_id: int, lead_seconds: int, user_id: int, status: DmStatus) -> None:
        """Log one reminder DM: "sent", or "skipped_closed" when the member's DMs are closed
        (never retried). Idempotent."""
        raise NotImplementedError

    async def start_plan(self, payload: Mapping[str, Any], now: datetime) -> StartPlan | None:
        """Decide what an ``event.start`` timer does; None when cancelled, moved, or more than
        ``START_ANNOUNCE_GRACE`` late (a "starting now" hours later helps nobody)."""
        raise NotImplementedError

    async def end_plan(self, payload: Mapping[str, Any]) -> EndPlan | None:
        """Decide what an ``event.end`` timer does; None when the occurrence is gone, cancelled or moved."""
        raise NotImplementedError

    # --- calendar seeding and horizon ---------------------------------------------------------------

    async def seed_calendar(
        self,
        guild_id: int,
        calendar: tuple[RecurringEventConfig, ...],
        channel_ids: Mapping[str, int],
        role_ids: Mapping[str, int],
        language: str,
        *,
        organiser_id: int,
    ) -> SeedResult:
        """Create the configured calendar's series once per guild (UNIQUE guild + key: restarts never
        duplicate). ``channel_ids``/``role_ids`` map names to ids; an entry whose channel (None means
        ``config.channels.announcements``) or audience role is missing is skipped, never widened to
        everyone. Texts in ``language``; ``organiser_id`` is the bot's user id. A first start already
        in the past begins at the next occurrence of the rule (a past one-off is skipped)."""
        raise NotImplementedError

    async def extend_horizons(self) -> int:
        """Materialise occurrences (and their timers) of active recurring series up to
        ``horizon_days`` ahead; idempotent. Ensures a pending ``event.horizon`` timer for tomorrow.
        Returns how many occurrences were added."""
        raise NotImplementedError
