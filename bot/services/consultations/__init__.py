"""Consultations: polls of the members or of the WIM organisations, and Steering Committee elections.

The cog in ``cogs/consultations/`` parses options, checks permissions (moderators, a coordinator in
their group's channel), calls :class:`ConsultationService` and renders. Everything that decides lives
here, one module for each kind of thing:

* :mod:`.model`: timer kinds, limits, the values taken and returned;
* :mod:`.validation`: what a member typed, checked before anything is written;
* :mod:`.counting`: instant-runoff and single transferable vote (quota, transfer and tie rules there);
* :mod:`.tally`: counts, turnout, quorum, the export;
* :mod:`.elections`: nominations, answers, the close of nominations;
* here: creating, voting, closing, reading, nudging, and the outbox reads of the timer handlers.

Integrity: one ballot per member or organisation (UNIQUE in the schema); a vote is one
``db.write`` action (read, checks, write, the refresh mark) and is acknowledged only once committed;
the poll message is refreshed through one pending ``poll.refresh`` timer at most every 2 seconds.
In organisation mode only a verified representative of an active organisation casts or replaces its
ballot; the ballot belongs to the organisation, so a representative who leaves leaves it in place
(and can no longer change it). Anonymous: ``cast_by`` is stored (to replace a ballot and tell an
organisation who cast it) but never returned to anyone else, shown or exported.

Errors the member can fix are ``UserFacingError("consultations.errors.<key>")``, every key in
``bot/locales/<lang>/consultations.yml``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec.structs

from bot.clock import Clock
from bot.db import Database
from bot.errors import NotFound, PermissionDenied, UserFacingError
from bot.repositories import consultations as repo
from bot.services.consultations import validation
from bot.services.consultations.counting import count_ranked
from bot.services.consultations.elections import Elections
from bot.services.consultations.model import (
    ELECTION_ANNOUNCE,
    ELECTION_NOMINATION,
    ELECTION_NOMINATIONS_CLOSE,
    ELECTION_SHORT,
    KINDS,
    MAX_COMMENT_LENGTH,
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    MAX_QUESTION_LENGTH,
    NOMINATION_DM_RETRY,
    POLL_CLOSE,
    POLL_NUDGE,
    POLL_POST,
    POLL_REFRESH,
    POLL_REMIND,
    POLL_RESULTS,
    QUORUM_KINDS,
    REFRESH_DEBOUNCE,
    REMIND_BEFORE,
    RESULTS,
    VOTERS,
    Ballot,
    CloseResult,
    Election,
    ElectionDraft,
    Export,
    Nomination,
    NominationAnswer,
    NominationsOutcome,
    NudgeResult,
    NudgeTarget,
    OptionCount,
    Poll,
    PollDraft,
    PollOption,
    RankedCount,
    RegionTurnout,
    Round,
    Tally,
    Transfer,
    Turnout,
    Unanswered,
    VoteReceipt,
)
from bot.services.consultations.tally import csv_text, eligible_now, export_rows, tally_of
from bot.timeutil import utc_iso

if TYPE_CHECKING:
    from bot.services.organisations import OrganisationService
    from bot.services.timers import TimerService

__all__ = [
    "ELECTION_ANNOUNCE",
    "ELECTION_NOMINATION",
    "ELECTION_NOMINATIONS_CLOSE",
    "ELECTION_SHORT",
    "KINDS",
    "MAX_COMMENT_LENGTH",
    "MAX_OPTIONS",
    "MAX_OPTION_LENGTH",
    "MAX_QUESTION_LENGTH",
    "NOMINATION_DM_RETRY",
    "OPEN_BALLOT_GUARD",
    "POLL_CLOSE",
    "POLL_NUDGE",
    "POLL_POST",
    "POLL_REFRESH",
    "POLL_REMIND",
    "POLL_RESULTS",
    "QUORUM_KINDS",
    "RESULTS",
    "VOTERS",
    "Ballot",
    "CloseResult",
    "ConsultationService",
    "Election",
    "ElectionDraft",
    "Export",
    "Nomination",
    "NominationAnswer",
    "NominationsOutcome",
    "NudgeResult",
    "NudgeTarget",
    "OptionCount",
    "Poll",
    "PollDraft",
    "PollOption",
    "PollState",
    "RankedCount",
    "RegionTurnout",
    "Round",
    "Tally",
    "Transfer",
    "Turnout",
    "Unanswered",
    "VoteReceipt",
    "count_ranked",
]

#: The reason ``/org remove`` gives while an organisation has a ballot in an open consultation.
OPEN_BALLOT_GUARD = "consultations.guards.open_ballot"


class PollState(msgspec.Struct, frozen=True):
    """An open poll in /poll list, with whether the member (or their organisation) has answered."""

    poll: Poll
    answered: bool


def _payload(poll: Poll | int, guild_id: int | None = None) -> dict[str, Any]:
    if isinstance(poll, Poll):
        return {"guild_id": poll.guild_id, "poll_id": poll.id}
    return {"guild_id": guild_id, "poll_id": poll}


class ConsultationService:
    """``ConsultationService(db, clock, timers, organisations)``; no Discord here. Registers the
    removal guard of the organisation directory."""

    def __init__(
        self, db: Database, clock: Clock, timers: TimerService, organisations: OrganisationService
    ) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self.elections = Elections(db, clock, timers, self)  # the cog calls it directly
        organisations.add_removal_guard(self._removal_guard)

    async def _removal_guard(self, organisation_id: int) -> str | None:
        # Runs inside the removal's transaction: db.read joins it, so nothing opens in between.
        return OPEN_BALLOT_GUARD if await self._db.read(repo.has_open_ballot, organisation_id) else None

    # --- creating --------------------------------------------------------------------------------

    async def create(self, draft: PollDraft, *, election_id: int | None = None, seats: int = 1) -> Poll:
        """Check everything, then write the poll, its options and its timers in one transaction:
        ``poll.post`` (due now: the cog runs it at once with ``run_now``), ``poll.close`` at the
        deadline, ``poll.remind`` 24 hours before it (when that is still ahead).

        Raises ``consultations.errors.{question_empty, question_too_long, too_few_options,
        too_many_options, option_too_long, duplicate_option, bad_kind, bad_voters, bad_results,
        bad_language, bad_max_choices, bad_quorum, quorum_out_of_range, percent_quorum_members,
        closes_required, bad_closes, closes_in_past, closes_too_far}`` and ``validation.*``."""
        now = self._clock.now()
        question = validation.question(draft.question)
        options = validation.options(draft.options)
        kind = validation.kind(draft.kind)
        voters = validation.voters(draft.voters)
        results = validation.results(draft.results)
        language = validation.language(draft.language)
        max_choices = validation.max_choices(draft.max_choices, kind, len(options))
        quorum_kind, quorum = validation.quorum(draft.quorum, voters)
        closes_at = validation.deadline(draft.closes, draft.timezone, now)
        values = {
            "guild_id": draft.guild_id,
            "channel_id": draft.channel_id,
            "creator_id": draft.creator_id,
            "question": question,
            "kind": kind,
            "max_choices": max_choices,
            "voters": voters,
            "audience_role_id": draft.audience_role_id,
            "anonymous": int(draft.anonymous),
            "results": results,
            "comments": int(draft.comments),
            "quorum_kind": quorum_kind,
            "quorum": quorum,
            "language": language,
            "election_id": election_id,
            "seats": seats,
            "opens_at": utc_iso(now),
            "closes_at": utc_iso(closes_at),
            "created_at": utc_iso(now),
        }
        candidates = [None] * len(options)
        return await self._insert(
            values, [(label, key, c) for (label, key), c in zip(options, candidates, strict=True)]
        )

    async def _insert(self, values: dict[str, Any], options: Sequence[tuple[str, str, int | None]]) -> Poll:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            poll_id = await self._db.write(repo.insert_poll, values, options)
            poll = await self._db.read(repo.get_poll, poll_id)
            assert poll is not None
            payload = _payload(poll)
            await self._timers.schedule(POLL_POST, now, payload, tx=tx)
            await self._timers.schedule(POLL_CLOSE, poll.closes_at, payload, tx=tx)
            if poll.closes_at - REMIND_BEFORE > now:
                await self._timers.schedule(POLL_REMIND, poll.closes_at - REMIND_BEFORE, payload, tx=tx)
        return poll

    async def edit_options(
        self, poll_id: int, editor_id: int, options: str, *, is_moderator: bool, guild_id: int
    ) -> Poll:
        """Replace the options while no ballot exists (``options_locked`` after the first), by its
        creator or a moderator; the poll message is refreshed."""
        cleaned = validation.options(options)
        async with self._db.transaction() as tx:
            poll = await self._poll_in(poll_id, guild_id)
            self._require_manager(poll, editor_id, is_moderator)
            if not poll.is_open:
                raise UserFacingError("consultations.errors.poll_closed", question=poll.question)
            if poll.election_id is not None or poll.ballot_count > 0:
                raise UserFacingError("consultations.errors.options_locked")
            if poll.max_choices is not None and poll.max_choices > len(cleaned):
                raise UserFacingError(
                    "consultations.errors.bad_max_choices", value=poll.max_choices, limit=len(cleaned)
                )
            await self._db.write(repo.replace_options, poll_id, cleaned)
            await self._timers.ensure_pending(POLL_REFRESH, self._clock.now(), _payload(poll), tx=tx)
            updated = await self._db.read(repo.get_poll, poll_id)
        assert updated is not None
        return updated

    # --- voting ----------------------------------------------------------------------------------

    async def vote(
        self,
        poll_id: int,
        user_id: int,
        choices: Sequence[int],
        member_role_ids: Collection[int],
        *,
        guild_id: int,
        comment: str | None = None,
    ) -> VoteReceipt:
        """Record or replace the member's ballot (or their organisation's) and return what is now
        recorded. ``choices``: option positions, in preference order for a ranked poll. ``comment``:
        None keeps the recorded comment, "" removes it.

        One ``db.write`` action: read, checks, write, the refresh mark. Raises
        ``consultations.errors.{unknown_poll, poll_closed, not_in_audience, not_representative,
        no_choice, bad_choice, single_choice, too_many_choices, comments_off, comment_too_long}``."""
        now = self._clock.now()
        refresh_due = now + REFRESH_DEBOUNCE
        mark_refresh = self._timers.pending_marker(POLL_REFRESH, refresh_due)

        def cast(conn: sqlite3.Connection) -> tuple[VoteReceipt, int | None]:
            poll = repo.get_poll(conn, poll_id)
            poll = _usable(poll, guild_id)
            if not poll.is_open or now >= poll.closes_at:
                raise UserFacingError("consultations.errors.poll_closed", question=poll.question)
            if poll.audience_role_id is not None and poll.audience_role_id not in member_role_ids:
                raise PermissionDenied("consultations.errors.not_in_audience", role_id=poll.audience_role_id)
            picked = validation.choices(poll, choices)
            cleaned = validation.comment(comment, poll)
            organisation_id: int | None = None
            organisation_name: str | None = None
            if poll.by_organisation:
                speaking = repo.representative_of(conn, poll.guild_id, user_id)
                if speaking is None:
                    raise PermissionDenied("consultations.errors.not_representative")
                organisation_id, organisation_name = speaking
            ballot_id, previous = repo.put_ballot(
                conn,
                poll_id,
                user_id=None if poll.by_organisation else user_id,
                organisation_id=organisation_id,
                cast_by=user_id,
                at=now,
                choices=picked,
                comment=cleaned,
                keep_comment=comment is None,
            )
            refresh = mark_refresh(conn, _payload(poll))
            ballot = repo.ballot_of(
                conn,
                poll_id,
                user_id=None if poll.by_organisation else user_id,
                organisation_id=organisation_id,
            )
            assert ballot is not None and ballot.id == ballot_id
            counted = msgspec.structs.replace(poll, ballot_count=poll.ballot_count + (previous is None))
            receipt = VoteReceipt(
                poll=counted,
                ballot=ballot,
                replaced=previous is not None,
                previous_cast_by=None if previous is None else previous.cast_by,
                organisation_id=organisation_id,
                organisation_name=organisation_name,
            )
            return receipt, refresh

        receipt, refresh = await self._db.write(cast)
        if refresh is not None:
            self._timers.scheduled(refresh_due)
        return receipt

    async def my_ballot(self, poll_id: int, user_id: int, *, guild_id: int) -> Ballot | None:
        """What is recorded for the member (members mode) or their organisation (organisation mode,
        with who cast it): for the "your ballot" view. None: nothing yet."""

        def read(conn: sqlite3.Connection) -> Ballot | None:
            poll = _usable(repo.get_poll(conn, poll_id), guild_id)
            if not poll.by_organisation:
                return repo.ballot_of(conn, poll_id, user_id=user_id)
            speaking = repo.representative_of(conn, poll.guild_id, user_id)
            if speaking is None:
                return None
            return repo.ballot_of(conn, poll_id, organisation_id=speaking[0])

        return await self._db.read(read)

    # --- closing ---------------------------------------------------------------------------------

    async def close(self, poll_id: int, actor_id: int, *, is_moderator: bool, guild_id: int) -> CloseResult:
        """Close early (its creator or a moderator; ``not_poll_manager`` otherwise). Idempotent: a
        second close returns ``closed_now=False``."""
        return await self._close(poll_id, actor_id, is_moderator=is_moderator, guild_id=guild_id)

    async def close_due(self, poll_id: int) -> CloseResult | None:
        """The ``poll.close`` handler: close at the deadline (None: the poll is gone)."""
        try:
            return await self._close(poll_id, None, is_moderator=True, guild_id=None)
        except NotFound:
            return None

    async def _close(
        self, poll_id: int, actor_id: int | None, *, is_moderator: bool, guild_id: int | None
    ) -> CloseResult:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            poll = await self._poll_in(poll_id, guild_id)
            if actor_id is not None:
                self._require_manager(poll, actor_id, is_moderator)
            if not poll.is_open:
                return CloseResult(poll, closed_now=False)
            organisations = await self._db.read(repo.active_organisations, poll.guild_id)
            closed = await self._db.write(
                repo.close_poll, poll_id, now, actor_id, eligible_now(organisations)
            )
            if closed:
                payload = _payload(poll)
                await self._timers.cancel_matching(POLL_CLOSE, tx=tx, poll_id=poll_id)
                await self._timers.cancel_matching(POLL_REMIND, tx=tx, poll_id=poll_id)
                await self._timers.schedule(POLL_RESULTS, now, payload, tx=tx)
                await self._timers.ensure_pending(POLL_REFRESH, now, payload, tx=tx)
                if poll.election_id is not None:
                    await self._db.write(repo.set_election, poll.election_id, {"status": "closed"})
            updated = await self._db.read(repo.get_poll, poll_id)
        assert updated is not None
        return CloseResult(updated, closed_now=closed)

    # --- reading ---------------------------------------------------------------------------------

    async def get(self, poll_id: int, *, guild_id: int | None = None) -> Poll:
        """A poll (``consultations.errors.unknown_poll`` when missing or of another guild)."""
        return _usable(await self._db.read(repo.get_poll, poll_id), guild_id)

    async def open_polls(self, guild_id: int, user_id: int, *, limit: int = 25) -> list[PollState]:
        """Open polls soonest deadline first, each with whether the member (or the organisation they
        represent) has answered: /poll list and the poll autocomplete."""

        def read(conn: sqlite3.Connection) -> list[PollState]:
            speaking = repo.representative_of(conn, guild_id, user_id)
            states = []
            for poll in repo.open_polls(conn, guild_id, max(limit, 0)):
                if poll.by_organisation:
                    answered = speaking is not None and (
                        repo.ballot_of(conn, poll.id, organisation_id=speaking[0]) is not None
                    )
                else:
                    answered = repo.ballot_of(conn, poll.id, user_id=user_id) is not None
                states.append(PollState(poll, answered))
            return states

        return await self._db.read(read)

    async def search(self, guild_id: int, text: str, *, limit: int = 25) -> list[Poll]:
        """Polls of the guild whose question contains ``text``, open ones first: the ``poll`` option's
        autocomplete and a typed question."""
        return await self._db.read(
            repo.find_polls, guild_id, text.strip()[:MAX_QUESTION_LENGTH], max(limit, 0)
        )

    async def closed_between(self, guild_id: int, since: datetime, until: datetime) -> list[Poll]:
        """Polls closed in [since, until), in the order they closed: the digest, /stats, the newsletter."""
        return await self._db.read(repo.closed_between, guild_id, since, until)

    async def tally(
        self, poll_id: int, *, viewer_is_moderator: bool = False, guild_id: int | None = None
    ) -> Tally:
        """Counts, percentages, turnout (and by region in organisation mode), quorum, and the ranked
        count's rounds. Hidden results while open show only the turnout to anyone but moderators."""
        return (await self._db.read(self._tally_read, poll_id, guild_id, viewer_is_moderator))[0]

    def _tally_read(
        self, conn: sqlite3.Connection, poll_id: int, guild_id: int | None, viewer_is_moderator: bool
    ) -> tuple[Tally, list[Ballot], dict[int, sqlite3.Row]]:
        poll = _usable(repo.get_poll(conn, poll_id), guild_id)
        ballots = repo.ballots_of(conn, poll_id, show_caster=not poll.anonymous)
        organisations: dict[int, sqlite3.Row] = {}
        eligible: dict[str, Any] | None = None
        if poll.by_organisation:
            organisations = repo.organisations_by_id(
                conn, [b.organisation_id for b in ballots if b.organisation_id]
            )
            eligible = repo.eligible_at_close(conn, poll_id)
            if eligible is None:
                eligible = eligible_now(repo.active_organisations(conn, poll.guild_id))
        hidden = poll.results == "hidden" and poll.is_open and not viewer_is_moderator
        regions = {org_id: row["region"] for org_id, row in organisations.items()}
        return tally_of(poll, ballots, eligible, regions, hidden=hidden), ballots, organisations

    async def export(self, poll_id: int, *, guild_id: int) -> Export:
        """The moderators' export: the full tally, organisation mode one row per organisation (name,
        country, region, choice or ranking, comment, who cast it unless anonymous), and its CSV."""
        tally, ballots, organisations = await self._db.read(self._tally_read, poll_id, guild_id, True)
        rows = export_rows(tally.poll, ballots, organisations)
        comments = [b.comment for b in ballots if b.comment] if not tally.poll.by_organisation else []
        return Export(tally, rows, csv_text(tally, rows, comments))

    # --- reminders and nudges (organisation mode) -----------------------------------------------

    async def unanswered(self, poll_id: int, *, guild_id: int | None = None) -> Unanswered:
        """The active organisations that have not answered, with their representatives."""

        def read(conn: sqlite3.Connection) -> Unanswered:
            poll = _usable(repo.get_poll(conn, poll_id), guild_id)
            if not poll.by_organisation:
                return Unanswered(poll, ())
            answered = repo.answered_organisations(conn, poll_id)
            missing = tuple(
                NudgeTarget(row["id"], row["name"], repo.representatives(conn, row["id"]))
                for row in repo.active_organisations(conn, poll.guild_id)
                if row["id"] not in answered
            )
            return Unanswered(poll, missing)

        return await self._db.read(read)

    async def nudge(
        self,
        poll_id: int,
        moderator_id: int,
        *,
        guild_id: int,
        organisation_ids: Collection[int] | None = None,
    ) -> NudgeResult:
        """Record a nudge of each unanswered organisation (all, or those in ``organisation_ids``) and
        write a ``poll.nudge`` timer for each, at most once a UTC day per organisation: those nudged
        earlier today are returned in ``already_today``. Raises ``poll_closed``, ``not_organisation_poll``."""
        now = self._clock.now()
        day = now.date().isoformat()
        async with self._db.transaction() as tx:
            unanswered = await self.unanswered(poll_id, guild_id=guild_id)
            poll = unanswered.poll
            if not poll.by_organisation:
                raise UserFacingError("consultations.errors.not_organisation_poll")
            if not poll.is_open:
                raise UserFacingError("consultations.errors.poll_closed", question=poll.question)
            nudged: list[NudgeTarget] = []
            already: list[NudgeTarget] = []
            for target in unanswered.organisations:
                if organisation_ids is not None and target.organisation_id not in organisation_ids:
                    continue
                first = await self._db.write(
                    repo.record_nudge, poll_id, target.organisation_id, day, moderator_id, now
                )
                if first:
                    nudged.append(target)
                    await self._timers.schedule(
                        POLL_NUDGE, now, {**_payload(poll), "organisation_id": target.organisation_id}, tx=tx
                    )
                else:
                    already.append(target)
        return NudgeResult(tuple(nudged), tuple(already))

    async def nudge_delivery(self, poll_id: int, organisation_id: int) -> tuple[Poll, NudgeTarget] | None:
        """The ``poll.nudge`` handler's read: whom to DM now; None when the poll closed or the
        organisation answered meanwhile (nothing to send)."""
        unanswered = await self.unanswered(poll_id)
        if not unanswered.poll.is_open:
            return None
        target = next((t for t in unanswered.organisations if t.organisation_id == organisation_id), None)
        return None if target is None else (unanswered.poll, target)

    # --- the outbox reads and records of the timer handlers ---------------------------------------

    async def poll_to_post(self, poll_id: int) -> Poll | None:
        """``poll.post``: the poll when its message is not recorded yet (None: posted, or gone)."""
        poll = await self._db.read(repo.get_poll, poll_id)
        return None if poll is None or poll.message_id is not None else poll

    async def record_posted(self, poll_id: int, channel_id: int, message_id: int) -> bool:
        """Remember the poll message (once; False when one was recorded already)."""
        return await self._db.write(repo.set_message, poll_id, "message", channel_id, message_id)

    async def results_to_post(self, poll_id: int) -> Tally | None:
        """``poll.results``: the full tally of a closed poll whose results are not posted yet."""
        poll = await self._db.read(repo.get_poll, poll_id)
        if poll is None or poll.is_open or poll.results_message_id is not None:
            return None
        return await self.tally(poll_id, viewer_is_moderator=True)

    async def record_results_posted(self, poll_id: int, channel_id: int, message_id: int) -> bool:
        return await self._db.write(repo.set_message, poll_id, "results", channel_id, message_id)

    async def reminder_to_post(self, poll_id: int) -> Unanswered | None:
        """``poll.remind``: the open poll (and, organisation mode, who has not answered) when its
        reminder is not posted yet."""
        poll = await self._db.read(repo.get_poll, poll_id)
        if poll is None or not poll.is_open or poll.reminder_message_id is not None:
            return None
        return await self.unanswered(poll_id)

    async def record_reminder_posted(self, poll_id: int, channel_id: int, message_id: int) -> bool:
        return await self._db.write(repo.set_message, poll_id, "reminder", channel_id, message_id)

    # --- internals -------------------------------------------------------------------------------

    async def _poll_in(self, poll_id: int, guild_id: int | None) -> Poll:
        return _usable(await self._db.read(repo.get_poll, poll_id), guild_id)

    @staticmethod
    def _require_manager(poll: Poll, actor_id: int, is_moderator: bool) -> None:
        if not is_moderator and poll.creator_id != actor_id:
            raise PermissionDenied("consultations.errors.not_poll_manager")

    async def insert_for_election(
        self, values: dict[str, Any], options: Sequence[tuple[str, str, int | None]]
    ) -> Poll:
        """The ranked ballot of an election (its options are the accepted candidates), with the
        poll's usual timers, inside the caller's transaction."""
        return await self._insert(values, options)


def _usable(poll: Poll | None, guild_id: int | None) -> Poll:
    if poll is None or (guild_id is not None and poll.guild_id != guild_id):
        raise NotFound("consultations.errors.unknown_poll")
    return poll
