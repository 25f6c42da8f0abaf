"""Working groups: the four groups seeded from the Alliance's 2021 report, joining by the panel and by
command, a coordinator posting progress and long meeting notes for her own group (and refused on
another), an accent-free search, an initiative for the index approved and exported, and four weeks
later, with work done in three groups, the report with its chart and the nudge for the quiet one.
Only slash commands, modals and buttons."""

from __future__ import annotations

from datetime import timedelta

from tests.demo.tour import WAIT, Scene, Tour
from tests.demo.transcript import Action
from tests.double import Message

PANEL = "working_groups.panel"  # tour.shared keys
SEEDED_AT = "working_groups.seeded_at"
GROUPS = ("wg1-stem", "wg2-workplace", "wg3-data", "wg4-mentors")


def _group_channels(tour: Tour) -> None:
    """The groups' channels exist once the bot seeded them: let the scenes name them like the others."""
    for key in GROUPS:
        if key not in tour.cast.channels:
            tour.cast.channels[key] = tour.double.channel(key)


def _group_id(message: Message, position: int) -> str:
    return [c for c in message.custom_ids() if c.startswith("wg:toggle:")][position]


async def _modal(
    tour: Tour, persona_key: str, path: str, options: dict[str, str], values: dict[str, str]
) -> None:
    """A command that opens a form: the member fills it in and sends it; the bot's answer is recorded."""
    persona = tour.cast[persona_key]
    detail = " ".join(f"{name}: {value}" for name, value in options.items())
    tour.transcript.add(Action(persona, f"used /{path} in #general", detail))
    handle = await tour.double.invoke(
        path, user=tour.member(persona), options=options, channel=tour.channel("general")
    )
    await handle.response(timeout=WAIT)
    typed = ", ".join(f"{name} ({len(value)} characters)" for name, value in values.items() if value)
    tour.transcript.add(Action(persona, "filled in the form and sent it", typed))
    submitted = await tour.double.submit_modal(handle, values)
    answer = await submitted.message(timeout=WAIT)
    tour.record(answer, viewer=persona)


async def seeded(tour: Tour) -> None:
    await tour.double.wait_until(
        lambda d: all(key in {c.name for c in d.guild.channels.values()} for key in GROUPS),
        timeout=WAIT,
        what="the working groups' channels",
    )
    _group_channels(tour)
    tour.shared[SEEDED_AT] = tour.now()  # the groups' quiet spells are counted from about here
    tour.note(
        "At its first start the bot created the four working groups of the Alliance's 2021 report: a role "
        "and a channel each, under a Working Groups category. Grace lists them:"
    )
    await tour.command(tour.cast["grace"], "wg list")
    tour.note(
        "Lucía opens the card of WG2 in Spanish: what is at stake, the mandate, the workplan with its status:"
    )
    await tour.command(tour.cast["lucia"], "wg info", {"group": "wg2-workplace"}, shown={"group": "GT2"})


async def join(tour: Tour) -> None:
    cast = tour.cast
    mark = tour.mark()
    await tour.command(cast["grace"], "wg panel")
    panel = await tour.channel_post("general", lambda m: bool(m.custom_ids()), after=mark)
    tour.shared[PANEL] = panel
    await tour.click(cast["lucia"], panel, _group_id(panel, 1), on="the panel")
    await tour.click(cast["ada"], panel, _group_id(panel, 1), on="the panel")
    tour.note("Margaux joins WG4 by command instead:")
    await tour.command(cast["margaux"], "wg join", {"group": "wg4-mentors"}, shown={"group": "GT4"})


async def coordinate(tour: Tour) -> None:
    cast = tour.cast
    tour.note("Grace makes Amara coordinator of WG2. Coordinators manage their own group, and only it.")
    await tour.command(
        cast["grace"],
        "wg coordinator add",
        {"group": "wg2-workplace", "member": tour.member(cast["amara"])},
        shown={"group": "WG2", "member": "@Amara"},
    )
    mark = tour.mark()
    await tour.command(
        cast["amara"],
        "wg update",
        {
            "group": "wg2-workplace",
            "text": "Survey on PPE and changing facilities sent to 40 WIM organisations; 18 answers so far. "
            "Draft of the white paper outline shared in this channel.",
        },
        shown={"group": "WG2"},
    )
    await tour.channel_post("wg2-workplace", lambda m: bool(m.embeds), after=mark)
    await tour.command(
        cast["amara"],
        "wg status",
        {
            "group": "wg2-workplace",
            "status": "in_progress",
            "note": "Survey running until the end of the month",
        },
        shown={"group": "WG2", "status": "In progress"},
    )
    tour.note("Amara tries to change WG1's status: she does not coordinate it.")
    await tour.command(
        cast["amara"], "wg status", {"group": "wg1-stem", "status": "completed"}, shown={"group": "WG1"}
    )


async def summary(tour: Tour) -> None:
    notes = "\n".join(
        [
            "Participants: 14 WIM organisations from 11 countries.",
            "1. Réunion d'ouverture : tour de table sur les EPI adaptés aux femmes.",
            *(
                f"{n}. Provider {n}: sizes, lead times and prices discussed; samples tested on two sites."
                for n in range(2, 60)
            ),
            "Next steps: consolidate the survey, draft the directory of female PPE & safety gear providers.",
        ]
    )
    mark = tour.mark()
    tour.note("After the roundtable, Amara posts the meeting notes, longer than one Discord message:")
    await _modal(
        tour,
        "amara",
        "wg summary",
        {"group": "wg2-workplace"},
        {"title": "Roundtable on PPE for women", "notes1": notes[:3900], "notes2": notes[3900:]},
    )
    await tour.channel_post(
        "wg2-workplace",
        lambda m: bool(m.attachments),
        after=mark,
        caption="Too long for one message: an excerpt, and the whole notes attached as Markdown",
    )
    tour.note("Margaux searches the archive, typing réunion without its accent:")
    await tour.command(tour.cast["margaux"], "wg search", {"query": "reunion EPI"})


async def initiative(tour: Tour) -> None:
    cast = tour.cast
    panel = tour.shared[PANEL]
    tour.note(
        "Valentina joins WG4 from the panel and proposes an entry for its index of successful initiatives:"
    )
    await tour.click(cast["valentina"], panel, _group_id(panel, 3), on="the panel")
    mark = tour.mark()
    await _modal(
        tour,
        "valentina",
        "wg initiative add",
        {"group": "wg4-mentors", "kind": "programme", "country": "PE"},
        {
            "title": "Mentoras Mineras",
            "organisation": "WIM Perú",
            "link": "https://example.org/mentoras-mineras",
            "description": "Un año de mentoría para ingenieras jóvenes, con encuentros mensuales "
            "y una red de referentes en cinco empresas mineras.",
        },
    )
    review = await tour.channel_post("wg4-mentors", lambda m: bool(m.custom_ids()), after=mark)
    approve = next(c for c in review.custom_ids() if c.endswith(":approve"))
    await tour.click(cast["grace"], review, approve, on="the proposal")
    await tour.dm(cast["valentina"], after=mark)
    await tour.command(cast["ada"], "wg initiatives", {"group": "wg4-mentors", "country": "peru"})
    tour.note(
        "Grace exports the index for the group's white paper: a CSV file, and Markdown grouped by country."
    )
    await tour.command(cast["grace"], "wg export", {"group": "wg4-mentors"})


async def _suggested(tour: Tour, persona_key: str, path: str, options: dict[str, str], focused: str) -> str:
    """The first suggestion Discord offers ``persona_key`` while typing ``options[focused]``: its value."""
    handle = await tour.double.autocomplete(
        path, user=tour.member(tour.cast[persona_key]), options=options, focused=focused
    )
    choices = (await handle.response(timeout=WAIT)).choices
    if not choices:
        raise AssertionError(f"no suggestion for {options[focused]!r} in /{path}")
    return str(choices[0]["value"])


async def _done(tour: Tour, persona_key: str, group: str, what: str, typed: str, **extra: str) -> None:
    """``persona_key`` marks a workplan item (``what`` "workplan") or a deliverable of ``group``
    completed, picking it from the suggestions after typing ``typed``."""
    option = "item" if what == "workplan" else "deliverable"
    path = f"wg {what} update"
    value = await _suggested(tour, persona_key, path, {"group": group, option: typed}, option)
    await tour.command(
        tour.cast[persona_key],
        path,
        {"group": group, option: value, "status": "completed", **extra},
        shown={"group": group, option: f"{typed}… (picked from the suggestions)", "status": "Completed"},
    )


async def report(tour: Tour) -> None:
    cast = tour.cast
    seeded_at = tour.shared[SEEDED_AT]
    await tour.advance_to(max(tour.now(), seeded_at + timedelta(weeks=2)), why="two weeks of work")
    tour.note(
        "Amara closes WG2's survey: the policies item of the workplan is done and the directory of PPE "
        "providers is published."
    )
    await _done(tour, "amara", "wg2-workplace", "workplan", "Identifying policies")
    await _done(
        tour,
        "amara",
        "wg2-workplace",
        "deliverable",
        "Directory of female PPE",
        link="https://www.example.org/wim-alliance/ppe-providers",
    )
    mark = tour.mark()
    await tour.command(
        cast["amara"],
        "wg update",
        {
            "group": "wg2-workplace",
            "text": "Survey closed: 31 answers from 22 countries. The directory of PPE providers is online.",
        },
    )
    await tour.channel_post("wg2-workplace", lambda m: bool(m.embeds), after=mark)
    tour.note(
        "WG4 has no coordinator yet: Grace, for the Secretariat, records that its index of successful "
        "initiatives is out and its mapping of mentorship programmes done, and WG3 reports its progress."
    )
    await _done(
        tour,
        "grace",
        "wg4-mentors",
        "deliverable",
        "Index of successful",
        link="https://www.example.org/wim-alliance/initiatives",
    )
    await _done(tour, "grace", "wg4-mentors", "workplan", "Mapping mentorship")
    await tour.command(
        cast["grace"],
        "wg update",
        {
            "group": "wg4-mentors",
            "text": "Index of successful initiatives published, Mentoras Mineras among them; mentorship "
            "programmes mapped in 9 countries.",
        },
    )
    await tour.command(
        cast["grace"],
        "wg update",
        {
            "group": "wg3-data",
            "text": "Inventory of data sources finished: 12 national reports and 4 standards reviewed.",
        },
    )
    await _done(tour, "grace", "wg3-data", "workplan", "Mapping existing data")
    mark = tour.mark()
    await tour.advance_to(seeded_at + timedelta(weeks=4, hours=1), why="two more weeks; WG1 stays quiet")
    await tour.channel_post(
        "wg1-stem",
        lambda m: "Needs attention" in m.content,
        after=mark,
        caption="No update in WG1 for four weeks: flagged, and nudged once",
    )
    tour.note(
        "Grace looks at every group at once, only for her: what is done in each, and which group went quiet."
    )
    await tour.command(cast["grace"], "wg report")


SCENES = (
    Scene(
        "wg-seeded",
        "The four working groups, from the 2021 report",
        "At its first start the bot creates each group's role and channel; /wg list and /wg info show them "
        "in each member's language.",
        seeded,
    ),
    Scene(
        "wg-join",
        "Joining from the panel or by command",
        "A persistent panel has one Join/Leave button per group; the group's role says who is in.",
        join,
    ),
    Scene(
        "wg-coordinate",
        "A coordinator reports progress",
        "A coordinator posts an update and the status of her group; on another group she is refused.",
        coordinate,
    ),
    Scene(
        "wg-summary",
        "Long meeting notes, and a search without accents",
        "Notes longer than a message are posted whole as an attached Markdown file; the search finds "
        "réunion typed as reunion.",
        summary,
    ),
    Scene(
        "wg-initiative",
        "An initiative for the index",
        "A member proposes an initiative through a form, a moderator approves it, the member is told by "
        "DM, and the index is exported as CSV and Markdown.",
        initiative,
    ),
    Scene(
        "wg-report",
        "Four weeks on: the progress report, and a nudge",
        "Groups mark workplan items and deliverables done and post updates; the one group without news "
        "for four weeks is flagged Needs attention and nudged once; /wg report shows every group's "
        "progress with a chart.",
        report,
    ),
)
