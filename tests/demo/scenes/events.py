"""Events and reminders: a Global WIM Call from announcement to reminder, a leaders-only roundtable,
a restart, and the calendar file. Only slash commands and button clicks, as members would."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.events.recurrence import occurrence_starts
from tests.demo.tour import WAIT, Scene, Tour
from tests.demo.transcript import Persona
from tests.double import Message

CALL = "events.call"  # tour.shared keys
CALL_START = "events.call_start"
CALL_ID = "events.call_id"
RSVP = re.compile(r"^event:rsvp:(\d+):going$")
CALL_TIMES = ("14:00", "10:00", "16:00")  # the call's Paris wall time, by preference
APART = timedelta(minutes=30)  # how far the call's posts stay from the shipped calendar's


def _occurrence_id(message: Message) -> int:
    for custom_id in message.custom_ids():
        match = RSVP.match(custom_id)
        if match:
            return int(match.group(1))
    raise AssertionError(f"no RSVP button on the announcement: {message.custom_ids()}")


def _announcement(title: str) -> Callable[[Message], bool]:
    return lambda m: bool(m.embeds) and m.embeds[0].get("title") == title and bool(m.custom_ids())


def _local_start(tour: Tour, zone: str, days: int, at: str) -> tuple[str, datetime]:
    """("YYYY-MM-DD HH:MM", the aware moment): ``days`` after the bot's today in ``zone``, at ``at``."""
    day = tour.now().astimezone(ZoneInfo(zone)).date() + timedelta(days=days)
    text = f"{day.isoformat()} {at}"
    return text, datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def _shipped_posts(tour: Tour, until: datetime) -> list[datetime]:
    """When the calendar in config.yml posts on its own from now to ``until``: each occurrence's
    reminders and its "starting now"."""
    now, leads = tour.now(), tour.config.reminders.default_lead_times
    horizon = until + max(leads, default=timedelta())
    moments: list[datetime] = []
    for entry in tour.config.calendar:
        anchor = entry.first_start()
        for start in occurrence_starts(
            entry.recurrence, anchor.replace(tzinfo=None), ZoneInfo(entry.timezone), until=horizon, after=now
        ):
            moments += [start, *(start - lead for lead in leads)]
    return [moment for moment in moments if now <= moment <= until]


def _call_slot(tour: Tour) -> tuple[str, datetime]:
    """The call's start, a day on or later: the first slot such that nothing from the shipped
    calendar is posted between now and the call's one-day reminder (which the reminder scene jumps
    to), and none of the call's reminders falls near one of the calendar's. The tour then shows the
    call's own reminder, whatever day it is played."""
    leads = tour.config.reminders.default_lead_times
    for days in range(1, 31):
        for at in CALL_TIMES:
            text, start = _local_start(tour, "Europe/Paris", days, at)
            ours = [moment for moment in (start, *(start - lead for lead in leads)) if moment >= tour.now()]
            shipped = _shipped_posts(tour, start + APART)
            quiet = all(moment > start - timedelta(days=1) for moment in shipped)
            if quiet and all(abs(a - b) >= APART for a in ours for b in shipped):
                return text, start
    raise AssertionError("the shipped calendar leaves no slot for the demo's call in the next month")


async def announce(tour: Tour) -> None:
    cast = tour.cast
    start_text, start = _call_slot(tour)
    paris = start.astimezone(ZoneInfo("Europe/Paris"))
    tour.note(
        "Claire, of the Steering Committee, uses Discord in French and lives in Paris. She schedules the "
        f"next Global WIM Call for {paris:%A} {paris.day} {paris:%B %Y} at {paris:%H:%M} Paris time."
    )
    mark = tour.mark()
    await tour.command(
        cast["claire"],
        "event create",
        {
            "title": "Global WIM Call",
            "start": start_text,
            "timezone": "Europe/Paris",
            "duration": 90,
            "description": "Discussion forum on the management, growth and outlook of WIM organisations. "
            "This call: the working groups' first outcomes and the Global WIM Summit.",
            "link": "https://meet.example.org/global-wim-call",
        },
    )
    announcement = await tour.channel_post("announcements", _announcement("Global WIM Call"), after=mark)
    tour.shared[CALL] = announcement
    tour.shared[CALL_START] = start
    tour.shared[CALL_ID] = _occurrence_id(announcement)
    tour.note(
        "The announcement is in the server's language (English); each member's Discord shows its times in "
        "their own language and time zone."
    )


async def rsvp(tour: Tour) -> None:
    cast, announcement, occurrence_id = tour.cast, tour.shared[CALL], tour.shared[CALL_ID]
    for key, status in (("amara", "going"), ("margaux", "going"), ("valentina", "going"), ("lucia", "maybe")):
        await tour.click(
            cast[key], announcement, f"event:rsvp:{occurrence_id}:{status}", on="the announcement"
        )
    await tour.updated(
        announcement, lambda m: "3 going" in m.text, caption="The announcement, updated with the replies"
    )


async def audience(tour: Tour) -> None:
    cast = tour.cast
    leaders = tour.cast.roles["leaders"]
    start_text, _ = _local_start(tour, "Europe/London", 5, "15:00")
    tour.note(f"Grace, of the Secretariat, schedules a thematic roundtable for the {leaders.name} role only.")
    mark = tour.mark()
    await tour.command(
        cast["grace"],
        "event create",
        {
            "title": "Thematic roundtable: Inclusive Workplace Design",
            "start": start_text,
            "timezone": "Europe/London",
            "duration": 60,
            "description": "Working Group 2 shares its mapping of WIM organisations' successful initiatives.",
            "audience": leaders,
        },
        shown={"audience": f"@{leaders.name}"},
    )
    roundtable = await tour.channel_post(
        "announcements", _announcement("Thematic roundtable: Inclusive Workplace Design"), after=mark
    )
    occurrence_id = _occurrence_id(roundtable)
    await tour.click(cast["valentina"], roundtable, f"event:rsvp:{occurrence_id}:going", on="the roundtable")
    tour.note(f"Lucía is a member but not one of the {leaders.name}: the bot tells her so, privately.")
    await tour.click(cast["lucia"], roundtable, f"event:rsvp:{occurrence_id}:going", on="the roundtable")


async def reminder(tour: Tour) -> None:
    cast, start = tour.cast, tour.shared[CALL_START]
    mark = tour.mark()
    await tour.advance_to(start - timedelta(days=1), why="to one day before the Global WIM Call")
    ours = await tour.double.wait_for_message(
        tour.channel("announcements"),
        lambda m: "Global WIM Call" in m.content and m.content.startswith("⏰"),
        after=mark,
        timeout=WAIT,
    )
    # The shipped calendar's own events remind too; show whatever else fell due, as members saw it.
    for message in tour.double.messages(tour.channel("announcements"), after=mark):
        if message.id == ours.id:
            tour.record(message)
        elif message.author_id == tour.double.bot_user_id:
            tour.record(message, caption="Also due, from the calendar in config.yml")
    tour.note("Everyone who answered Going or Maybe also gets a direct message, in their own language:")
    for key in ("amara", "margaux", "valentina", "lucia"):
        await tour.dm(cast[key], lambda m: "Global WIM Call" in m.content, after=mark)


async def restart(tour: Tour) -> None:
    cast, announcement, occurrence_id = tour.cast, tour.shared[CALL], tour.shared[CALL_ID]
    await tour.restart_bot()
    tour.note("Ada presses Going on the announcement posted before the restart:")
    await tour.click(cast["ada"], announcement, f"event:rsvp:{occurrence_id}:going")
    await tour.updated(
        announcement, lambda m: "4 going" in m.text, caption="The announcement, after the restart"
    )


async def calendar(tour: Tour) -> None:
    occurrence_id = tour.shared[CALL_ID]
    margaux = tour.cast["margaux"]
    tour.note("Margaux wants the call in her own calendar application:")
    answer = await tour.command(
        margaux,
        "event calendar",
        {"event": str(occurrence_id)},
        shown={"event": "Global WIM Call (picked from the suggestions as she types)"},
    )
    tour.note(_ics_note(answer, tour.shared[CALL_START], margaux))


def _ics_note(answer: Message, start: datetime, persona: Persona) -> str:
    """What the attached file says about the call's time, read from the file itself."""
    ics = next(a for a in answer.attachments if a.filename.endswith(".ics"))
    line = next(line for line in ics.data.decode("utf-8").splitlines() if line.startswith("DTSTART"))
    local = start.astimezone(ZoneInfo(persona.zone))
    city = persona.zone.rsplit("/", 1)[-1].replace("_", " ")
    shown = f"at {local:%H:%M} for {persona.name} in {city}"
    if line.endswith("Z"):
        return (
            f"The file gives the start in UTC ({line}; the Z means UTC), and any calendar application "
            f"shows it in its own zone: {shown}."
        )
    if ";TZID=" in line:
        organiser = line.split(";TZID=", 1)[1].split(":", 1)[0]
        return (
            f"The file keeps the organiser's zone ({organiser}), and any calendar application converts "
            f"it to its own: {shown}."
        )
    return f"The file gives the start as {line}."


SCENES = (
    Scene(
        "events-announce",
        "A Global WIM Call is announced",
        "A Steering Committee moderator creates the call with /event create; the bot answers her privately "
        "and announces the call with RSVP buttons.",
        announce,
    ),
    Scene(
        "events-rsvp",
        "Members answer with the buttons",
        "Members press Going or Maybe; each gets a private confirmation in their Discord's language.",
        rsvp,
    ),
    Scene(
        "events-audience",
        "A roundtable for WIM leaders only",
        "An event for one role: a WIM leader is welcome, a member outside the audience is politely refused.",
        audience,
    ),
    Scene(
        "events-reminder",
        "Time moves forward: the reminder",
        "The test clock jumps to one day before the call: the reminder goes to the channel and, by direct "
        "message, to everyone who answered, each in their language and time zone.",
        reminder,
    ),
    Scene(
        "events-restart",
        "The bot restarts; its buttons still work",
        "Nothing lives only in memory: after a restart a button posted before it still records an answer.",
        restart,
    ),
    Scene(
        "events-calendar",
        "A calendar file",
        "/event calendar gives an .ics file of the event for any calendar application.",
        calendar,
    ),
)
