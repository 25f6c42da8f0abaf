"""The weekly digest: a member subscribes by DM, another previews it in her language, and at its time
on Monday the digest is posted in #weekly-digest and DMed in French. Only slash commands, as members
would, and the test clock moved to the digest's time."""

from __future__ import annotations

from tests.demo.tour import Scene, Tour
from tests.double import Message


def _is_digest(message: Message) -> bool:
    return any((embed.get("title") or "").startswith("Weekly digest") for embed in message.embeds)


async def subscribe(tour: Tour) -> None:
    cast = tour.cast
    tour.note(
        "Margaux reads Discord in French and would rather get the weekly digest by direct message. Lucía "
        "looks at this week's digest as it stands, in Spanish: only she sees it."
    )
    await tour.command(cast["margaux"], "digest subscribe")
    await tour.command(cast["lucia"], "digest preview")


async def weekly(tour: Tour) -> None:
    cast = tour.cast
    slot = tour.config.digest.next_run(tour.now())
    tour.note(
        "The digest goes out once a week at the configured day and local time (config.yml: Monday 09:00), "
        "in #weekly-digest's language: the events of the next 14 days with their answers, what the working "
        "groups did, the directory's newcomers and last week's attendance, each section left out when empty."
    )
    mark = tour.mark()
    await tour.advance_to(slot, why="to the weekly digest's time")
    await tour.channel_post("digest", _is_digest, after=mark, caption="In #weekly-digest, for everyone")
    await tour.dm(
        cast["margaux"], lambda m: any(e.get("title", "").startswith("Résumé") for e in m.embeds), after=mark
    )
    tour.note(
        "It counts as this week's: a restart, or a moderator's /digest send, does not post it again. "
        "A digest missed while the bot was down goes out at start if under 12 hours late."
    )


SCENES = (
    Scene(
        "digest-subscribe",
        "The weekly digest, by DM or as a preview",
        "A member subscribes to the weekly digest by direct message; another previews it in Spanish.",
        subscribe,
    ),
    Scene(
        "digest-weekly",
        "Monday's digest",
        "At its time the digest is posted in #weekly-digest and DMed to subscribers in their own language.",
        weekly,
    ),
)
