"""Elections: the Steering Committee opens an election of its officers, the WIM organisations'
representatives nominate their leaders, each nominee accepts or declines in a DM in their own
language, and after the vote (one ranked ballot per organisation) the single transferable vote is
posted round by round with its quota, transfer and tie rules. Only slash commands and clicks.

Plays after the consultation's scenes: Amara represents Women in Mining Ghana and Valentina Mujeres
en Minería Perú."""

from __future__ import annotations

from datetime import timedelta

from tests.demo.tour import Scene, Tour
from tests.double import Message

TITLE = "Steering Committee officers 2027"
BALLOT = "elections.ballot"  # tour.shared keys
VOTING_CLOSES = "elections.voting_closes"


def _nomination(message: Message) -> int:
    custom_id = next(c for c in message.custom_ids() if c.startswith("election:nomination:"))
    return int(custom_id.split(":")[2])


def _poll_id(message: Message) -> int:
    custom_id = next(c for c in message.custom_ids() if c.startswith("poll:rank:"))
    return int(custom_id.split(":")[2])


async def nominate(tour: Tour) -> None:
    cast = tour.cast
    tour.note(
        "A third WIM organisation joins the directory, with Margaux as its representative; Ada and Lucía "
        "are verified leaders of Ghana and Peru. Only verified leaders can be nominated."
    )
    await tour.command(
        cast["grace"],
        "org add",
        {"name": "Women in Mining France", "country": "FR", "website": "https://www.example.org/wim-france"},
    )
    for persona, org, standing in (
        ("margaux", "Women in Mining France", "representative"),
        ("ada", "Women in Mining Ghana", "leader"),
        ("lucia", "Mujeres en Minería Perú", "leader"),
    ):
        await tour.command(
            cast["grace"],
            "org verify",
            {"member": tour.member(cast[persona]), "org": org, "standing": standing},
            shown={"member": cast[persona].name, "standing": standing.capitalize()},
        )
    tour.note(
        "Claire opens the election in #general: two seats, a week of nominations, then a week of voting. "
        "The call for nominations is posted there."
    )
    mark = tour.mark()
    await tour.command(
        cast["claire"],
        "poll election",
        {"title": TITLE, "seats": 2, "nominations": "7d", "voting": "7d", "max_nominations": 2},
    )
    await tour.channel_post("general", lambda m: TITLE in m.content, after=mark, caption="In #general")
    tour.shared[VOTING_CLOSES] = tour.now() + timedelta(days=14)
    tour.note(
        "Each organisation's representative nominates up to two of its leaders (a representative may "
        "stand too). Each nominee gets a direct message, in their language, to accept or decline."
    )
    dms: dict[str, Message] = {}
    for by, nominee in (
        ("amara", "ada"),
        ("amara", "amara"),
        ("valentina", "lucia"),
        ("valentina", "valentina"),
    ):
        mark = tour.mark()
        await tour.command(
            cast[by],
            "poll nominate",
            {"election": TITLE, "member": tour.member(cast[nominee])},
            shown={"member": cast[nominee].name},
        )
        dms[nominee] = await tour.dm(cast[nominee], lambda m: bool(m.custom_ids()), after=mark)
    for nominee in ("ada", "amara", "lucia"):
        nomination = _nomination(dms[nominee])
        await tour.click(
            cast[nominee], dms[nominee], f"election:nomination:{nomination}:approve", on="the nomination DM"
        )
    tour.note("Valentina declines: she will not be on the ballot.")
    nomination = _nomination(dms["valentina"])
    await tour.click(
        cast["valentina"],
        dms["valentina"],
        f"election:nomination:{nomination}:decline",
        on="the nomination DM",
    )


async def vote(tour: Tour) -> None:
    cast = tour.cast
    mark = tour.mark()
    await tour.advance_to(tour.now() + timedelta(days=7, minutes=1), why="past the close of nominations")
    ballot = await tour.channel_post(
        "general",
        lambda m: TITLE in m.text and bool(m.custom_ids()),
        after=mark,
        caption="In #general: the ranked ballot among the three accepted candidates",
    )
    tour.shared[BALLOT] = ballot
    poll_id = _poll_id(ballot)
    tour.note(
        "Each organisation ranks the candidates in its own private ranking, fixed step by step before it "
        "is confirmed. Ghana ranks Ada, Amara, Lucía; Peru and France rank Ada, then Lucía."
    )
    for persona, ranking in (("amara", (1, 2, 3)), ("valentina", (1, 3)), ("margaux", (1, 3))):
        step = await tour.click(cast[persona], ballot, f"poll:rank:{poll_id}", on="the ballot")
        done: list[int] = []
        for position in ranking:
            custom_id = f"poll:rk:add:{poll_id}:{'.'.join(map(str, done))}"
            handle = await tour.double.select(
                tour.double.message(step.id), custom_id, [str(position)], user=tour.member(cast[persona])
            )
            await handle.response(timeout=15)
            done.append(position)
        confirm = f"poll:rk:ok:{poll_id}:{'.'.join(map(str, done))}"
        await tour.click(cast[persona], tour.double.message(step.id), confirm, on="their ranking")


async def results(tour: Tour) -> None:
    mark = tour.mark()
    await tour.advance_to(tour.shared[VOTING_CLOSES] + timedelta(minutes=1), why="past the close of voting")
    await tour.channel_post(
        "general",
        lambda m: TITLE in m.text and bool(m.attachments),
        after=mark,
        caption="In #general, once: every round of the count, the quota and the rules",
    )


SCENES = (
    Scene(
        "elections-nominate",
        "An election of Steering Committee officers",
        "Representatives nominate their organisation's verified leaders; each nominee accepts or "
        "declines in a direct message in their own language.",
        nominate,
    ),
    Scene(
        "elections-vote",
        "The ranked ballot",
        "At the close of nominations the ballot among the accepted candidates is posted; each WIM "
        "organisation ranks them once.",
        vote,
    ),
    Scene(
        "elections-results",
        "The election's result",
        "At the close the single transferable vote is posted round by round, with the Droop quota, the "
        "surplus transfers and the tie rule.",
        results,
    ),
)
