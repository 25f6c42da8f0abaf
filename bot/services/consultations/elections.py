"""Elections of Steering Committee officers: nominations by the WIM organisations, the nominees'
answers, and the close of nominations that opens the ranked ballot among the accepted candidates.

* ``create``: the election, its ``election.announce`` timer (the call for nominations in its channel,
  outbox) and its ``election.nominations_close`` timer.
* ``search``: the elections a member may name (autocomplete, typed titles).
* ``nominate``: a verified representative of an active organisation nominates a verified leader (or
  representative) of the same organisation, up to ``max_nominations`` per organisation (declined
  nominations do not count); an ``election.nomination`` timer DMs the nominee the accept/decline
  buttons (outbox).
* ``answer``: the nominee accepts or declines, once (a second click learns what was decided).
* ``close_nominations`` (the timer's handler): with at least ``seats`` accepted candidates, the
  election's poll is created (ranked, one ballot per organisation, closing at ``voting_closes_at``;
  one seat: instant-runoff, several: single transferable vote) with the poll's own timers; with fewer,
  the election becomes ``short`` and an ``election.short`` timer tells the moderators, who extend the
  nominations (``extend``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from bot.clock import Clock
from bot.countries import fold
from bot.db import Database
from bot.errors import NotFound, PermissionDenied, UserFacingError
from bot.limits import clip
from bot.repositories import consultations as repo
from bot.services.consultations import validation
from bot.services.consultations.model import (
    ELECTION_ANNOUNCE,
    ELECTION_NOMINATION,
    ELECTION_NOMINATIONS_CLOSE,
    ELECTION_SHORT,
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    MAX_QUESTION_LENGTH,
    MIN_OPEN,
    NOMINATION_DM_RETRY,
    Election,
    ElectionDraft,
    Nomination,
    NominationAnswer,
    NominationsOutcome,
)
from bot.timeutil import utc_iso

if TYPE_CHECKING:
    from bot.services.consultations import ConsultationService
    from bot.services.timers import TimerService

#: Elections still taking nominations (``short``: nominations closed with too few candidates, until
#: the moderators extend them).
OPEN_STATUSES: Final = ("nominating", "short")


class Elections:
    def __init__(self, db: Database, clock: Clock, timers: TimerService, polls: ConsultationService) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._polls = polls

    async def create(self, draft: ElectionDraft) -> Election:
        """Raises ``consultations.errors.{question_empty, question_too_long, bad_seats,
        bad_max_nominations, bad_language, closes_*, bad_closes}``."""
        now = self._clock.now()
        title = validation.question(draft.title)
        seats = validation.seats(draft.seats)
        max_nominations = validation.max_nominations(draft.max_nominations)
        language = validation.language(draft.language)
        nominations_close = validation.deadline(draft.nominations_close, draft.timezone, now)
        voting_closes = validation.deadline(draft.voting_closes, draft.timezone, now, after=nominations_close)
        values = {
            "guild_id": draft.guild_id,
            "channel_id": draft.channel_id,
            "creator_id": draft.creator_id,
            "title": title,
            "seats": seats,
            "max_nominations": max_nominations,
            "language": language,
            "nominations_close_at": utc_iso(nominations_close),
            "voting_closes_at": utc_iso(voting_closes),
            "created_at": utc_iso(now),
        }
        async with self._db.transaction() as tx:
            election_id = await self._db.write(repo.insert_election, values)
            payload = {"guild_id": draft.guild_id, "election_id": election_id}
            await self._timers.schedule(ELECTION_ANNOUNCE, now, payload, tx=tx)
            await self._timers.schedule(ELECTION_NOMINATIONS_CLOSE, nominations_close, payload, tx=tx)
            election = await self._db.read(repo.get_election, election_id)
        assert election is not None
        return election

    async def get(self, election_id: int, *, guild_id: int | None = None) -> Election:
        return _usable(await self._db.read(repo.get_election, election_id), guild_id)

    async def search(
        self, guild_id: int, text: str, *, statuses: Sequence[str] = OPEN_STATUSES, limit: int = 25
    ) -> list[Election]:
        """Elections of the guild in ``statuses`` (default: taking nominations, or short of
        candidates) whose title contains ``text``, soonest close of nominations first."""
        if not statuses or limit <= 0:
            return []
        return await self._db.read(
            repo.find_elections, guild_id, text.strip()[:MAX_QUESTION_LENGTH], tuple(statuses), limit
        )

    async def nominate(self, election_id: int, user_id: int, nominee_id: int, *, guild_id: int) -> Nomination:
        """Raises ``consultations.errors.{unknown_election, nominations_closed, not_representative,
        nominee_not_leader, too_many_nominations, already_nominated}``."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            election = _usable(await self._db.read(repo.get_election, election_id), guild_id)
            if election.status not in ("nominating", "short") or now >= election.nominations_close_at:
                raise UserFacingError("consultations.errors.nominations_closed", title=election.title)

            def checks(conn: sqlite3.Connection) -> int:
                speaking = repo.representative_of(conn, guild_id, user_id)
                if speaking is None:
                    raise PermissionDenied("consultations.errors.not_representative")
                organisation_id = speaking[0]
                if repo.leader_of(conn, guild_id, nominee_id) != organisation_id:
                    raise UserFacingError("consultations.errors.nominee_not_leader", user_id=nominee_id)
                standing = [
                    n
                    for n in repo.nominations_of(conn, election_id, organisation_id)
                    if n.status != "declined"
                ]
                if len(standing) >= election.max_nominations:
                    raise UserFacingError(
                        "consultations.errors.too_many_nominations", limit=election.max_nominations
                    )
                new_id = repo.insert_nomination(conn, election_id, organisation_id, nominee_id, user_id, now)
                if new_id is None:
                    raise UserFacingError("consultations.errors.already_nominated", user_id=nominee_id)
                return new_id

            nomination_id = await self._db.write(checks)
            await self._timers.schedule(
                ELECTION_NOMINATION, now, {"guild_id": guild_id, "nomination_id": nomination_id}, tx=tx
            )
            nomination = await self._db.read(repo.get_nomination, nomination_id)
        assert nomination is not None
        return nomination

    async def nomination_to_send(self, nomination_id: int) -> tuple[Nomination, Election] | None:
        """``election.nomination``: the pending nomination and its election (None: answered or gone)."""
        nomination = await self._db.read(repo.get_nomination, nomination_id)
        if nomination is None or nomination.status != "pending":
            return None
        election = await self._db.read(repo.get_election, nomination.election_id)
        return None if election is None else (nomination, election)

    async def dm_again_later(self, nomination_id: int) -> bool:
        """For the ``election.nomination`` handler when the nominee could not be reached (closed DMs):
        the same DM again in ``NOMINATION_DM_RETRY``, while the nomination is pending and the
        nominations close later than that. True when a retry is pending. One at most, however often
        this runs for one attempt (a handler run again after a crash finds the one it wrote)."""
        pending = await self.nomination_to_send(nomination_id)
        if pending is None:
            return False
        nomination, election = pending
        due = self._clock.now() + NOMINATION_DM_RETRY
        if election.status not in ("nominating", "short") or due >= election.nominations_close_at:
            return False
        payload = {"guild_id": election.guild_id, "nomination_id": nomination.id}
        await self._timers.ensure_pending(ELECTION_NOMINATION, due, payload)
        return True

    async def awaiting_retry(self, nomination_id: int) -> bool:
        """True while the nomination's DM waits to be sent again (the nominee could not be reached):
        for the nominator's answer, once the first attempt has run."""
        pending = await self._timers.pending_matching(ELECTION_NOMINATION, nomination_id=nomination_id)
        return any(timer.attempts == 0 and timer.due_at > self._clock.now() for timer in pending)

    async def answer(self, nomination_id: int, user_id: int, *, accept: bool) -> NominationAnswer:
        """The nominee's accept/decline click. Raises ``consultations.errors.{unknown_nomination,
        not_your_nomination, nominations_closed}``."""
        now = self._clock.now()

        def answer(conn: sqlite3.Connection) -> NominationAnswer:
            nomination = repo.get_nomination(conn, nomination_id)
            election = None if nomination is None else repo.get_election(conn, nomination.election_id)
            if nomination is None or election is None:
                raise NotFound("consultations.errors.unknown_nomination")
            if nomination.nominee_id != user_id:
                raise PermissionDenied("consultations.errors.not_your_nomination")
            if nomination.status != "pending":
                return NominationAnswer(nomination, election, answered_now=False)
            if election.status not in ("nominating", "short"):
                raise UserFacingError("consultations.errors.nominations_closed", title=election.title)
            repo.answer_nomination(conn, nomination_id, "accepted" if accept else "declined", now)
            answered = repo.get_nomination(conn, nomination_id)
            assert answered is not None
            return NominationAnswer(answered, election, answered_now=True)

        return await self._db.write(answer)

    async def nominations(self, election_id: int) -> list[Nomination]:
        return await self._db.read(repo.nominations_of, election_id, None)

    async def close_nominations(
        self, election_id: int, names: dict[int, str] | None = None
    ) -> NominationsOutcome | None:
        """The ``election.nominations_close`` handler. ``names``: the candidates' display names (the
        options' labels; a missing one reads "#<user id>"). Idempotent: once the election has moved
        on, it returns how it stands without writing anything. None: the election is gone."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            election = await self._db.read(repo.get_election, election_id)
            if election is None:
                return None
            nominations = await self._db.read(repo.nominations_of, election_id, None)
            accepted = tuple(n for n in nominations if n.status == "accepted")[:MAX_OPTIONS]
            declined = tuple(n for n in nominations if n.status == "declined")
            if election.status != "nominating":
                poll = None if election.poll_id is None else await self._polls.get(election.poll_id)
                short_by = max(election.seats - len(accepted), 0) if election.status == "short" else 0
                return NominationsOutcome(election, accepted, poll, short_by, declined)
            payload = {"guild_id": election.guild_id, "election_id": election_id}
            if len(accepted) < election.seats:
                await self._db.write(repo.set_election, election_id, {"status": "short"})
                await self._timers.schedule(ELECTION_SHORT, now, payload, tx=tx)
                updated = await self.get(election_id)
                return NominationsOutcome(updated, accepted, None, election.seats - len(accepted), declined)
            values: dict[str, Any] = {
                "guild_id": election.guild_id,
                "channel_id": election.channel_id,
                "creator_id": election.creator_id,
                "question": election.title,
                "kind": "ranked",
                "voters": "organisations",
                "language": election.language,
                "election_id": election_id,
                "seats": election.seats,
                "opens_at": utc_iso(now),
                "closes_at": utc_iso(max(election.voting_closes_at, now + MIN_OPEN)),
                "created_at": utc_iso(now),
            }
            poll = await self._polls.insert_for_election(values, _candidate_options(accepted, names or {}))
            await self._db.write(repo.set_election, election_id, {"status": "voting"})
            updated = await self.get(election_id)
        return NominationsOutcome(updated, accepted, poll, 0, declined)

    async def extend(self, election_id: int, closes: str, timezone: str, *, guild_id: int) -> Election:
        """Moderators' answer to a short election: nominations reopen until ``closes`` (a duration or
        a local date and time); the voting deadline moves by as much when it would come first."""
        now = self._clock.now()
        new_close = validation.deadline(closes, timezone, now)
        async with self._db.transaction() as tx:
            election = _usable(await self._db.read(repo.get_election, election_id), guild_id)
            if election.status not in ("nominating", "short"):
                raise UserFacingError("consultations.errors.nominations_closed", title=election.title)
            voting = election.voting_closes_at
            if voting <= new_close:
                voting = new_close + (election.voting_closes_at - election.nominations_close_at)
            await self._db.write(
                repo.set_election,
                election_id,
                {"status": "nominating", "nominations_close_at": new_close, "voting_closes_at": voting},
            )
            await self._timers.cancel_matching(ELECTION_NOMINATIONS_CLOSE, tx=tx, election_id=election_id)
            await self._timers.schedule(
                ELECTION_NOMINATIONS_CLOSE,
                new_close,
                {"guild_id": election.guild_id, "election_id": election_id},
                tx=tx,
            )
            return await self.get(election_id)


def _candidate_options(
    accepted: tuple[Nomination, ...], names: dict[int, str]
) -> list[tuple[str, str, int | None]]:
    options: list[tuple[str, str, int | None]] = []
    keys: set[str] = set()
    for nomination in accepted:
        label = clip(" ".join((names.get(nomination.nominee_id) or "").split()), MAX_OPTION_LENGTH)
        if not label:
            label = f"#{nomination.nominee_id}"
        key = fold(label)
        if key in keys:  # two candidates with one display name: the id tells them apart
            label = clip(f"{label} #{nomination.nominee_id}", MAX_OPTION_LENGTH)
            key = fold(label)
        keys.add(key)
        options.append((label, key, nomination.nominee_id))
    return options


def _usable(election: Election | None, guild_id: int | None) -> Election:
    if election is None or (guild_id is not None and election.guild_id != guild_id):
        raise NotFound("consultations.errors.unknown_election")
    return election
