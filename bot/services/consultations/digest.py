"""The consultations' section of the weekly digest: consultations open (those closing soon first,
flagged) and the results of those closed since the last digest.

A ``SectionBuilder`` (``bot.services.digest.model``) registered in ``build_services`` at order 30,
after the working groups and before the directory. Worded in the reader's language from the digest's
catalog (``digest.consultations.*``); times are Discord timestamps. Hidden results are never shown
while a consultation is open (its turnout is), and an anonymous one never names a voter anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from bot.i18n import Catalog
from bot.limits import excerpt
from bot.services.digest.model import Section
from bot.services.digest.sections import message_url, timestamp

if TYPE_CHECKING:
    from bot.services.consultations import ConsultationService, Tally

#: Open consultations closing within this much of the digest are flagged "closing soon".
CLOSING_SOON: Final = timedelta(days=3)
#: At most this many open consultations are listed; the section says how many more.
MAX_OPEN_LISTED: Final = 15
ORDER: Final = 30


class ConsultationsDigest:
    """``ConsultationsDigest(service, catalog).section`` is the builder."""

    def __init__(self, service: ConsultationService, catalog: Catalog) -> None:
        self._service = service
        self._catalog = catalog

    async def section(self, guild_id: int, since: datetime, until: datetime, lang: str) -> Section | None:
        t = self._catalog.t

        open_polls = [
            state.poll for state in await self._service.open_polls(guild_id, 0, limit=MAX_OPEN_LISTED + 1)
        ]
        closed = await self._service.closed_between(guild_id, since, until)
        items: list[str] = []
        listed = open_polls[:MAX_OPEN_LISTED]
        for poll in sorted(listed, key=lambda p: (p.closes_at, p.id)):
            soon = poll.closes_at - until <= CLOSING_SOON
            line = t(
                lang,
                "digest.consultations.closing_soon" if soon else "digest.consultations.open",
                question=excerpt(poll.question, 200),
                when=timestamp(poll.closes_at, "f"),
                relative=timestamp(poll.closes_at, "R"),
                ballots=poll.ballot_count,
            )
            if poll.message_id:
                line += " " + t(
                    lang,
                    "digest.consultations.vote",
                    url=message_url(guild_id, poll.channel_id, poll.message_id),
                )
            items.append(line)
        if len(open_polls) > MAX_OPEN_LISTED:
            items.append(t(lang, "digest.consultations.more", count=len(open_polls) - MAX_OPEN_LISTED))
        for poll in closed:
            tally = await self._service.tally(poll.id, viewer_is_moderator=True)
            items.append(self._result(tally, guild_id, lang))
        if not items:
            return None
        return Section("consultations", t(lang, "digest.consultations.title"), tuple(items))

    def _result(self, tally: Tally, guild_id: int, lang: str) -> str:
        t = self._catalog.t
        poll = tally.poll
        labels = {option.position: option.label for option in poll.options}
        winners = ", ".join(excerpt(labels[p], 80) for p in tally.winners if p in labels)
        turnout = (
            t(
                lang,
                "digest.consultations.turnout_organisations",
                ballots=tally.turnout.ballots,
                registered=tally.turnout.registered,
                percent=round(tally.turnout.percent or 0),
            )
            if tally.turnout.registered is not None
            else t(lang, "digest.consultations.turnout", count=tally.turnout.ballots)
        )
        line = t(
            lang,
            "digest.consultations.result" if winners else "digest.consultations.no_result",
            question=excerpt(poll.question, 200),
            winners=winners,
            turnout=turnout,
        )
        if tally.quorum_reached is False:
            line += " " + t(lang, "digest.consultations.no_quorum")
        if poll.message_id:
            line += " " + t(
                lang, "digest.consultations.read", url=message_url(guild_id, poll.channel_id, poll.message_id)
            )
        return line
