"""The engagement report: members open the Global WIM Call's meeting link through its button, on the
announcement and in a reminder DM (each click counted), then Grace of the Secretariat asks /stats for
the last 30 days (tables, a chart per section, the CSV) and the newsletter's draft (Markdown and HTML
files)."""

from __future__ import annotations

from datetime import timedelta

from tests.demo.scenes.events import CALL, CALL_ID
from tests.demo.tour import Scene, Tour


async def join(tour: Tour) -> None:
    cast, announcement, occurrence_id = tour.cast, tour.shared[CALL], tour.shared[CALL_ID]
    tour.note(
        "The announcement's meeting link is behind its Join the meeting button: it answers each member "
        "privately with the link, and counts who opened it (once per member and event) for the report."
    )
    for key in ("amara", "margaux"):
        await tour.click(cast[key], announcement, f"event:link:{occurrence_id}", on="the announcement")
    tour.note("Lucía's reminder DM carries the same button: pressed there, it counts for the call too.")
    link_id = f"event:link:{occurrence_id}"
    lucia = cast["lucia"]
    reminder = next(m for m in reversed(tour.double.dms(tour.member(lucia))) if link_id in m.custom_ids())
    await tour.click(lucia, reminder, link_id, on="her reminder DM")


async def report(tour: Tour) -> None:
    cast = tour.cast
    tour.note(
        "Grace prepares the Secretariat's bi-monthly newsletter. /stats gives her the figures of the last "
        "30 days: attendance (Going against checked in), consultation turnout by UN region, the working "
        "groups' activity, growth and the meeting link's click-through, with a chart per section and a CSV."
    )
    await tour.command(cast["grace"], "stats", {"period": "30d"})
    today = tour.now().date()
    tour.note("Then the newsletter's draft, to check and send with her mailing tool.")
    await tour.command(
        cast["grace"],
        "digest newsletter",
        {"from": (today - timedelta(days=60)).isoformat(), "to": today.isoformat()},
    )


#: Played right after the events' scenes, while the Global WIM Call is still ahead.
JOIN_SCENES = (
    Scene(
        "stats-join",
        "The meeting link, counted",
        "Members open the Global WIM Call's meeting link through its button; each click is counted.",
        join,
    ),
)
SCENES = (
    Scene(
        "stats-report",
        "The engagement report and the newsletter draft",
        "A moderator's /stats for the last 30 days, with charts and a CSV, and the newsletter's draft.",
        report,
    ),
)
