"""The groups themselves: seeding them from config.yml, creating, editing, repairing and archiving
them, and their coordinators. Moderators only."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from bot import validation
from bot.clock import Clock
from bot.config import WorkingGroupConfig
from bot.db import Database, Transaction
from bot.errors import UserFacingError
from bot.limits import excerpt
from bot.repositories import working_groups as repo
from bot.services.timers import TimerService
from bot.services.working_groups.access import GroupAccess
from bot.services.working_groups.model import (
    NAME_LIMIT,
    OUTBOX_GRACE,
    TEXT_LIMIT,
    WG_ARCHIVE_CHANNEL,
    WG_INITIATIVE_REVIEW,
    WG_JOIN_REQUEST,
    WG_OVERWRITES,
    WG_POST,
    WG_ROLE_NAME,
    WG_STALE,
    Actor,
    Group,
    Texts,
    fold,
    localized,
)
from bot.services.working_groups.stale import Staleness

# Field names shown in validation errors (working_groups.yml, working_groups.fields.*).
F_KEY: Final = "working_groups.fields.key"
F_NAME: Final = "working_groups.fields.name"
F_STAKE: Final = "working_groups.fields.stake"
F_MANDATE: Final = "working_groups.fields.mandate"
F_DESCRIPTION: Final = "working_groups.fields.description"

_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class GroupAdmin:
    """``GroupAdmin(db, clock, timers, access, stale)``."""

    def __init__(
        self, db: Database, clock: Clock, timers: TimerService, access: GroupAccess, stale: Staleness
    ) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._access = access
        self._stale = stale

    async def seed(self, guild_id: int, groups: Sequence[WorkingGroupConfig]) -> list[Group]:
        """Insert the configured groups this guild does not have yet (by key), with their workplan and
        deliverables; returns every configured group's row. Idempotent: a restart inserts nothing."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            for config in groups:
                if await self._db.read(repo.get_group_by_key_in, guild_id, config.key) is not None:
                    continue
                group_id = await repo.insert_group(
                    tx,
                    guild_id=guild_id,
                    key=config.key,
                    texts_by_field={
                        "name": localized(config.name),
                        "stake": localized(config.stake),
                        "mandate": localized(config.mandate),
                        "actions": localized(config.actions),
                        "description": localized(config.description),
                    },
                    visibility="private" if config.private else "public",
                    status=config.status,
                    source="config",
                    role_id=None,
                    channel_id=None,
                    now=now,
                )
                await repo.set_status(tx, group_id, config.status, None, None, now)
                for item in config.workplan:
                    await repo.insert_workplan_item(tx, group_id, localized(item.title), item.status, now)
                for deliverable in config.deliverables:
                    await repo.insert_deliverable(
                        tx,
                        group_id,
                        title=localized(deliverable.title),
                        kind=deliverable.kind,
                        due_date=None,
                        status=deliverable.status,
                        link=None,
                        now=now,
                    )
                await self._stale.arm(tx, guild_id, group_id, now)
            found = [await self._db.read(repo.get_group_by_key_in, guild_id, config.key) for config in groups]
        return [group for group in found if group is not None]

    async def check_new(
        self, guild_id: int, key: str, name: str, *, stake: str | None = None, mandate: str | None = None
    ) -> tuple[str, str]:
        """Validate a new group (key, name, and its optional texts) before anything is created in
        Discord; returns the key and name cleaned. Errors: ``working_groups.errors.bad_key``,
        ``duplicate_key``, ``duplicate_name``, and the ``validation.*`` ones."""
        key = validation.text(key, field=F_KEY, max_length=40).lower()
        if not _KEY.match(key):
            raise UserFacingError("working_groups.errors.bad_key", value=excerpt(key))
        name = validation.text(name, field=F_NAME, max_length=NAME_LIMIT)
        validation.optional_text(stake, field=F_STAKE, max_length=TEXT_LIMIT, multiline=True)
        validation.optional_text(mandate, field=F_MANDATE, max_length=TEXT_LIMIT, multiline=True)
        await self._ensure_unique(self._db, guild_id, key, name)
        return key, name

    async def _ensure_unique(
        self, conn: Database | Transaction, guild_id: int, key: str | None, name: str | None, *, skip: int = 0
    ) -> None:
        if (
            key is not None
            and (existing := await self._db.read(repo.get_group_by_key_in, guild_id, key)) is not None
            and existing.id != skip
        ):
            raise UserFacingError("working_groups.errors.duplicate_key", value=key)
        if name is not None:
            wanted = fold(name)
            for group_id, names in await repo.names_in_guild(conn, guild_id):
                if group_id != skip and wanted in (fold(n) for n in names.all()):
                    raise UserFacingError("working_groups.errors.duplicate_name", name=excerpt(name))

    async def create(
        self,
        guild_id: int,
        *,
        key: str,
        name: str,
        lang: str,
        stake: str | None,
        mandate: str | None,
        private: bool,
        role_id: int,
        channel_id: int,
        actor: Actor,
    ) -> Group:
        """Record a group whose role and channel the cog has just created. Same checks as
        ``check_new`` (again, inside the transaction, in case another moderator was faster)."""
        self._access.ensure_moderator(actor)
        key, name = await self.check_new(guild_id, key, name)
        stake_text = validation.optional_text(stake, field=F_STAKE, max_length=TEXT_LIMIT, multiline=True)
        mandate_text = validation.optional_text(
            mandate, field=F_MANDATE, max_length=TEXT_LIMIT, multiline=True
        )
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await self._ensure_unique(tx, guild_id, key, name)
            group_id = await repo.insert_group(
                tx,
                guild_id=guild_id,
                key=key,
                texts_by_field={
                    "name": Texts({lang: name}),
                    "stake": Texts({lang: stake_text} if stake_text else {}),
                    "mandate": Texts({lang: mandate_text} if mandate_text else {}),
                },
                visibility="private" if private else "public",
                status="not_started",
                source="command",
                role_id=role_id,
                channel_id=channel_id,
                now=now,
            )
            await repo.set_status(tx, group_id, "not_started", None, actor.user_id, now)
            await self._stale.arm(tx, guild_id, group_id, now)
            group = await self._db.read(repo.get_group_in, group_id)
        assert group is not None
        return group

    async def set_discord(self, group_id: int, *, role_id: int | None, channel_id: int | None) -> Group:
        """Remember the group's role and channel (after seeding, or ``/wg repair``)."""
        async with self._db.transaction() as tx:
            await repo.set_discord(tx, group_id, role_id, channel_id)
            group = await self._db.read(repo.get_group_in, group_id)
        assert group is not None
        return group

    async def requeue_unposted(self, group_id: int) -> int:
        """After ``/wg repair``: post again what never reached the group's channel (each item's timer is
        replaced, and every handler skips what was posted meanwhile). Returns how many were queued."""
        group = await self._access.get(group_id)
        pending = await repo.unposted(self._db, group.id)
        now = self._clock.now()
        kinds = {
            "post": (WG_POST, "post_id"),
            "join_request": (WG_JOIN_REQUEST, "request_id"),
            "initiative": (WG_INITIATIVE_REVIEW, "initiative_id"),
        }
        queued = 0
        async with self._db.transaction() as tx:
            for name, ids in pending.items():
                kind, field_name = kinds[name]
                for item_id in ids:
                    await self._timers.cancel_matching(kind, tx=tx, **{field_name: item_id})
                    await self._timers.schedule(
                        kind, now, {field_name: item_id, "guild_id": group.guild_id}, tx=tx
                    )
                    queued += 1
        return queued

    async def edit(
        self,
        group_id: int,
        actor: Actor,
        lang: str,
        *,
        name: str | None = None,
        stake: str | None = None,
        mandate: str | None = None,
        description: str | None = None,
        private: bool | None = None,
    ) -> Group:
        """Moderators change a group's texts in their own language (the other languages stay), or
        its visibility. Raises ``working_groups.errors.nothing_to_change`` when given nothing.

        What Discord must follow is written with the edit (the outbox): a ``wg.overwrites`` timer when
        the visibility changed, a ``wg.role_name`` timer when the name did. Both re-apply the group's
        current state, so they are idempotent; the cog runs them at once (``TimerService.run_now``)."""
        self._access.ensure_moderator(actor)
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        changes: dict[str, Texts] = {}
        if name is not None:
            cleaned = validation.text(name, field=F_NAME, max_length=NAME_LIMIT)
            await self._ensure_unique(self._db, group.guild_id, None, cleaned, skip=group.id)
            changes["name"] = group.name.with_text(lang, cleaned)
        if stake is not None:
            text = validation.text(stake, field=F_STAKE, max_length=TEXT_LIMIT, multiline=True)
            changes["stake"] = group.stake.with_text(lang, text)
        if mandate is not None:
            text = validation.text(mandate, field=F_MANDATE, max_length=TEXT_LIMIT, multiline=True)
            changes["mandate"] = group.mandate.with_text(lang, text)
        if description is not None:
            text = validation.text(description, field=F_DESCRIPTION, max_length=TEXT_LIMIT, multiline=True)
            changes["description"] = group.description.with_text(lang, text)
        if not changes and (private is None or private == group.private):
            raise UserFacingError("working_groups.errors.nothing_to_change")
        async with self._db.transaction() as tx:
            if "name" in changes:
                await self._ensure_unique(tx, group.guild_id, None, changes["name"].get(lang), skip=group.id)
            for field_name, changed in changes.items():
                await repo.set_texts(tx, group.id, field_name, changed)
            if private is not None:
                await repo.set_visibility(tx, group.id, "private" if private else "public")
            payload = {"group_id": group.id, "guild_id": group.guild_id}
            due = self._clock.now() + OUTBOX_GRACE
            if private is not None and private != group.private:
                await self._timers.ensure_pending(WG_OVERWRITES, due, payload, tx=tx)
            if "name" in changes:
                await self._timers.ensure_pending(WG_ROLE_NAME, due, payload, tx=tx)
            updated = await self._db.read(repo.get_group_in, group.id)
        assert updated is not None
        return updated

    async def archive(self, group_id: int, actor: Actor, lang: str) -> Group:
        """Archive the group, with the ``wg.archive_channel`` timer that moves its channel to the archive
        category, read-only (the cog runs it at once; retried until done)."""
        self._access.ensure_moderator(actor)
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await repo.archive(tx, group.id, now)
            await self._timers.cancel_matching(WG_STALE, tx=tx, group_id=group.id)
            await self._timers.ensure_pending(
                WG_ARCHIVE_CHANNEL,
                now + OUTBOX_GRACE,
                {"group_id": group.id, "guild_id": group.guild_id},
                tx=tx,
            )
            updated = await self._db.read(repo.get_group_in, group.id)
        assert updated is not None
        return updated

    # --- coordinators ------------------------------------------------------------------------------

    async def add_coordinator(self, group_id: int, user_id: int, actor: Actor, lang: str) -> Group:
        self._access.ensure_moderator(actor)
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        async with self._db.transaction() as tx:
            added = await repo.add_coordinator(tx, group.id, user_id, actor.user_id, self._clock.now())
        if not added:
            raise UserFacingError("working_groups.errors.already_coordinator", group=group.name.get(lang))
        return group

    async def remove_coordinator(self, group_id: int, user_id: int, actor: Actor, lang: str) -> Group:
        self._access.ensure_moderator(actor)
        group = await self._access.get(group_id)
        async with self._db.transaction() as tx:
            removed = await repo.remove_coordinator(tx, group.id, user_id)
        if not removed:
            raise UserFacingError("working_groups.errors.not_a_coordinator", group=group.name.get(lang))
        return group
