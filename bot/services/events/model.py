"""What the events feature is made of: its timer kinds, limits and the plain values it takes and returns.

* A **series** holds what the organiser typed: title, description, link, the local wall-clock start
  ("2026-09-16 13:00" in "Europe/Paris"), duration, recurrence rule, channel, audience role and
  reminder lead times. A one-off event is a series with recurrence ``"none"``.
* An **occurrence** is one concrete meeting with UTC ``starts_at``/``ends_at``. RSVPs, check-ins,
  announcements and timers hang off occurrences. Recurring series are materialised
  ``config.events.horizon_days`` ahead (:mod:`bot.services.events.calendar`).
* Every delayed action is a timer row, written in the same transaction as the occurrence, its payload
  naming the guild (the kinds below; :mod:`bot.services.events.plans` writes and reads them). The
  payload carries the planned time too, so even a timer that escaped cancellation is recognised as
  stale when it fires.
* Every Discord side effect of an action is a timer too (the outbox): ``event.announce`` and
  ``event.mirror`` with ``create_and_announce``; an RSVP leaves one pending ``event.refresh``; an edit
  or a cancellation leaves ``event.refresh`` (or ``event.move``) and ``event.mirror`` for each changed
  occurrence, and a notice (``event.notice`` posts it, ``event.notify`` DMs who had replied).

Series, occurrences, RSVPs and check-ins are the repository's rows (:mod:`bot.repositories.events`),
re-exported here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import msgspec

from bot import validation
from bot.config import MAX_DURATION_MINUTES, RECURRENCES
from bot.repositories.events import CheckIn, Notice, Occurrence, Rsvp, RsvpCounts, Series

__all__ = [
    "CHECK_IN_EARLY",
    "EVENT_ANNOUNCE",
    "EVENT_END",
    "EVENT_HORIZON",
    "EVENT_MIRROR",
    "EVENT_MOVE",
    "EVENT_NOTICE",
    "EVENT_NOTIFY",
    "EVENT_REFRESH",
    "EVENT_REMINDER",
    "EVENT_START",
    "HORIZON_INTERVAL",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_DURATION",
    "MAX_DURATION_MINUTES",
    "MAX_LINK_LENGTH",
    "MAX_TITLE_LENGTH",
    "OCCURRENCE_TIMER_KINDS",
    "OUTBOX_GRACE",
    "RECURRENCES",
    "REFRESH_DEBOUNCE",
    "REMINDER_LATE_AFTER",
    "RSVP_STATUSES",
    "START_ANNOUNCE_GRACE",
    "TIMED_KINDS",
    "Attendees",
    "CancelResult",
    "CheckIn",
    "CheckInResult",
    "DmStatus",
    "EditResult",
    "EndPlan",
    "EventChanges",
    "EventDraft",
    "MovePlan",
    "Notice",
    "NoticeDmStatus",
    "NoticeOutcome",
    "NoticePlan",
    "Occurrence",
    "OutboxTimer",
    "ReminderPlan",
    "Rsvp",
    "RsvpAnswer",
    "RsvpCounts",
    "Scope",
    "SeedResult",
    "Series",
    "StartPlan",
    "UpcomingPage",
]

# Timer kinds. The cog registers a handler for each; every payload carries "guild_id" (a failure is
# reported to that guild's mod-log only).
EVENT_REMINDER = "event.reminder"  # {"guild_id", "occurrence_id", "lead_seconds", "starts_at"}
EVENT_START = "event.start"  # {"guild_id", "occurrence_id", "starts_at"}
EVENT_END = "event.end"  # {"guild_id", "occurrence_id", "ends_at"}
EVENT_HORIZON = "event.horizon"  # {"guild_id"}; the handler calls extend_horizons(guild_id)
# The outbox: Discord side effects of /event create, committed with its rows (see create_and_announce).
EVENT_ANNOUNCE = "event.announce"  # {"guild_id", "occurrence_id"}: post the announcement card
# {"guild_id", "occurrence_id"}: make Discord's Events tab show it as it is (create, edit, or delete
# once cancelled); also the outbox of /event edit and /event cancel.
EVENT_MIRROR = "event.mirror"
# The durable "card out of date" mark: one pending timer per occurrence, set in the transaction of an
# RSVP, an edit or a cancellation.
EVENT_REFRESH = "event.refresh"  # {"guild_id", "occurrence_id"}: re-render the announcement
# /event edit gave an announced occurrence another channel: announce it there, turn the old card
# ({"from_channel_id", "from_message_id"}) into a "moved" line. {"guild_id", "occurrence_id", ...}
EVENT_MOVE = "event.move"
# A notice of an edit or a cancellation (a row of event_notices, written in the action's transaction):
# {"guild_id", "occurrence_id", "notice_id"}. The post in the channel, and the DMs to who had replied.
EVENT_NOTICE = "event.notice"
EVENT_NOTIFY = "event.notify"
# Timers that follow an occurrence's time (replaced when it moves) and every timer of an occurrence
# (cancelled with it). Moving an event must not drop an announcement still waiting in the outbox.
# A cancellation cancels a change notice's DMs still due (the cancellation's own notice follows); the
# cancellation's post (event.notice) is never cancelled: an occurrence is cancelled once.
TIMED_KINDS = (EVENT_REMINDER, EVENT_START, EVENT_END)
OCCURRENCE_TIMER_KINDS = (
    *TIMED_KINDS,
    EVENT_ANNOUNCE,
    EVENT_MIRROR,
    EVENT_REFRESH,
    EVENT_MOVE,
    EVENT_NOTIFY,
)

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
# Members may check in this long before the start (people join calls a little early).
CHECK_IN_EARLY = timedelta(minutes=10)
# How long after a start an "event.start" timer that fired late may still announce "starting now".
START_ANNOUNCE_GRACE = timedelta(minutes=30)
# A reminder sent more than this after its due time is "late" (the bot was down): the cog words it
# from the real time left instead of the lead time.
REMINDER_LATE_AFTER = timedelta(minutes=2)
HORIZON_INTERVAL = timedelta(days=1)

Scope = Literal["this", "series"]
DmStatus = Literal["sent", "skipped_closed"]
# What one member's DM of a notice came to (event_notice_dms): also "opted_out" (/event dm off).
NoticeDmStatus = Literal["sent", "skipped_closed", "opted_out"]


class EventDraft(msgspec.Struct, frozen=True):
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


class EventChanges(msgspec.Struct, frozen=True):
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
    # Language of its public posts from now on (en, fr, es), as /event create's ``language``.
    language: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__struct_fields__)


class UpcomingPage(msgspec.Struct, frozen=True):
    """A page of upcoming occurrences (with RSVP counts) and how many there are in total."""

    items: tuple[Occurrence, ...]
    total: int


class OutboxTimer(msgspec.Struct, frozen=True):
    """A timer an action wrote for one of its Discord side effects: ``run_now(kind, **payload)``."""

    kind: str
    payload: dict[str, int]


class EditResult(msgspec.Struct, frozen=True):
    """The occurrences as they are after the edit, and who is told (members going or maybe).

    ``time_changed`` says whether start or duration moved; ``notify_user_ids`` is filled only then
    (worth a DM, the notice ``notice_id``). ``outbox``: the timers written with the edit (cards,
    Events tab, DMs), for the cog to run at once.
    """

    occurrences: tuple[Occurrence, ...]
    notify_user_ids: tuple[int, ...]
    time_changed: bool
    outbox: tuple[OutboxTimer, ...] = ()
    notice_id: int | None = None


class CancelResult(msgspec.Struct, frozen=True):
    """The occurrences just cancelled, the one asked for first, and who is told; ``outbox`` as in
    ``EditResult`` (cards, Events tab, the notice in the channel and the DMs of ``notice_id``)."""

    occurrences: tuple[Occurrence, ...]
    notify_user_ids: tuple[int, ...]
    outbox: tuple[OutboxTimer, ...] = ()
    notice_id: int | None = None


class NoticePlan(msgspec.Struct, frozen=True):
    """What an ``event.notice`` / ``event.notify`` timer must do: ``occurrence`` as it is now (the text
    is rendered from it), ``dm_user_ids`` the members not DM'd yet, in the order to DM them."""

    notice: Notice
    occurrence: Occurrence
    dm_user_ids: tuple[int, ...]


class NoticeOutcome(msgspec.Struct, frozen=True):
    """How far a notice got: DMs ``sent``, DMs still ``pending``, and whether the post is done."""

    sent: int
    pending: int
    posted: bool


class MovePlan(msgspec.Struct, frozen=True):
    """What an ``event.move`` timer must do: announce ``occurrence`` in its channel (unless
    ``announced`` already, by an earlier attempt) and mark the old card as moved."""

    occurrence: Occurrence
    from_channel_id: int
    from_message_id: int
    announced: bool


class RsvpAnswer(msgspec.Struct, frozen=True):
    occurrence: Occurrence  # as it was when the answer was recorded
    counts: RsvpCounts  # the counts with this answer


class CheckInResult(msgspec.Struct, frozen=True):
    occurrence: Occurrence
    check_in: CheckIn
    already: bool  # True when the member had already checked in (the first time is kept)


class MeetingLink(msgspec.Struct, frozen=True):
    """What the meeting-link button answers: the link, and whether the click was counted (a failed
    count never keeps the member from their meeting)."""

    occurrence: Occurrence
    link: str
    counted: bool
    first: bool  # the member's first click for this occurrence


class Attendees(msgspec.Struct, frozen=True):
    rsvps: tuple[Rsvp, ...]  # latest choice per member: going first, then maybe, then declined
    check_ins: tuple[CheckIn, ...]  # in check-in order


class ReminderPlan(msgspec.Struct, frozen=True):
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


class StartPlan(msgspec.Struct, frozen=True):
    """What an ``event.start`` timer must do: post "starting now" with a Check in button."""

    occurrence: Occurrence
    going_user_ids: tuple[int, ...]


class EndPlan(msgspec.Struct, frozen=True):
    """What an ``event.end`` timer must do: close check-in and update the announcement."""

    occurrence: Occurrence
    checked_in: int


class SeedResult(msgspec.Struct, frozen=True):
    """Outcome of seeding the configured calendar into one guild.

    ``created``: keys newly created; ``existing``: keys already there (restart); ``skipped``: key ->
    reason ("channel:<name>", "role:<name>" missing from the guild, or "past" for a one-off already
    over), for the cog to log.
    """

    created: tuple[str, ...]
    existing: tuple[str, ...]
    skipped: dict[str, str]
