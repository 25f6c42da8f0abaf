"""Consultations: the Steering Committee consults the WIM organisations of the directory (one ballot
each, cast by their representatives), a member who is not one is told how to become one, a
representative changes her organisation's ballot, and at the deadline the results are posted once,
with the turnout by UN region and the chart. Only slash commands and button clicks, as members would.

Plays after the directory's scenes: Valentina already represents Mujeres en Minería Perú."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.demo.tour import Scene, Tour
from tests.double import Message

POLL = "consultations.poll"  # tour.shared keys
CLOSES = "consultations.closes"
QUESTION = "Which theme should the 2027 Global WIM Summit put first?"
POLL_ID = re.compile(r"^poll:vote:(\d+):")


def _poll_id(message: Message) -> int:
    for custom_id in message.custom_ids():
        match = POLL_ID.match(custom_id)
        if match:
            return int(match.group(1))
    raise AssertionError(f"no vote button on the poll: {message.custom_ids()}")


async def consult(tour: Tour) -> None:
    cast = tour.cast
    tour.note(
        "Grace verifies Amara as the representative of Women in Mining Ghana: representatives cast their "
        "organisation's ballot in consultations."
    )
    await tour.command(
        cast["grace"],
        "org verify",
        {"member": tour.member(cast["amara"]), "org": "Women in Mining Ghana", "standing": "representative"},
        shown={"member": "Amara", "standing": "Representative"},
    )
    tour.note(
        "Claire, of the Steering Committee, opens a consultation of the WIM organisations in #general, "
        "closing in three days. The poll is posted with a button per option and its deadline."
    )
    mark = tour.mark()
    await tour.command(
        cast["claire"],
        "poll create",
        {
            "question": QUESTION,
            "options": "Safety in operations; Leadership pipelines; Data on women in mining",
            "closes": "3d",
            "voters": "organisations",
        },
        shown={"voters": "WIM organisations (one ballot each)"},
    )
    poll = await tour.channel_post(
        "general", lambda m: QUESTION in m.text and bool(m.custom_ids()), after=mark, caption="In #general"
    )
    tour.shared[POLL] = poll
    tour.shared[CLOSES] = tour.now() + timedelta(days=3)
    poll_id = _poll_id(poll)
    tour.note("Valentina answers for Peru, in Spanish; Amara for Ghana.")
    await tour.click(cast["valentina"], poll, f"poll:vote:{poll_id}:3", on="the consultation")
    await tour.click(cast["amara"], poll, f"poll:vote:{poll_id}:1", on="the consultation")
    tour.note(
        "Margaux is a member, not a representative: she is told how to become one, and nothing changes."
    )
    await tour.click(cast["margaux"], poll, f"poll:vote:{poll_id}:2", on="the consultation")
    tour.note(
        "Amara changes her mind: her organisation still has one ballot, now replaced. Had another "
        "representative of Ghana cast it, she would be told who."
    )
    await tour.click(cast["amara"], poll, f"poll:vote:{poll_id}:3", on="the consultation")
    await tour.updated(poll, lambda m: "Turnout: 2 of 2" in m.text, caption="The consultation, updated")


async def results(tour: Tour) -> None:
    poll: Message = tour.shared[POLL]
    closes = tour.shared[CLOSES]
    mark = tour.mark()
    await tour.advance_to(closes + timedelta(minutes=1), why="past the consultation's deadline")
    await tour.channel_post(
        "general",
        lambda m: QUESTION in m.text and bool(m.attachments),
        after=mark,
        caption="In #general, once, at the deadline",
    )
    await tour.updated(
        poll,
        lambda m: all(button.get("disabled") for button in m.buttons()),
        caption="The consultation's buttons, now off",
    )


SCENES = (
    Scene(
        "consultations-consult",
        "A consultation of the WIM organisations",
        "The Steering Committee consults the organisations: one ballot each, cast or replaced by their "
        "representatives; a member who is not one is told how to become one.",
        consult,
    ),
    Scene(
        "consultations-results",
        "The consultation's results",
        "At the deadline the results are posted once, with the turnout by UN region and a chart.",
        results,
    ),
)
