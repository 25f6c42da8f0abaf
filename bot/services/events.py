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
* Every delayed action is a timer row, written in the same transaction as the occurrence, its payload
  naming the guild: ``event.reminder`` (``guild_id``, ``occurrence_id``, ``lead_seconds``,
  ``starts_at``) for each lead time still in the future, ``event.start`` (``guild_id``,
  ``occurrence_id``, ``starts_at``) and ``event.end`` (``guild_id``, ``occurrence_id``, ``ends_at``).
  Editing the time or lead times cancels and re-creates them; cancelling cancels them. The payload
  carries the planned time too, so even a timer that escaped cancellation is recognised as stale by
  the decision methods below.
* Every Discord side effect of an action is a timer too (the outbox): ``event.announce`` and
  ``event.mirror`` with ``create_and_announce``; an RSVP leaves one pending ``event.refresh``.
* Edits apply to one occurrence (stored as per-occurrence overrides) or to the series from an
  occurrence on (earlier occurrences keep their values; a new start re-anchors the rule there and
  later occurrences keep their ids, so RSVPs and announcements survive).

Timer handlers (registered by the cog, which owns Discord) ask this service what to do:
:meth:`EventService.reminder_delivery`, :meth:`EventService.start_plan`,
:meth:`EventService.end_plan`; after posting they record it with
:meth:`EventService.record_reminder_posted` / :meth:`EventService.record_dm` /
:meth:`EventService.set_announcement`, so a retried timer never posts twice.

Errors the user can fix are ``UserFacingError("events.errors.<key>", ...)``; every key is in
``bot/locales/<lang>/events.yml``.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from bot import validation
from bot.clock import Clock
from bot.config import MAX_DURATION_MINUTES, RECURRENCES, Config, RecurringEventConfig
from bot.db import Database, Transaction
from bot.errors import Choices, NotFound, PermissionDenied, UserFacingError
from bot.i18n import LANGUAGES
from bot.limits import excerpt
from bot.repositories import events as repo
from bot.repositories import members as members_repo
from bot.repositories.events import CheckIn, Occurrence, Rsvp, RsvpCounts, Series
from bot.services import ics
from bot.services.recurrence import (
    first_start_not_before,
    format_local_start,
    occurrence_starts,
    parse_local_start,
    rule_for,
    to_utc,
    wall_time_problem,
)
from bot.timeutil import (
    DurationError,
    format_lead_times,
    from_iso,
    get_zone,
    parse_lead_times,
    utc_iso,
)

if TYPE_CHECKING:
    from bot.services.timers import TimerService

__all__ = [
    "CHECK_IN_EARLY",
    "EVENT_ANNOUNCE",
    "EVENT_END",
    "EVENT_HORIZON",
    "EVENT_MIRROR",
    "EVENT_REFRESH",
    "EVENT_REMINDER",
    "EVENT_START",
    "MAX_DURATION_MINUTES",
    "RECURRENCES",
    "REFRESH_DEBOUNCE",
    "RSVP_STATUSES",
    "Attendees",
    "CancelResult",
    "CheckIn",
    "CheckInResult",
    "EditResult",
    "EndPlan",
    "EventChanges",
    "EventDraft",
    "EventService",
    "Occurrence",
    "ReminderPlan",
    "Rsvp",
    "RsvpAnswer",
    "RsvpCounts",
    "SeedResult",
    "StartPlan",
    "UpcomingPage",
]

log = logging.getLogger(__name__)

# Timer kinds. The cog registers a handler for each; every payload carries "guild_id" (a failure is
# reported to that guild's mod-log only).
EVENT_REMINDER = "event.reminder"  # {"guild_id", "occurrence_id", "lead_seconds", "starts_at"}
EVENT_START = "event.start"  # {"guild_id", "occurrence_id", "starts_at"}
EVENT_END = "event.end"  # {"guild_id", "occurrence_id", "ends_at"}
EVENT_HORIZON = "event.horizon"  # {"guild_id"}; the handler calls extend_horizons(guild_id)
# The outbox: Discord side effects of /event create, committed with its rows (see create_and_announce).
EVENT_ANNOUNCE = "event.announce"  # {"guild_id", "occurrence_id"}: post the announcement card
EVENT_MIRROR = "event.mirror"  # {"guild_id", "occurrence_id"}: show it in Discord's Events tab
# The durable "counts changed" mark: one pending timer per occurrence, set in the RSVP's transaction.
EVENT_REFRESH = "event.refresh"  # {"guild_id", "occurrence_id"}: re-render the announcement
# Timers that follow an occurrence's time (replaced when it moves) and every timer of an occurrence
# (cancelled with it). Moving an event must not drop an announcement still waiting in the outbox.
_TIMED_KINDS = (EVENT_REMINDER, EVENT_START, EVENT_END)
_OCCURRENCE_TIMER_KINDS = (*_TIMED_KINDS, EVENT_ANNOUNCE, EVENT_MIRROR, EVENT_REFRESH)

RSVP_STATUSES: tuple[str, ...] = ("going", "maybe", "declined")
MAX_TITLE_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 2000
MAX_LINK_LENGTH = validation.MAX_URL_LENGTH
MAX_DURATION = timedelta(minutes=MAX_DURATION_MINUTES)  # seven days, as config.yml allows
# RSVPs arriving within this window after the first become one announcement edit (and a crash inside it
# loses nothing: the refresh is a timer row written with the RSVP).
REFRESH_DEBOUNCE = timedelta(seconds=2)
# The first attempt of an outbox timer is made at once by the command (TimerService.run_now); the
# dispatcher only picks it up after this grace, so the two never race for it.
OUTBOX_GRACE = timedelta(seconds=10)
# Field names shown in validation errors (events.yml, events.fields.*).
F_TITLE = "events.fields.title"
F_DESCRIPTION = "events.fields.description"
F_LINK = "events.fields.link"
F_START = "events.fields.start"
# Members may check in this long before the start (people join calls a little early).
CHECK_IN_EARLY = timedelta(minutes=10)
# How long after a start an "event.start" timer that fired late may still announce "starting now".
START_ANNOUNCE_GRACE = timedelta(minutes=30)
# A reminder sent more than this after its due time is "late" (the bot was down): the cog words it
# from the real time left instead of the lead time.
REMINDER_LATE_AFTER = timedelta(minutes=2)
HORIZON_INTERVAL = timedelta(days=1)

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
    # Language of its public posts (en, fr, es): the cog resolves the default, the channel's language
    # from config.yml's channel_languages, else the server's. None: decided at posting time the same way.
    language: str | None = None


@dataclass(frozen=True)
class EventChanges:
    """An edit: ``None`` leaves a field as it is. ``description=""`` / ``link=""`` clear them.

    ``start`` is local "YYYY-MM-DD HH:MM" in ``timezone`` (or the event's zone when ``timezone`` is
    None). ``timezone`` alone keeps the wall-clock time and reads it in the new zone. ``channel_id`` is
    the new announcement and reminder channel: as in create, the cog checks the bot can post there;
    reminders read it when they fire, so moving the event moves its future reminders too.
    """

    title: str | None = None
    description: str | None = None
    link: str | None = None
    start: str | None = None
    timezone: str | None = None
    duration_minutes: int | None = None
    lead_times: str | None = None
    channel_id: int | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


@dataclass(frozen=True)
class UpcomingPage:
    """A page of upcoming occurrences (with RSVP counts) and how many there are in total."""

    items: tuple[Occurrence, ...]
    total: int


@dataclass(frozen=True)
class EditResult:
    """The occurrences as they are after the edit, and who to tell (members going or maybe).

    ``time_changed`` says whether start or duration moved; ``notify_user_ids`` is filled only then
    (worth a DM). The cog should refresh each occurrence's announcement message.
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
class RsvpAnswer:
    occurrence: Occurrence  # as it was when the answer was recorded
    counts: RsvpCounts  # the counts with this answer


@dataclass(frozen=True)
class CheckInResult:
    occurrence: Occurrence
    check_in: CheckIn
    already: bool  # True when the member had already checked in (the first time is kept)


@dataclass(frozen=True)
class Attendees:
    rsvps: tuple[Rsvp, ...]  # latest choice per member: going first, then maybe, then declined
    check_ins: tuple[CheckIn, ...]  # in check-in order


@dataclass(frozen=True)
class ReminderPlan:
    """What an ``event.reminder`` timer must send now.

    ``post_to_channel`` is False when an earlier attempt already posted (``channel_message_id`` is
    then that post): only the DMs still missing remain. ``dm_user_ids`` are members who answered
    going/maybe, have DM reminders on, and have no DM logged for this reminder yet. ``late`` is True
    when the reminder goes out more than ``REMINDER_LATE_AFTER`` after its due time (e.g. the bot was
    down) but still before the start: word it from ``occurrence.starts_at``, not from ``lead``.
    """

    occurrence: Occurrence
    lead: timedelta
    late: bool
    post_to_channel: bool
    channel_message_id: int | None
    dm_user_ids: tuple[int, ...]

    @property
    def lead_seconds(self) -> int:
        return int(self.lead.total_seconds())


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
    reason ("channel:<name>", "role:<name>" missing from the guild, or "past" for a one-off already
    over), for the cog to log.
    """

    created: tuple[str, ...]
    existing: tuple[str, ...]
    skipped: dict[str, str]


@dataclass(frozen=True)
class _NewTime:
    """A validated start: wall-clock ``local`` in ``zone_name`` and the same moment in UTC."""

    zone_name: str
    local: datetime
    starts_at: datetime


class EventService:
    """Events logic. ``EventService(db, clock, timers, config)``; no Discord here."""

    def __init__(self, db: Database, clock: Clock, timers: TimerService, config: Config) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._config = config

    # --- creating and changing ------------------------------------------------------------------

    async def create_event(self, draft: EventDraft) -> Occurrence:
        """Validate and store a series with its occurrences up to the horizon, and their timers,
        without announcing it (see ``create_and_announce``). Returns the first occurrence."""
        return await self._create(draft, announce=False)

    async def create_and_announce(self, draft: EventDraft) -> Occurrence:
        """``create_event`` plus the outbox: in the same transaction, one ``event.announce`` and one
        ``event.mirror`` timer for the first occurrence. The caller tells the member it is created and
        runs them at once (``TimerService.run_now``); if Discord fails, the timers retry, and the
        announcement is posted exactly once however often they run."""
        return await self._create(draft, announce=True)

    async def _create(self, draft: EventDraft, *, announce: bool) -> Occurrence:
        """Validate, then store a series with its occurrences up to the horizon, and their timers.

        Returns the first occurrence. One transaction: on any error nothing is written. Raises
        ``UserFacingError`` with keys ``events.errors.{title_empty, title_too_long,
        description_too_long, bad_link, unknown_timezone, bad_start, start_in_past,
        nonexistent_time, ambiguous_time, bad_duration, bad_lead_times, bad_recurrence}``.
        """
        now = self._clock.now()
        title = _checked_title(draft.title)
        description = _checked_description(draft.description)
        link = _checked_link(draft.link)
        recurrence = _checked_recurrence(draft.recurrence)
        language = _checked_language(draft.language)
        zone_name = draft.timezone
        if zone_name is None or not zone_name.strip():
            saved = await members_repo.get(self._db, draft.guild_id, draft.organiser_id)
            zone_name = saved.timezone or self._config.timezone
        when = _checked_start(_checked_start_text(draft.start), _checked_zone_name(zone_name), now)
        _checked_channel_id(draft.channel_id)
        duration = _checked_duration(
            self._config.events.default_duration_minutes
            if draft.duration_minutes is None
            else draft.duration_minutes
        )
        leads = (
            self._config.reminders.default_lead_times
            if draft.lead_times is None
            else _checked_leads(draft.lead_times)
        )
        async with self._db.transaction() as tx:
            series_id = await repo.insert_series(
                tx,
                {
                    "guild_id": draft.guild_id,
                    "title": title,
                    "description": description,
                    "link": link,
                    "timezone": when.zone_name,
                    "local_start": format_local_start(when.local),
                    "duration_minutes": duration,
                    "recurrence": recurrence,
                    "channel_id": draft.channel_id,
                    "audience_role_id": draft.audience_role_id,
                    "lead_times": format_lead_times(leads),
                    "organiser_id": draft.organiser_id,
                    "created_at": utc_iso(now),
                    "source_key": None,
                    "language": language,
                },
            )
            assert series_id is not None  # no source_key, so no conflict is possible
            created = await self._materialise(tx, await self._series(tx, series_id), now)
            if announce:
                outbox = {"guild_id": draft.guild_id, "occurrence_id": created[0]}
                await self._timers.schedule(EVENT_ANNOUNCE, now + OUTBOX_GRACE, outbox, tx=tx)
                await self._timers.schedule(EVENT_MIRROR, now + OUTBOX_GRACE, outbox, tx=tx)
            first = await repo.get_occurrence(tx, created[0])
        assert first is not None
        log.info(
            "Event series %d created in guild %d (%s, %d occurrences)",
            series_id,
            draft.guild_id,
            recurrence,
            len(created),
        )
        return first

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
        ones. A new channel is where announcements and reminders go from now on (the timers stay:
        they read the channel when they fire). With scope "series" a new start re-anchors the
        series: this and every later occurrence move to the new local time and date pattern
        (cancelled later occurrences are dropped, as they belonged to the old pattern). For a one-off
        event both scopes mean the same. Raises the same
        validation errors as ``create_event`` plus ``events.errors.{unknown_event, event_cancelled,
        already_ended, nothing_to_change, series_start_before_previous}`` (a series' new start must
        come after the occurrences before this one).
        """
        if changes.is_empty():
            raise UserFacingError("events.errors.nothing_to_change")
        now = self._clock.now()
        # Every field is checked once, here, before the transaction; the paths below use the result.
        valid = _checked_changes(changes)
        async with self._db.transaction() as tx:
            occurrence = await self._changeable(tx, occurrence_id, editor_id, editor_is_moderator, now)
            series = await self._series(tx, occurrence.series_id)
            if occurrence.recurrence == "none":
                scope = "series"
            new_time = self._new_time(valid, series, occurrence, now)
            if scope == "this":
                affected = await self._edit_this(tx, occurrence, valid, new_time, now)
            else:
                affected = await self._edit_series(tx, occurrence, series, valid, new_time, now)
            time_changed = new_time is not None or valid.duration_minutes is not None
            notify: list[int] = []
            if time_changed:
                notify = await repo.user_ids_answering(tx, affected, ("going", "maybe"))
            updated = [await repo.get_occurrence(tx, affected_id) for affected_id in affected]
        return EditResult(
            occurrences=tuple(o for o in updated if o is not None),
            notify_user_ids=tuple(notify),
            time_changed=time_changed,
        )

    async def _edit_this(
        self,
        tx: Transaction,
        occurrence: Occurrence,
        changes: _ValidChanges,
        new_time: _NewTime | None,
        now: datetime,
    ) -> list[int]:
        overrides: dict[str, Any] = {}
        if changes.title is not None:
            overrides["title"] = changes.title
        if changes.description is not None:
            overrides["description"] = changes.description
        if changes.link is not None:
            overrides["link"] = changes.link  # "" = no link for this one
        if changes.lead_times is not None:
            overrides["lead_times"] = changes.lead_times
        if changes.channel_id is not None:
            overrides["channel_id"] = changes.channel_id
        duration = (
            timedelta(minutes=changes.duration_minutes)
            if changes.duration_minutes is not None
            else occurrence.ends_at - occurrence.starts_at
        )
        if overrides:
            await repo.set_occurrence_overrides(tx, occurrence.id, overrides)
        if new_time is not None or changes.duration_minutes is not None:
            starts_at = new_time.starts_at if new_time is not None else occurrence.starts_at
            await repo.set_occurrence_times(tx, occurrence.id, starts_at, starts_at + duration)
        if new_time is not None or changes.duration_minutes is not None or changes.lead_times is not None:
            await self._reschedule_timers(tx, occurrence.id, now)
        return [occurrence.id]

    async def _edit_series(
        self,
        tx: Transaction,
        occurrence: Occurrence,
        series: Series,
        changes: _ValidChanges,
        new_time: _NewTime | None,
        now: datetime,
    ) -> list[int]:
        assert occurrence.original_start is not None
        series_changes: dict[str, Any] = {}
        cleared: list[str] = []
        for column in ("title", "description", "link", "lead_times", "channel_id"):
            value = getattr(changes, column)
            if value is not None:
                # The series stores NULL for "no link"; an occurrence override stores "".
                series_changes[column] = (value or None) if column == "link" else value
                cleared.append(column)
        if changes.duration_minutes is not None:
            series_changes["duration_minutes"] = changes.duration_minutes
        if new_time is not None:
            # The new pattern starts here: it must come after the occurrences that stay as they were.
            previous = await repo.latest_original_start_before(tx, series.id, occurrence.original_start)
            if previous is not None and new_time.starts_at <= previous:
                raise UserFacingError("events.errors.series_start_before_previous")
            series_changes["timezone"] = new_time.zone_name
            series_changes["local_start"] = format_local_start(new_time.local)
        # Earlier occurrences keep what they had: the edit applies from this occurrence on.
        await repo.freeze_inherited(
            tx, series.id, occurrence.original_start, {column: getattr(series, column) for column in cleared}
        )
        await repo.update_series(tx, series.id, series_changes)
        affected = await repo.occurrences_from(tx, series.id, occurrence.original_start, now)
        affected_ids = [o.id for o in affected]
        await repo.clear_overrides(tx, affected_ids, cleared)
        duration = timedelta(minutes=series_changes.get("duration_minutes", series.duration_minutes))
        if new_time is not None:
            # Re-anchor: the n-th remaining occurrence becomes the n-th of the new pattern, keeping
            # its id (and so its RSVPs, announcement and Discord event).
            await repo.delete_cancelled_from(tx, series.id, occurrence.original_start)
            rule = rule_for(series.recurrence, new_time.local)
            zone = get_zone(new_time.zone_name)
            locals_ = [new_time.local] if rule is None else list(itertools.islice(iter(rule), len(affected)))
            moves = [
                (o.id, to_utc(local, zone), to_utc(local, zone) + duration)
                for o, local in zip(affected, locals_, strict=True)
            ]
            await repo.reanchor_occurrences(tx, moves)
        elif changes.duration_minutes is not None:
            for o in affected:
                await repo.set_occurrence_times(tx, o.id, o.starts_at, o.starts_at + duration)
        if new_time is not None or changes.duration_minutes is not None or changes.lead_times is not None:
            for affected_id in affected_ids:
                await self._reschedule_timers(tx, affected_id, now)
        if series.recurrence != "none":
            affected_ids += await self._materialise(tx, await self._series(tx, series.id), now)
        return affected_ids

    async def cancel_event(
        self, occurrence_id: int, scope: Scope, editor_id: int, *, editor_is_moderator: bool
    ) -> CancelResult:
        """Cancel one occurrence or the series (this and all later occurrences; the series stops).

        Pending timers of cancelled occurrences are cancelled in the same transaction. Raises
        ``events.errors.{unknown_event, event_cancelled, not_organiser, already_ended}``.
        """
        now = self._clock.now()
        async with self._db.transaction() as tx:
            occurrence = await self._changeable(tx, occurrence_id, editor_id, editor_is_moderator, now)
            assert occurrence.original_start is not None
            if scope == "this" and occurrence.recurrence != "none":
                cancelled = [occurrence.id]
            else:
                await repo.set_series_cancelled(tx, occurrence.series_id)
                later = await repo.occurrences_from(tx, occurrence.series_id, occurrence.original_start, now)
                cancelled = [o.id for o in later]
            await repo.cancel_occurrences(tx, cancelled)
            for cancelled_id in cancelled:
                await self._cancel_timers(tx, cancelled_id)
            notify = await repo.user_ids_answering(tx, cancelled, ("going", "maybe"))
            updated = [await repo.get_occurrence(tx, cancelled_id) for cancelled_id in cancelled]
        log.info("Event occurrence %d cancelled (%s): %d occurrence(s)", occurrence_id, scope, len(cancelled))
        return CancelResult(
            occurrences=tuple(o for o in updated if o is not None), notify_user_ids=tuple(notify)
        )

    # --- RSVPs and check-ins --------------------------------------------------------------------

    async def rsvp(
        self,
        occurrence_id: int,
        user_id: int,
        status: str,
        member_role_ids: Collection[int],
        *,
        guild_id: int | None = None,
    ) -> RsvpAnswer:
        """Record a member's answer (latest wins); returns the occurrence and its new counts.

        ``guild_id``, when given, is where the member clicked: an occurrence of another guild is
        unknown there. Raises ``events.errors.{unknown_event, event_cancelled, already_ended,
        not_in_audience (with role_id and title), bad_rsvp_status}``.
        """
        if status not in RSVP_STATUSES:
            raise UserFacingError(
                "events.errors.bad_rsvp_status",
                status=excerpt(status),
                choices=Choices("cmd.event.rsvp.choices", RSVP_STATUSES),
            )
        now = self._clock.now()
        refresh_due = now + REFRESH_DEBOUNCE
        mark_refresh = self._timers.pending_marker(EVENT_REFRESH, refresh_due)

        def answer(conn: sqlite3.Connection) -> tuple[RsvpAnswer, int | None]:
            # One action for the whole click: read, check, write, mark, count.
            occurrence = repo.occurrence_in(conn, occurrence_id)
            if occurrence is not None and guild_id is not None and occurrence.guild_id != guild_id:
                occurrence = None
            occurrence = _checked_usable(occurrence)
            if occurrence.ends_at <= now:
                raise UserFacingError("events.errors.already_ended")
            _require_audience(occurrence, member_role_ids)
            repo.upsert_rsvp_in(conn, occurrence_id, user_id, status, now)
            # The announcement must show the new counts: a durable mark (one pending timer per
            # occurrence) committed with the answer, so a restart inside the debounce loses nothing.
            refresh = mark_refresh(conn, {"guild_id": occurrence.guild_id, "occurrence_id": occurrence_id})
            return RsvpAnswer(occurrence, repo.counts_in(conn, occurrence_id)), refresh

        answered, refresh = await self._db.quick_write(answer)
        if refresh is not None:
            self._timers.scheduled(refresh_due)
        return answered

    async def counts(self, occurrence_id: int) -> RsvpCounts:
        return await repo.counts(self._db, occurrence_id)

    async def attendees(self, occurrence_id: int) -> Attendees:
        """RSVPs and check-ins of an occurrence (``events.errors.unknown_event`` if none)."""
        if await repo.get_occurrence(self._db, occurrence_id) is None:
            raise NotFound("events.errors.unknown_event")
        return Attendees(
            rsvps=tuple(await repo.rsvps(self._db, occurrence_id)),
            check_ins=tuple(await repo.check_ins(self._db, occurrence_id)),
        )

    async def check_in(
        self, occurrence_id: int, user_id: int, member_role_ids: Collection[int]
    ) -> CheckInResult:
        """Record attendance, allowed from ``CHECK_IN_EARLY`` before the start until the end.

        Checking in twice is fine (``already=True``, the first time is kept). Raises
        ``events.errors.{unknown_event, event_cancelled, check_in_not_open, check_in_closed,
        not_in_audience}``.
        """
        now = self._clock.now()
        async with self._db.transaction() as tx:
            occurrence = await _usable(tx, occurrence_id)
            if now < occurrence.starts_at - CHECK_IN_EARLY:
                raise UserFacingError(
                    "events.errors.check_in_not_open", minutes=int(CHECK_IN_EARLY.total_seconds() // 60)
                )
            if now >= occurrence.ends_at:
                raise UserFacingError("events.errors.check_in_closed")
            _require_audience(occurrence, member_role_ids)
            inserted = await repo.insert_check_in(tx, occurrence_id, user_id, now)
            check_in = await repo.get_check_in(tx, occurrence_id, user_id)
        assert check_in is not None
        return CheckInResult(occurrence=occurrence, check_in=check_in, already=not inserted)

    # --- queries ----------------------------------------------------------------------------------

    async def get_occurrence(self, occurrence_id: int, *, include_cancelled: bool = False) -> Occurrence:
        """One occurrence with counts; ``NotFound("events.errors.unknown_event")`` when missing,
        ``UserFacingError("events.errors.event_cancelled")`` when cancelled (unless ``include_cancelled``)."""
        if include_cancelled:
            occurrence = await repo.get_occurrence(self._db, occurrence_id)
            if occurrence is None:
                raise NotFound("events.errors.unknown_event")
            return occurrence
        return await _usable(self._db, occurrence_id)

    async def upcoming(
        self, guild_id: int, *, days: int = 60, limit: int = 10, offset: int = 0
    ) -> UpcomingPage:
        """Scheduled occurrences not yet ended and starting within ``days``, soonest first, with counts.

        One query for the page (counts included), one for the total, both in one hand-off to the
        database thread and from one snapshot (the total agrees with the page).
        """
        now = self._clock.now()
        until = now + timedelta(days=max(days, 0))
        items, total = await self._db.quick_read(
            repo.upcoming_page, guild_id, now, until, MAX_DURATION, max(limit, 0), max(offset, 0)
        )
        return UpcomingPage(items=tuple(items), total=total)

    async def search(self, guild_id: int, text: str, *, limit: int = 25) -> list[Occurrence]:
        """Autocomplete: scheduled, not-ended occurrences whose title contains ``text`` (case-insensitive)
        or whose UTC date starts with it ("2026-06"); title-prefix matches first, then soonest."""
        return await repo.search(self._db, guild_id, text, self._clock.now(), MAX_DURATION, max(limit, 0))

    async def set_announcement(self, occurrence_id: int, channel_id: int, message_id: int) -> None:
        """Remember the message announcing an occurrence (the cog edits it on RSVP/edit/cancel)."""
        async with self._db.transaction() as tx:
            if not await repo.set_announcement(tx, occurrence_id, channel_id, message_id):
                raise NotFound("events.errors.unknown_event")

    async def set_discord_event_id(self, occurrence_id: int, discord_event_id: int | None) -> None:
        """Remember the Discord scheduled event mirroring an occurrence (None to forget it)."""
        async with self._db.transaction() as tx:
            if not await repo.set_discord_event_id(tx, occurrence_id, discord_event_id):
                raise NotFound("events.errors.unknown_event")

    async def occurrences_for_calendar(
        self, guild_id: int, *, occurrence_id: int | None = None
    ) -> list[Occurrence]:
        """Occurrences that go into an .ics export: every stored occurrence (cancelled included) of the
        guild's series, or of the one series ``occurrence_id`` belongs to."""
        series = await self._calendar_series(guild_id, occurrence_id)
        return await repo.occurrences_of_series(self._db, [s.id for s in series])

    async def ics_for(self, guild_id: int, occurrence_id: int | None = None) -> bytes:
        """An RFC 5545 calendar (bytes for a ``.ics`` attachment): the series of ``occurrence_id``, or
        every series of the guild. Raises ``events.errors.unknown_event`` for an unknown occurrence."""
        series = await self._calendar_series(guild_id, occurrence_id)
        occurrences = await repo.occurrences_of_series(self._db, [s.id for s in series])
        by_series: dict[int, list[Occurrence]] = {s.id: [] for s in series}
        for occurrence in occurrences:
            by_series[occurrence.series_id].append(occurrence)
        return ics.build_calendar([(s, by_series[s.id]) for s in series], stamp=self._clock.now())

    async def _calendar_series(self, guild_id: int, occurrence_id: int | None) -> list[Series]:
        if occurrence_id is None:
            return await repo.series_of_guild(self._db, guild_id)
        occurrence = await repo.get_occurrence(self._db, occurrence_id)
        if occurrence is None or occurrence.guild_id != guild_id:
            raise NotFound("events.errors.unknown_event")
        return [await self._series(self._db, occurrence.series_id)]

    # --- timer decisions --------------------------------------------------------------------------

    async def reminder_delivery(self, payload: Mapping[str, Any], now: datetime) -> ReminderPlan | None:
        """Decide what an ``event.reminder`` timer sends, or None when it must send nothing:
        the occurrence is gone or cancelled, it moved (payload start or lead no longer match), it has
        already started, or everything was already delivered."""
        try:
            occurrence_id, lead_seconds = int(payload["occurrence_id"]), int(payload["lead_seconds"])
            planned_start = from_iso(str(payload["starts_at"]))
        except (KeyError, TypeError, ValueError):
            log.warning("Ignoring an event reminder with a malformed payload: %r", dict(payload))
            return None
        occurrence = await repo.get_occurrence(self._db, occurrence_id)
        if occurrence is None or occurrence.status != "scheduled" or occurrence.starts_at != planned_start:
            return None
        lead = timedelta(seconds=lead_seconds)
        if lead not in occurrence.lead_times or now >= occurrence.starts_at:
            return None
        posted, message_id = await repo.reminder_post(self._db, occurrence_id, lead_seconds)
        recipients = await repo.pending_dm_recipients(
            self._db, occurrence_id, occurrence.guild_id, lead_seconds
        )
        if posted and not recipients:
            return None
        return ReminderPlan(
            occurrence=occurrence,
            lead=lead,
            late=now - (occurrence.starts_at - lead) > REMINDER_LATE_AFTER,
            post_to_channel=not posted,
            channel_message_id=message_id,
            dm_user_ids=tuple(recipients),
        )

    async def record_reminder_posted(
        self, occurrence_id: int, lead_seconds: int, channel_message_id: int | None
    ) -> None:
        """Log that the channel reminder went out (idempotent: the first record wins)."""
        async with self._db.transaction() as tx:
            await repo.record_reminder_post(
                tx, occurrence_id, lead_seconds, channel_message_id, self._clock.now()
            )

    async def record_dm(self, occurrence_id: int, lead_seconds: int, user_id: int, status: DmStatus) -> None:
        """Log one reminder DM: "sent", or "skipped_closed" when the member's DMs are closed
        (never retried). Idempotent."""
        if status not in ("sent", "skipped_closed"):
            raise ValueError(f"unknown DM status {status!r}")
        async with self._db.transaction() as tx:
            await repo.record_dm(tx, occurrence_id, lead_seconds, user_id, status, self._clock.now())

    async def start_plan(self, payload: Mapping[str, Any], now: datetime) -> StartPlan | None:
        """Decide what an ``event.start`` timer does; None when gone, cancelled, moved, or more than
        ``START_ANNOUNCE_GRACE`` late (a "starting now" hours later helps nobody)."""
        occurrence = await self._timer_occurrence(payload, "starts_at")
        if occurrence is None or now > occurrence.starts_at + START_ANNOUNCE_GRACE:
            return None
        going = await repo.user_ids_answering(self._db, [occurrence.id], ("going",))
        return StartPlan(occurrence=occurrence, going_user_ids=tuple(going))

    async def end_plan(self, payload: Mapping[str, Any]) -> EndPlan | None:
        """Decide what an ``event.end`` timer does; None when the occurrence is gone, cancelled or moved."""
        occurrence = await self._timer_occurrence(payload, "ends_at")
        if occurrence is None:
            return None
        return EndPlan(occurrence=occurrence, checked_in=await repo.count_check_ins(self._db, occurrence.id))

    async def outbox_occurrence(self, payload: Mapping[str, Any]) -> Occurrence | None:
        """The occurrence an ``event.announce`` / ``event.mirror`` / ``event.refresh`` timer is about;
        None when it is gone or the payload is malformed (nothing to do). Cancelled ones are returned:
        a refresh must still show "cancelled"; the announce and mirror handlers skip them."""
        try:
            occurrence_id = int(payload["occurrence_id"])
        except (KeyError, TypeError, ValueError):
            log.warning("Ignoring an event timer with a malformed payload: %r", dict(payload))
            return None
        return await repo.get_occurrence(self._db, occurrence_id)

    async def next_per_audience(self, guild_id: int) -> list[Occurrence]:
        """The next upcoming occurrence of each audience role in use (for the start-up ping check)."""
        return await repo.next_per_audience(self._db, guild_id, self._clock.now())

    async def request_mirror(self, occurrence: Occurrence) -> None:
        """Queue showing ``occurrence`` in Discord's Events tab (an ``event.mirror`` outbox timer)."""
        await self._timers.ensure_pending(
            EVENT_MIRROR,
            self._clock.now(),
            {"guild_id": occurrence.guild_id, "occurrence_id": occurrence.id},
        )

    async def _timer_occurrence(self, payload: Mapping[str, Any], time_field: str) -> Occurrence | None:
        try:
            occurrence_id, planned = int(payload["occurrence_id"]), from_iso(str(payload[time_field]))
        except (KeyError, TypeError, ValueError):
            log.warning("Ignoring an event timer with a malformed payload: %r", dict(payload))
            return None
        occurrence = await repo.get_occurrence(self._db, occurrence_id)
        if occurrence is None or occurrence.status != "scheduled":
            return None
        actual = occurrence.starts_at if time_field == "starts_at" else occurrence.ends_at
        return occurrence if actual == planned else None

    # --- calendar seeding and horizon ---------------------------------------------------------------

    async def seed_calendar(
        self,
        guild_id: int,
        calendar: tuple[RecurringEventConfig, ...],
        channel_ids: Mapping[str, int],
        role_ids: Mapping[str, int],
        language: str,
        *,
        organiser_id: int = 0,
    ) -> SeedResult:
        """Create the configured calendar's series once per guild (UNIQUE guild + key: restarts never
        duplicate). ``channel_ids``/``role_ids`` map names to ids; an entry whose channel (None means
        ``config.channels.announcements``) or audience role is missing is skipped, never widened to
        everyone. Texts in ``language``, or in the channel's own language (``channel_languages``),
        which the series keeps for its public posts; ``organiser_id`` 0 means "the configuration"
        (only moderators can then edit). A first start in the past begins at the rule's next
        occurrence (a past one-off is skipped). The series keeps the configured start as its anchor,
        so the .ics matches."""
        now = self._clock.now()
        created: list[str] = []
        existing: list[str] = []
        skipped: dict[str, str] = {}
        async with self._db.transaction() as tx:
            known = await repo.series_keys(tx, guild_id)
            for entry in calendar:
                if entry.key in known:
                    existing.append(entry.key)
                    continue
                channel_name = entry.channel or self._config.channels.announcements
                if channel_name not in channel_ids:
                    skipped[entry.key] = f"channel:{channel_name}"
                    continue
                if entry.audience_role is not None and entry.audience_role not in role_ids:
                    skipped[entry.key] = f"role:{entry.audience_role}"
                    continue
                zone = get_zone(entry.timezone)
                anchor = parse_local_start(entry.start)
                if first_start_not_before(entry.recurrence, anchor, zone, now) is None:
                    skipped[entry.key] = "past"
                    continue
                # A channel with its own language (config channel_languages) gets the entry in it.
                entry_language = dict(self._config.channel_languages).get(channel_name.casefold(), language)
                series_id = await repo.insert_series(
                    tx,
                    {
                        "guild_id": guild_id,
                        "title": entry.title.get(entry_language)[:MAX_TITLE_LENGTH],
                        "description": entry.description.get(entry_language)[:MAX_DESCRIPTION_LENGTH],
                        "link": entry.link,
                        "timezone": entry.timezone,
                        "local_start": format_local_start(anchor),
                        "duration_minutes": entry.duration_minutes,
                        "recurrence": entry.recurrence,
                        "channel_id": channel_ids[channel_name],
                        "audience_role_id": role_ids[entry.audience_role] if entry.audience_role else None,
                        "lead_times": format_lead_times(self._config.reminders.default_lead_times),
                        "organiser_id": organiser_id,
                        "created_at": utc_iso(now),
                        "source_key": entry.key,
                        "language": entry_language,
                    },
                )
                if series_id is None:  # raced with another seeding of the same guild
                    existing.append(entry.key)
                    continue
                await self._materialise(tx, await self._series(tx, series_id), now)
                created.append(entry.key)
        if created or skipped:
            log.info("Calendar seeded in guild %d: created %s, skipped %s", guild_id, created, skipped)
        return SeedResult(created=tuple(created), existing=tuple(existing), skipped=skipped)

    async def extend_horizons(self, guild_id: int | None = None) -> int:
        """Materialise occurrences (and their timers) of active recurring series up to
        ``horizon_days`` ahead, in ``guild_id`` or in every guild; idempotent. Ensures one pending
        ``event.horizon`` timer per guild (each configured guild, or just ``guild_id``) for the next
        run, one day later. Returns how many occurrences were added."""
        now = self._clock.now()
        added = 0
        async with self._db.transaction() as tx:
            for series in await repo.active_recurring_series(tx):
                if guild_id is None or series.guild_id == guild_id:
                    added += len(await self._materialise(tx, series, now))
            for horizon_guild in (guild_id,) if guild_id is not None else self._config.guild_ids:
                # The running horizon timer is still pending (due now, not after now): only a future
                # run counts, so the overdue one (bot was down) also gets its successor.
                await self._timers.ensure_pending(
                    EVENT_HORIZON, now + HORIZON_INTERVAL, {"guild_id": horizon_guild}, tx=tx, later_than=now
                )
        if added:
            log.info("Event horizon extended: %d occurrence(s) added", added)
        return added

    # --- internals --------------------------------------------------------------------------------

    async def _series(self, conn: Any, series_id: int) -> Series:
        series = await repo.get_series(conn, series_id)
        if series is None:
            raise NotFound("events.errors.unknown_event")
        return series

    async def _changeable(
        self, tx: Transaction, occurrence_id: int, editor_id: int, editor_is_moderator: bool, now: datetime
    ) -> Occurrence:
        occurrence = await _usable(tx, occurrence_id)
        if not editor_is_moderator and editor_id != occurrence.organiser_id:
            raise PermissionDenied("events.errors.not_organiser")
        if occurrence.ends_at <= now:
            raise UserFacingError("events.errors.already_ended")
        return occurrence

    def _new_time(
        self, changes: _ValidChanges, series: Series, occurrence: Occurrence, now: datetime
    ) -> _NewTime | None:
        """The new start of an edit (its text and zone already checked), or None when it does not move."""
        if changes.start is None and changes.timezone is None:
            return None
        zone_name = changes.timezone if changes.timezone is not None else series.timezone
        if changes.start is not None:
            return _checked_start(changes.start, zone_name, now)
        # Only the zone changes: keep the wall-clock time, read it in the new zone.
        current_local = occurrence.starts_at.astimezone(get_zone(series.timezone)).replace(tzinfo=None)
        return _checked_start(_LocalStart(format_local_start(current_local), current_local), zone_name, now)

    async def _materialise(self, tx: Transaction, series: Series, now: datetime) -> list[int]:
        """Create the series' missing occurrences from now to the horizon (at least the next one, even
        beyond the horizon: a yearly day is listed as soon as it is planned), with their timers."""
        if series.status != "active":
            return []
        zone = get_zone(series.timezone)
        anchor = parse_local_start(series.local_start)
        first = first_start_not_before(series.recurrence, anchor, zone, now)
        if first is None:
            return []
        until = max(now + timedelta(days=self._config.events.horizon_days), first)
        leads = parse_lead_times(series.lead_times)
        duration = timedelta(minutes=series.duration_minutes)
        created: list[int] = []
        for start in occurrence_starts(series.recurrence, anchor, zone, after=now, until=until):
            occurrence_id = await repo.insert_occurrence(
                tx, series.id, series.guild_id, start, start + duration
            )
            if occurrence_id is not None:  # None: it exists already (possibly moved or cancelled)
                await self._schedule_timers(
                    tx, series.guild_id, occurrence_id, start, start + duration, leads, now
                )
                created.append(occurrence_id)
        await repo.set_materialised_until(tx, series.id, until)
        return created

    async def _schedule_timers(
        self,
        tx: Transaction,
        guild_id: int,
        occurrence_id: int,
        starts_at: datetime,
        ends_at: datetime,
        leads: tuple[timedelta, ...],
        now: datetime,
    ) -> None:
        start_iso = utc_iso(starts_at)
        for lead in leads:
            due = starts_at - lead
            if due > now:  # a reminder whose moment has passed would only be noise
                payload = {
                    "guild_id": guild_id,
                    "occurrence_id": occurrence_id,
                    "lead_seconds": int(lead.total_seconds()),
                    "starts_at": start_iso,
                }
                await self._timers.schedule(EVENT_REMINDER, due, payload, tx=tx)
        if starts_at > now:
            start_payload = {"guild_id": guild_id, "occurrence_id": occurrence_id, "starts_at": start_iso}
            await self._timers.schedule(EVENT_START, starts_at, start_payload, tx=tx)
        if ends_at > now:
            end_payload = {"guild_id": guild_id, "occurrence_id": occurrence_id, "ends_at": utc_iso(ends_at)}
            await self._timers.schedule(EVENT_END, ends_at, end_payload, tx=tx)

    async def _cancel_timers(
        self, tx: Transaction, occurrence_id: int, kinds: tuple[str, ...] = _OCCURRENCE_TIMER_KINDS
    ) -> None:
        for kind in kinds:
            await self._timers.cancel_matching(kind, tx=tx, occurrence_id=occurrence_id)

    async def _reschedule_timers(self, tx: Transaction, occurrence_id: int, now: datetime) -> None:
        """Replace an occurrence's pending timed timers with ones for its current times and lead times
        (its outbox and refresh timers stay: they do not depend on the time)."""
        await self._cancel_timers(tx, occurrence_id, _TIMED_KINDS)
        occurrence = await repo.get_occurrence(tx, occurrence_id)
        assert occurrence is not None
        await self._schedule_timers(
            tx,
            occurrence.guild_id,
            occurrence_id,
            occurrence.starts_at,
            occurrence.ends_at,
            occurrence.lead_times,
            now,
        )


# --- validation (each error says what is expected) --------------------------------------------------


async def _usable(conn: Any, occurrence_id: int) -> Occurrence:
    return _checked_usable(await repo.get_occurrence(conn, occurrence_id))


def _checked_usable(occurrence: Occurrence | None) -> Occurrence:
    if occurrence is None:
        raise NotFound("events.errors.unknown_event")
    if occurrence.status != "scheduled":
        raise UserFacingError("events.errors.event_cancelled")
    return occurrence


def _require_audience(occurrence: Occurrence, member_role_ids: Collection[int]) -> None:
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


def _checked_title(title: str) -> str:
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


def _checked_description(description: str) -> str:
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


def _checked_link(link: str | None) -> str | None:
    """A valid absolute http(s) URI (``validation.web_url``), or None for none."""
    try:
        return validation.optional_web_url(link, field=F_LINK, max_length=MAX_LINK_LENGTH)
    except UserFacingError as error:
        _reworded(
            error, {"validation.bad_url": ("events.errors.bad_link", lambda p: {"limit": MAX_LINK_LENGTH})}
        )


def _checked_language(language: str | None) -> str | None:
    if language is not None and language not in LANGUAGES:
        raise UserFacingError(
            "events.errors.bad_language", language=excerpt(language), choices=Choices("languages", LANGUAGES)
        )
    return language


def _checked_recurrence(recurrence: str) -> str:
    if recurrence not in RECURRENCES:
        raise UserFacingError(
            "events.errors.bad_recurrence",
            recurrence=excerpt(recurrence),
            choices=Choices("events_ui.recurrence", RECURRENCES),
        )
    return recurrence


def _checked_zone_name(name: str) -> str:
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


@dataclass(frozen=True)
class _LocalStart:
    """A typed start that parses: its text (stripped) and the naive local wall-clock time."""

    text: str
    local: datetime


def _checked_start_text(text: str) -> _LocalStart:
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
    return _LocalStart(cleaned, local)


def _checked_start(start: _LocalStart, zone_name: str, now: datetime) -> _NewTime:
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
    return _NewTime(zone_name=zone_name, local=start.local, starts_at=starts_at)


@dataclass(frozen=True)
class _ValidChanges:
    """An ``EventChanges`` after every check, ready to store. ``link=""`` / ``description=""`` clear;
    ``lead_times`` is the stored form ("1d,1h"; "" = no reminders)."""

    title: str | None
    description: str | None
    link: str | None
    start: _LocalStart | None
    timezone: str | None
    duration_minutes: int | None
    lead_times: str | None
    channel_id: int | None


def _checked_changes(changes: EventChanges) -> _ValidChanges:
    """Check every field of an edit once (the same checks as create), before anything is written."""
    return _ValidChanges(
        title=None if changes.title is None else _checked_title(changes.title),
        description=None if changes.description is None else _checked_description(changes.description),
        link=None if changes.link is None else (_checked_link(changes.link) or ""),
        start=None if changes.start is None else _checked_start_text(changes.start),
        timezone=None if changes.timezone is None else _checked_zone_name(changes.timezone),
        duration_minutes=None
        if changes.duration_minutes is None
        else _checked_duration(changes.duration_minutes),
        lead_times=None
        if changes.lead_times is None
        else format_lead_times(_checked_leads(changes.lead_times)),
        channel_id=None if changes.channel_id is None else _checked_channel_id(changes.channel_id),
    )


def _checked_channel_id(channel_id: int) -> int:
    # The cog passes a channel Discord resolved (and checked the bot may post in), so anything else
    # is a programming error, not something the member could fix.
    if isinstance(channel_id, bool) or not isinstance(channel_id, int) or channel_id <= 0:
        raise ValueError(f"not a channel id: {channel_id!r}")
    return channel_id


def _checked_duration(minutes: int) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise UserFacingError("events.errors.bad_duration", minutes=minutes, limit=MAX_DURATION_MINUTES)
    return minutes


def _checked_leads(text: str) -> tuple[timedelta, ...]:
    try:
        return parse_lead_times(text)
    except DurationError:
        raise UserFacingError("events.errors.bad_lead_times", lead_times=excerpt(text)) from None
