"""A group's status, workplan and deliverables, changed by its coordinators or a moderator."""

from __future__ import annotations

from datetime import date
from typing import Final

from bot import validation
from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.errors import NotFound, UserFacingError
from bot.repositories import working_groups as repo
from bot.services.timers import TimerService
from bot.services.working_groups.access import GroupAccess
from bot.services.working_groups.model import (
    DELIVERABLE_KINDS,
    DELIVERABLE_TITLE_LIMIT,
    ITEM_LIMIT,
    NOTE_LIMIT,
    STATUSES,
    WG_STALE,
    Actor,
    Deliverable,
    Group,
    Texts,
    WorkplanItem,
    local_today,
)

# Field names shown in validation errors (working_groups.yml, working_groups.fields.*).
F_NOTE: Final = "working_groups.fields.note"
F_ITEM: Final = "working_groups.fields.item"
F_DELIVERABLE: Final = "working_groups.fields.deliverable"
F_DUE: Final = "working_groups.fields.due"
F_LINK: Final = "working_groups.fields.link"


class GroupWork:
    """``GroupWork(db, clock, timers, config, access)``."""

    def __init__(
        self, db: Database, clock: Clock, timers: TimerService, config: Config, access: GroupAccess
    ) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._config = config
        self._access = access

    @staticmethod
    def _status(value: str) -> str:
        if value not in STATUSES:
            raise UserFacingError("working_groups.errors.bad_status")
        return value

    async def set_status(
        self, group_id: int, status: str, note: str | None, actor: Actor, lang: str
    ) -> Group:
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
        status = self._status(status)
        note = validation.optional_text(note, field=F_NOTE, max_length=NOTE_LIMIT)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await repo.set_status(tx, group.id, status, note, actor.user_id, now)
            if status == "completed":
                await self._timers.cancel_matching(WG_STALE, tx=tx, group_id=group.id)
            updated = await self._db.read(repo.get_group_in, group.id)
        assert updated is not None
        return updated

    async def workplan_add(
        self, group_id: int, title: str, status: str, actor: Actor, lang: str
    ) -> WorkplanItem:
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
        cleaned = validation.text(title, field=F_ITEM, max_length=ITEM_LIMIT)
        status = self._status(status)
        async with self._db.transaction() as tx:
            item_id = await repo.insert_workplan_item(
                tx, group.id, Texts({lang: cleaned}), status, self._clock.now()
            )
            item = await repo.get_workplan_item(tx, item_id)
        assert item is not None
        return item

    async def _item(self, group: Group, item_id: int) -> WorkplanItem:
        item = await repo.get_workplan_item(self._db, item_id)
        if item is None or item.group_id != group.id:
            raise NotFound("working_groups.errors.unknown_item")
        return item

    async def workplan_update(
        self, group_id: int, item_id: int, actor: Actor, lang: str, *, title: str | None, status: str | None
    ) -> WorkplanItem:
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
        item = await self._item(group, item_id)
        new_title = None
        if title is not None:
            new_title = item.title.with_text(
                lang, validation.text(title, field=F_ITEM, max_length=ITEM_LIMIT)
            )
        new_status = None if status is None else self._status(status)
        if new_title is None and new_status is None:
            raise UserFacingError("working_groups.errors.nothing_to_change")
        async with self._db.transaction() as tx:
            await repo.update_workplan_item(
                tx, item.id, title=new_title, status=new_status, now=self._clock.now()
            )
            updated = await repo.get_workplan_item(tx, item.id)
        assert updated is not None
        return updated

    async def workplan_remove(self, group_id: int, item_id: int, actor: Actor, lang: str) -> WorkplanItem:
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
        item = await self._item(group, item_id)
        async with self._db.transaction() as tx:
            await repo.delete_workplan_item(tx, item.id)
        return item

    async def workplan(self, group_id: int) -> list[WorkplanItem]:
        return await self._db.read(repo.workplan_in, group_id)

    async def deliverables(self, group_id: int) -> list[Deliverable]:
        return await self._db.read(repo.deliverables_in, group_id)

    def _kind(self, kind: str) -> str:
        if kind not in DELIVERABLE_KINDS:
            raise UserFacingError("working_groups.errors.bad_kind")
        return kind

    def _due(self, due: str | None) -> date | None:
        if due is None or not due.strip():
            return None
        return validation.calendar_date(due, field=F_DUE, today=local_today(self._clock, self._config))

    async def deliverable_add(
        self,
        group_id: int,
        actor: Actor,
        lang: str,
        *,
        title: str,
        kind: str,
        due: str | None = None,
        status: str = "not_started",
        link: str | None = None,
    ) -> Deliverable:
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
        cleaned = validation.text(title, field=F_DELIVERABLE, max_length=DELIVERABLE_TITLE_LIMIT)
        kind = self._kind(kind)
        due_date = self._due(due)
        status = self._status(status)
        url = validation.optional_web_url(link, field=F_LINK)
        async with self._db.transaction() as tx:
            deliverable_id = await repo.insert_deliverable(
                tx,
                group.id,
                title=Texts({lang: cleaned}),
                kind=kind,
                due_date=due_date,
                status=status,
                link=url,
                now=self._clock.now(),
            )
            deliverable = await repo.get_deliverable(tx, deliverable_id)
        assert deliverable is not None
        return deliverable

    async def _deliverable(self, group: Group, deliverable_id: int) -> Deliverable:
        deliverable = await repo.get_deliverable(self._db, deliverable_id)
        if deliverable is None or deliverable.group_id != group.id:
            raise NotFound("working_groups.errors.unknown_deliverable")
        return deliverable

    async def deliverable_update(
        self,
        group_id: int,
        deliverable_id: int,
        actor: Actor,
        lang: str,
        *,
        title: str | None = None,
        kind: str | None = None,
        due: str | None = None,
        status: str | None = None,
        link: str | None = None,
    ) -> Deliverable:
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
        deliverable = await self._deliverable(group, deliverable_id)
        changes: dict[str, object] = {}
        if title is not None:
            cleaned = validation.text(title, field=F_DELIVERABLE, max_length=DELIVERABLE_TITLE_LIMIT)
            changes["title"] = deliverable.title.with_text(lang, cleaned).json()
        if kind is not None:
            changes["kind"] = self._kind(kind)
        if due is not None:
            due_date = self._due(due)
            changes["due_date"] = None if due_date is None else due_date.isoformat()
        if status is not None:
            changes["status"] = self._status(status)
        if link is not None:
            changes["link"] = validation.optional_web_url(link, field=F_LINK)
        if not changes:
            raise UserFacingError("working_groups.errors.nothing_to_change")
        async with self._db.transaction() as tx:
            await repo.update_deliverable(tx, deliverable.id, changes, self._clock.now())
            updated = await repo.get_deliverable(tx, deliverable.id)
        assert updated is not None
        return updated

    async def deliverable_remove(
        self, group_id: int, deliverable_id: int, actor: Actor, lang: str
    ) -> Deliverable:
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
        deliverable = await self._deliverable(group, deliverable_id)
        async with self._db.transaction() as tx:
            await repo.delete_deliverable(tx, deliverable.id)
        return deliverable
