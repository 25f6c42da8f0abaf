"""Who may do what to a group: moderators manage every group, a coordinator the groups they
coordinate; an archived group takes no changes.
"""

from __future__ import annotations

from bot.db import Database
from bot.errors import NotFound, PermissionDenied, UserFacingError
from bot.repositories import working_groups as repo
from bot.services.working_groups.model import (
    Actor,
    Group,
)


class GroupAccess:
    """The group an action is about, and whether the actor may act on it. ``GroupAccess(db)``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, group_id: int) -> Group:
        group = await self._db.read(repo.get_group_in, group_id)
        if group is None:
            raise NotFound("working_groups.errors.unknown_group", group=str(group_id))
        return group

    async def can_manage(self, group: Group, actor: Actor) -> bool:
        return actor.moderator or await self._db.read(repo.is_coordinator_in, group.id, actor.user_id)

    async def ensure_can_manage(self, group: Group, actor: Actor, lang: str = "en") -> None:
        """Moderators, or coordinators of this very group.

        Raises ``working_groups.errors.not_coordinator``."""
        if not await self.can_manage(group, actor):
            raise PermissionDenied("working_groups.errors.not_coordinator", group=group.name.get(lang))

    @staticmethod
    def ensure_moderator(actor: Actor) -> None:
        if not actor.moderator:
            raise PermissionDenied("errors.not_moderator")

    @staticmethod
    def ensure_active(group: Group, lang: str) -> None:
        if group.archived:
            raise UserFacingError("working_groups.errors.archived", group=group.name.get(lang))
