"""The organisation directory: organisations added by the Secretariat, a leader's claim approved in
mod-log, the list and a card in each member's language, and the export for the Alliance's public page.
Only slash commands and button clicks, as members would."""

from __future__ import annotations

import re

from tests.demo.tour import Scene, Tour
from tests.double import Message

PERU = "directory.peru"  # tour.shared keys
CLAIM = re.compile(r"^org:claim:(\d+):approve$")


def _claim_id(message: Message) -> int:
    for custom_id in message.custom_ids():
        match = CLAIM.match(custom_id)
        if match:
            return int(match.group(1))
    raise AssertionError(f"no Approve button on the claim: {message.custom_ids()}")


def _is_claim(message: Message) -> bool:
    return any(CLAIM.match(custom_id) for custom_id in message.custom_ids())


async def add(tour: Tour) -> None:
    cast = tour.cast
    tour.note(
        "Grace, Head of Engagement at the Secretariat, puts two WIM organisations in the directory. The "
        "country can be typed by name or ISO code; the UN region follows from it."
    )
    await tour.command(
        cast["grace"],
        "org add",
        {
            "name": "Women in Mining Ghana",
            "country": "GH",
            "website": "https://www.example.org/wim-ghana",
            "description": "The network of women in Ghana's mining and extractive industries.",
            "joined": "2021-06-15",
        },
    )
    await tour.command(
        cast["grace"],
        "org add",
        {
            "name": "Mujeres en Minería Perú",
            "country": "PE",
            "website": "https://www.example.org/wim-peru",
            "description": "La red de mujeres de la minería peruana.",
            "description_language": "es",
            "linkedin": "https://www.linkedin.com/company/example-wim-peru",
            "joined": "2021-07-01",
        },
        shown={"description_language": "Spanish"},
    )
    tour.note("The same name in other letters is refused: names are compared without case or accents.")
    await tour.command(
        cast["grace"],
        "org add",
        {"name": "MUJERES EN MINERIA PERU", "country": "PE", "website": "https://www.example.org/copy"},
    )


async def claim(tour: Tour) -> None:
    cast = tour.cast
    tour.note(
        "Valentina leads a WIM organisation in Peru and uses Discord in Spanish. She asks to be linked to "
        "it as its representative, who will answer the Alliance's consultations."
    )
    mark = tour.mark()
    await tour.command(
        cast["valentina"],
        "org join",
        {"org": "Mujeres en Minería Perú", "standing": "representative"},
        shown={"standing": "Representative"},
    )
    post = await tour.channel_post(
        "mod_log", _is_claim, after=mark, caption="In #mod-log, for the moderators"
    )
    tour.shared[PERU] = post
    claim_id = _claim_id(post)
    tour.note("Claire, of the Steering Committee, approves it. The buttons carry only the claim's id.")
    mark = tour.mark()
    await tour.click(cast["claire"], post, f"org:claim:{claim_id}:approve", on="the claim in #mod-log")
    await tour.dm(cast["valentina"], after=mark)
    tour.note(
        "The post now says who decided, with its buttons off: had Grace clicked Decline at the same "
        "moment, one decision would have counted and she would have been told which."
    )


async def read(tour: Tour) -> None:
    cast = tour.cast
    tour.note("Lucía browses the directory in Spanish; Margaux opens the Peruvian card in French.")
    await tour.command(cast["lucia"], "org list")
    await tour.command(cast["margaux"], "org info", {"org": "Mujeres en Minería Perú"})
    await tour.command(cast["valentina"], "org me")


async def export(tour: Tour) -> None:
    tour.note(
        "For the Alliance's public web page, Grace exports the directory: a CSV of every organisation, "
        "Markdown grouped by region then country, and a chart of organisations per region. No Discord "
        "names are in them."
    )
    await tour.command(tour.cast["grace"], "org export")


SCENES = (
    Scene(
        "directory-add",
        "The directory of WIM organisations",
        "The Secretariat adds organisations with their country, UN region, website and description.",
        add,
    ),
    Scene(
        "directory-claim",
        "A leader's claim, approved in mod-log",
        "A WIM leader asks to represent her organisation; a moderator approves it with a button and she "
        "is told by DM in Spanish (verified leaders and representatives get the WIM Leaders role).",
        claim,
    ),
    Scene(
        "directory-read",
        "Reading the directory",
        "The list by region and an organisation's card, each in the reader's language.",
        read,
    ),
    Scene(
        "directory-export",
        "Export for the public page",
        "CSV, Markdown by region and country, and a PNG chart, from one command.",
        export,
    ),
)
