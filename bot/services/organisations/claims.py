"""Who speaks for an organisation: members' claims (``/org join``) and the moderators' decisions,
direct verification, members leaving; each change with its history row and its timers (the claim's
post, the outcome DM, the leaders-role sync) in one transaction."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Config
from bot.db import Database, Transaction
from bot.errors import NotFound, Term, UserFacingError
from bot.i18n import LANGUAGES
from bot.limits import excerpt
from bot.repositories import organisations as repo
from bot.services.organisations.model import (
    ORG_CLAIM_OUTCOME,
    ORG_CLAIM_POST,
    ORG_ROLE_SYNC,
    STANDINGS,
    Claim,
    Decision,
    LeaveResult,
    Link,
    Organisation,
    VerifyResult,
    active_organisation,
    organisation_of,
)

if TYPE_CHECKING:
    from bot.services.timers import TimerService

# The feature's one logger, as before the split: log filters and tests name it.
log = logging.getLogger("bot.services.organisations")


class Claims:
    """``Claims(db, clock, timers, config)``."""

    def __init__(self, db: Database, clock: Clock, timers: TimerService, config: Config) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._config = config

    @property
    def max_representatives(self) -> int:
        return self._config.directory.max_representatives

    # --- claims --------------------------------------------------------------------------------

    async def claim(
        self, guild_id: int, user_id: int, organisation_id: int, standing: str, language: str
    ) -> tuple[Claim, Organisation]:
        """``/org join``: a pending claim, and an ``org.claim_post`` timer to put it before moderators.

        Refused (``orgs.errors.claim_pending``, ``already_linked``) with the current state while the
        member has a pending claim or a link; ``representatives_full`` when the organisation already
        has its representatives; ``bad_standing``, ``unknown_organisation``."""
        standing = checked_standing(standing)
        language = language if language in LANGUAGES else self._config.language
        now = self._clock.now()
        async with self._db.transaction() as tx:
            organisation = await active_organisation(tx, guild_id, organisation_id)
            await self._refuse_second_claim(tx, guild_id, user_id)
            if standing == "representative":
                await self._ensure_representative_seat(tx, organisation)
            try:
                claim_id = await repo.insert_claim(
                    tx, guild_id, user_id, organisation_id, standing, language, now
                )
            except sqlite3.IntegrityError:  # the one-pending-claim index: a claim raced this one
                raise UserFacingError("orgs.errors.claim_pending_unknown") from None
            await repo.add_history(
                tx,
                organisation_id,
                user_id,
                now,
                "claimed",
                subject_id=user_id,
                details={"claim_id": claim_id, "standing": standing},
            )
            await self._timers.schedule(
                ORG_CLAIM_POST, now, {"guild_id": guild_id, "claim_id": claim_id}, tx=tx
            )
            claim = await repo.get_claim(tx, claim_id)
        assert claim is not None
        return claim, organisation

    async def decide(self, guild_id: int, claim_id: int, moderator_id: int, *, approve: bool) -> Decision:
        """Approve or decline a pending claim: exactly one decision counts (a conditional UPDATE).

        Approving links the member (their leaders role follows) and both outcomes DM the member.
        A claim already closed returns ``decided_now=False`` with how it was closed. Approving an
        organisation's representative beyond the limit raises ``orgs.errors.representatives_full``
        (the claim stays pending: decline it, or unverify a representative first)."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            claim = await repo.get_claim(tx, claim_id)
            if claim is None or claim.guild_id != guild_id:
                raise NotFound("orgs.errors.unknown_claim")
            organisation = await organisation_of(tx, claim.organisation_id)
            if claim.status == "pending" and approve and claim.standing == "representative":
                await self._ensure_representative_seat(tx, organisation, ignoring=claim.user_id)
            closed = await repo.close_claim(
                tx, claim_id, "approved" if approve else "declined", moderator_id, now
            )
            if closed is None:
                current = await repo.get_claim(tx, claim_id)
                assert current is not None
                return Decision(current, organisation, decided_now=False)
            action = "claim_approved" if approve else "claim_declined"
            await repo.add_history(
                tx,
                organisation.id,
                moderator_id,
                now,
                action,
                subject_id=closed.user_id,
                details={"claim_id": closed.id, "standing": closed.standing},
            )
            if approve:
                await repo.put_link(
                    tx, guild_id, closed.user_id, organisation.id, closed.standing, moderator_id, now
                )
                await self.sync_role(tx, guild_id, closed.user_id, now)
            await self.tell_outcome(tx, closed, now)
        log.info("Claim %d %s by %d", claim_id, closed.status, moderator_id)
        return Decision(closed, organisation, decided_now=True)

    async def claim_for_post(self, claim_id: int) -> tuple[Claim, Organisation] | None:
        """What an ``org.claim_post`` timer posts; None when already posted or no longer pending."""
        claim = await repo.get_claim(self._db, claim_id)
        if claim is None or claim.status != "pending" or claim.modlog_message_id is not None:
            return None
        return claim, await organisation_of(self._db, claim.organisation_id)

    async def get_claim(self, guild_id: int, claim_id: int) -> tuple[Claim, Organisation]:
        claim = await repo.get_claim(self._db, claim_id)
        if claim is None or claim.guild_id != guild_id:
            raise NotFound("orgs.errors.unknown_claim")
        return claim, await organisation_of(self._db, claim.organisation_id)

    async def record_claim_post(self, claim_id: int, channel_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await repo.set_claim_post(tx, claim_id, channel_id, message_id)

    async def claim_for_outcome(self, claim_id: int) -> tuple[Claim, Organisation] | None:
        """What an ``org.claim_outcome`` timer handles: a closed claim whose outcome is not recorded
        yet (DM the member unless they withdrew it themselves; a post closed without a click says
        why). None when already handled or still pending."""
        claim = await repo.get_claim(self._db, claim_id)
        if claim is None or claim.status == "pending" or claim.outcome_dm is not None:
            return None
        return claim, await organisation_of(self._db, claim.organisation_id)

    async def record_claim_dm(self, claim_id: int, outcome: str) -> None:
        if outcome not in ("sent", "skipped_closed", "not_needed"):
            raise ValueError(f"not a DM outcome: {outcome!r}")
        async with self._db.transaction() as tx:
            await repo.set_claim_dm(tx, claim_id, outcome)

    # --- moderators' verification, members leaving -----------------------------------------------

    async def verify(
        self, guild_id: int, organisation_id: int, user_id: int, standing: str, moderator_id: int
    ) -> VerifyResult:
        """``/org verify``: link a member (or change their standing) directly; a pending claim of the
        member is cancelled. Refused for a member linked to another organisation
        (``orgs.errors.linked_elsewhere``: unverify first) and beyond the representatives limit."""
        standing = checked_standing(standing)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            organisation = await active_organisation(tx, guild_id, organisation_id)
            previous = await repo.get_link(tx, guild_id, user_id)
            if previous is not None and previous.organisation_id != organisation_id:
                other = await organisation_of(tx, previous.organisation_id)
                raise UserFacingError(
                    "orgs.errors.linked_elsewhere",
                    user=f"<@{user_id}>",
                    name=other.name,
                    standing=Term(f"orgs.standing.{previous.standing}"),
                )
            if previous is not None and previous.standing == standing:
                raise UserFacingError(
                    "orgs.errors.already_verified",
                    user=f"<@{user_id}>",
                    name=organisation.name,
                    standing=Term(f"orgs.standing.{standing}"),
                )
            if standing == "representative":
                await self._ensure_representative_seat(tx, organisation, ignoring=user_id)
            cancelled = await repo.cancel_pending_of_user(tx, guild_id, user_id, now)
            for claim in cancelled:
                await repo.add_history(
                    tx,
                    claim.organisation_id,
                    moderator_id,
                    now,
                    "claim_cancelled",
                    subject_id=user_id,
                    details={"claim_id": claim.id, "reason": "verified"},
                )
            await repo.put_link(tx, guild_id, user_id, organisation_id, standing, moderator_id, now)
            await repo.add_history(
                tx,
                organisation_id,
                moderator_id,
                now,
                "verified",
                subject_id=user_id,
                details={"standing": standing, "previous": None if previous is None else previous.standing},
            )
            await self.sync_role(tx, guild_id, user_id, now)
            link = await repo.get_link(tx, guild_id, user_id)
        assert link is not None
        return VerifyResult(link, previous, organisation, cancelled[0] if cancelled else None)

    async def unverify(self, guild_id: int, user_id: int, moderator_id: int) -> tuple[Link, Organisation]:
        """``/org unverify``: remove a member's link (their leaders role follows).
        Raises ``orgs.errors.not_linked``."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            link = await repo.delete_link(tx, guild_id, user_id)
            if link is None:
                raise UserFacingError("orgs.errors.not_linked", user=f"<@{user_id}>")
            await repo.add_history(
                tx,
                link.organisation_id,
                moderator_id,
                now,
                "unverified",
                subject_id=user_id,
                details={"standing": link.standing},
            )
            await self.sync_role(tx, guild_id, user_id, now)
            organisation = await organisation_of(tx, link.organisation_id)
        return link, organisation

    async def leave(self, guild_id: int, user_id: int) -> LeaveResult:
        """``/org leave``: the member unlinks themselves, or withdraws their pending claim.
        Raises ``orgs.errors.nothing_to_leave``."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            link = await repo.delete_link(tx, guild_id, user_id)
            if link is not None:
                await repo.add_history(
                    tx,
                    link.organisation_id,
                    user_id,
                    now,
                    "left",
                    subject_id=user_id,
                    details={"standing": link.standing},
                )
                await self.sync_role(tx, guild_id, user_id, now)
                return LeaveResult(await organisation_of(tx, link.organisation_id), link, None)
            pending = await repo.pending_claim_of(tx, guild_id, user_id)
            if pending is None:
                raise UserFacingError("orgs.errors.nothing_to_leave")
            withdrawn = await repo.close_claim(tx, pending.id, "withdrawn", user_id, now)
            assert withdrawn is not None  # we hold the write lock: nobody closed it in between
            await self.tell_outcome(tx, withdrawn, now)  # no DM: the post loses its buttons
            await repo.add_history(
                tx,
                pending.organisation_id,
                user_id,
                now,
                "claim_withdrawn",
                subject_id=user_id,
                details={"claim_id": pending.id, "standing": pending.standing},
            )
            return LeaveResult(await organisation_of(tx, pending.organisation_id), None, withdrawn)

    async def forget_member(self, guild_id: int, user_id: int) -> Link | None:
        """The member left the Discord server: unlink them and withdraw a pending claim, recorded in
        the history with the member as actor. None when they were not linked."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            link = await repo.delete_link(tx, guild_id, user_id)
            if link is not None:
                await repo.add_history(
                    tx,
                    link.organisation_id,
                    user_id,
                    now,
                    "left",
                    subject_id=user_id,
                    details={"standing": link.standing, "reason": "left_server"},
                )
            for claim in await repo.cancel_pending_of_user(tx, guild_id, user_id, now):
                await repo.add_history(
                    tx,
                    claim.organisation_id,
                    user_id,
                    now,
                    "claim_cancelled",
                    subject_id=user_id,
                    details={"claim_id": claim.id, "reason": "left_server"},
                )
        return link

    # --- internals -----------------------------------------------------------------------------

    async def _refuse_second_claim(self, tx: Transaction, guild_id: int, user_id: int) -> None:
        pending = await repo.pending_claim_of(tx, guild_id, user_id)
        if pending is not None:
            other = await organisation_of(tx, pending.organisation_id)
            raise UserFacingError(
                "orgs.errors.claim_pending",
                name=other.name,
                standing=Term(f"orgs.standing.{pending.standing}"),
            )
        link = await repo.get_link(tx, guild_id, user_id)
        if link is not None:
            other = await organisation_of(tx, link.organisation_id)
            raise UserFacingError(
                "orgs.errors.already_linked", name=other.name, standing=Term(f"orgs.standing.{link.standing}")
            )

    async def _ensure_representative_seat(
        self, tx: Transaction, organisation: Organisation, *, ignoring: int | None = None
    ) -> None:
        representatives = [
            link
            for link in await repo.links_of(tx, organisation.id, ("representative",))
            if link.user_id != ignoring
        ]
        if len(representatives) >= self.max_representatives:
            raise UserFacingError(
                "orgs.errors.representatives_full", name=organisation.name, limit=self.max_representatives
            )

    async def sync_role(self, tx: Transaction, guild_id: int, user_id: int, now: datetime) -> None:
        """Arm the ``org.role_sync`` timer for the member (also used when an organisation is removed)."""
        await self._timers.schedule(ORG_ROLE_SYNC, now, {"guild_id": guild_id, "user_id": user_id}, tx=tx)

    async def tell_outcome(self, tx: Transaction, claim: Claim, now: datetime) -> None:
        """Arm the ``org.claim_outcome`` timer for a closed claim (also used when an organisation is
        removed)."""
        await self._timers.schedule(
            ORG_CLAIM_OUTCOME, now, {"guild_id": claim.guild_id, "claim_id": claim.id}, tx=tx
        )


def checked_standing(value: str) -> str:
    if value not in STANDINGS:
        raise UserFacingError(
            "orgs.errors.bad_standing", standing=excerpt(value), choices=", ".join(STANDINGS)
        )
    return value
