"""Asking to join a private group: the request is shown to its coordinators by a timer, and the
member is told the decision by another (a DM), each posted once.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.db import Database
from bot.errors import NotFound, UserFacingError
from bot.repositories import working_groups as repo
from bot.services.timers import TimerService
from bot.services.working_groups.access import GroupAccess
from bot.services.working_groups.model import (
    OUTBOX_GRACE,
    WG_JOIN_OUTCOME,
    WG_JOIN_REQUEST,
    Actor,
    Group,
    JoinRequest,
)


class JoinRequests:
    """``JoinRequests(db, clock, timers, access)``."""

    def __init__(self, db: Database, clock: Clock, timers: TimerService, access: GroupAccess) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._access = access

    async def request_join(self, group_id: int, actor: Actor, lang: str) -> JoinRequest:
        """Ask to join a private group: one pending request per member and group; the request is
        shown to the coordinators by a timer. Raises ``working_groups.errors.request_pending``."""
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        if not group.private:
            raise UserFacingError("working_groups.errors.not_private")
        if group.role_id is not None and group.role_id in actor.role_ids:
            raise UserFacingError("working_groups.errors.already_member", group=group.name.get(lang))
        async with self._db.transaction() as tx:
            request_id = await repo.insert_join_request(tx, group.id, actor.user_id, lang, self._clock.now())
            if request_id is None:
                raise UserFacingError("working_groups.errors.request_pending", group=group.name.get(lang))
            await self._timers.schedule(
                WG_JOIN_REQUEST,
                self._clock.now(),
                {"request_id": request_id, "guild_id": group.guild_id},
                tx=tx,
            )
            request = await repo.get_join_request(tx, request_id)
        assert request is not None
        return request

    async def record_join_request_message(self, request_id: int, channel_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await repo.set_join_request_message(tx, request_id, channel_id, message_id)

    async def check_decider(self, request_id: int, actor: Actor, lang: str) -> tuple[JoinRequest, Group]:
        """The pending request and its group, if ``actor`` may decide it (coordinator or moderator)."""
        request = await self.get_join_request(request_id)
        group = await self._access.get(request.group_id)
        await self._access.ensure_can_manage(group, actor, lang)
        self._access.ensure_active(group, lang)
        if request.status != "pending":
            raise UserFacingError("working_groups.errors.request_decided")
        return request, group

    async def decide_join(self, request_id: int, approve: bool, actor: Actor, lang: str) -> JoinRequest:
        """Close the request and write the ``wg.join_outcome`` timer that carries the decision out: for
        an approval it gives the role (idempotent), then the DM tells the member. The decision is
        recorded first, by a conditional update: of two concurrent clicks only one closes the request
        (the other gets ``working_groups.errors.request_decided``), so a declined request never ends
        with the role given. The cog runs the timer at once (``TimerService.run_now``)."""
        request, group = await self.check_decider(request_id, actor, lang)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            closed = await repo.decide_join_request(
                tx, request.id, "approved" if approve else "declined", actor.user_id, now
            )
            if not closed:
                raise UserFacingError("working_groups.errors.request_decided")
            await self._timers.schedule(
                WG_JOIN_OUTCOME,
                now + OUTBOX_GRACE,
                {"request_id": request.id, "guild_id": group.guild_id},
                tx=tx,
            )
            decided = await repo.get_join_request(tx, request.id)
        assert decided is not None
        return decided

    async def get_join_request(self, request_id: int) -> JoinRequest:
        request = await repo.get_join_request(self._db, request_id)
        if request is None:
            raise NotFound("working_groups.errors.unknown_request")
        return request
