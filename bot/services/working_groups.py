"""Working groups: the logic behind ``/wg``. No Discord here.

A group's Discord role is the truth for membership, so nothing here stores who is in a group; the
cog reads the role from the member cache and passes what the service needs (an ``Actor`` with the
member's role ids). What the service stores: the group and its texts, coordinators, status and its
history, workplan items, deliverables, progress updates and meeting summaries, documents and join
requests for private groups.

Permissions are decided here: moderators manage every group; a coordinator manages only the groups
they coordinate; members may read, join, leave, search and ask to join.

Discord side effects go through timers (an outbox): a progress update or summary row and the timer
that posts it commit together; the timer posts, records the message id, and a retry never posts
twice. The same for a private group's join request (posted for its coordinators) and the outcome DM.
A group with no update or summary for ``stale_after_weeks`` is flagged "Needs attention" and its
coordinators nudged once, by a timer armed at its last activity (never a polling loop).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from bot import validation
from bot.clock import Clock
from bot.config import WG_DELIVERABLE_KINDS, WG_STATUSES, Config, WorkingGroupConfig
from bot.db import Database, Transaction
from bot.errors import NotFound, PermissionDenied, UserFacingError
from bot.limits import excerpt
from bot.repositories import working_groups as repo
from bot.repositories.working_groups import (
    Deliverable,
    Document,
    Group,
    Initiative,
    JoinRequest,
    Post,
    ReportRow,
    Roundtable,
    SearchHit,
    StatusChange,
    Texts,
    WorkplanItem,
)
from bot.services.events import EventDraft, EventService, Occurrence
from bot.services.timers import TimerService

__all__ = [
    "DELIVERABLE_KINDS",
    "INITIATIVE_KINDS",
    "STATUSES",
    "WG_INITIATIVE_OUTCOME",
    "WG_INITIATIVE_REVIEW",
    "WG_JOIN_OUTCOME",
    "WG_JOIN_REQUEST",
    "WG_POST",
    "WG_STALE",
    "Actor",
    "Deliverable",
    "Document",
    "Group",
    "GroupCard",
    "Initiative",
    "JoinRequest",
    "Post",
    "ReportLine",
    "Roundtable",
    "SearchHit",
    "StaleCheck",
    "StatusChange",
    "Texts",
    "WorkingGroupService",
    "WorkplanItem",
]

log = logging.getLogger(__name__)

STATUSES: Final = WG_STATUSES
DELIVERABLE_KINDS: Final = WG_DELIVERABLE_KINDS

# Timer kinds (the outbox of this feature).
WG_POST: Final = "wg.post"  # {post_id, guild_id}: post an update or summary in the group's channel
WG_JOIN_REQUEST: Final = "wg.join_request"  # {request_id, guild_id}: show a join request to coordinators
WG_JOIN_OUTCOME: Final = "wg.join_outcome"  # {request_id, guild_id}: DM the member the decision
WG_STALE: Final = "wg.stale"  # {group_id, guild_id}: flag and nudge a group that went quiet
WG_INITIATIVE_REVIEW: Final = "wg.initiative_review"  # {initiative_id, guild_id}: show it to coordinators
WG_INITIATIVE_OUTCOME: Final = "wg.initiative_outcome"  # {initiative_id, guild_id}: DM the submitter

INITIATIVE_KINDS: Final = ("programme", "campaign", "policy", "provider", "resource", "other")
INITIATIVE_TITLE_LIMIT: Final = 100
ORGANISATION_LIMIT: Final = 100
COUNTRY_LIMIT: Final = 60
INITIATIVE_DESCRIPTION_LIMIT: Final = 2000

NAME_LIMIT: Final = 100  # Discord's role-name limit
TEXT_LIMIT: Final = 1000
ITEM_LIMIT: Final = 500
DELIVERABLE_TITLE_LIMIT: Final = 200
NOTE_LIMIT: Final = 500
UPDATE_LIMIT: Final = 4000
SUMMARY_TITLE_LIMIT: Final = 100
SUMMARY_LIMIT: Final = 12000
DOC_TITLE_LIMIT: Final = 200
SEARCH_QUERY_LIMIT: Final = 200
SEARCH_RESULTS: Final = 10
RECENT_UPDATES: Final = 3
UPCOMING_ROUNDTABLES: Final = 3
PAST_ROUNDTABLES: Final = 5
# The card lists a group's documents oldest first in one 1,024-character field: a line is at least 17
# characters (`1` [t](http://x) and the newline), so no more than 60 ever show; one more row tells the
# field to end with "…". Reading them all cost a row each for nothing.
CARD_DOCUMENTS: Final = 61
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_WORD = re.compile(r"\w+", re.UNICODE)

F_KEY: Final = "working_groups.fields.key"
F_NAME: Final = "working_groups.fields.name"
F_STAKE: Final = "working_groups.fields.stake"
F_MANDATE: Final = "working_groups.fields.mandate"
F_DESCRIPTION: Final = "working_groups.fields.description"
F_NOTE: Final = "working_groups.fields.note"
F_ITEM: Final = "working_groups.fields.item"
F_DELIVERABLE: Final = "working_groups.fields.deliverable"
F_DUE: Final = "working_groups.fields.due"
F_LINK: Final = "working_groups.fields.link"
F_TEXT: Final = "working_groups.fields.text"
F_SUMMARY_TITLE: Final = "working_groups.fields.summary_title"
F_SUMMARY: Final = "working_groups.fields.summary"
F_DOC_TITLE: Final = "working_groups.fields.doc_title"
F_URL: Final = "working_groups.fields.url"
F_QUERY: Final = "working_groups.fields.query"
F_INITIATIVE_TITLE: Final = "working_groups.fields.initiative_title"
F_ORGANISATION: Final = "working_groups.fields.organisation"
F_COUNTRY: Final = "working_groups.fields.country"
F_INITIATIVE_LINK: Final = "working_groups.fields.initiative_link"
F_INITIATIVE_DESCRIPTION: Final = "working_groups.fields.initiative_description"


@dataclass(frozen=True)
class Actor:
    """Who acts: their id, whether they moderate, and their role ids (from Discord's member cache)."""

    user_id: int
    moderator: bool = False
    role_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class GroupCard:
    group: Group
    coordinators: list[int]
    workplan: list[WorkplanItem]
    deliverables: list[Deliverable]
    updates: list[Post]
    summaries: list[Post]
    documents: list[Document]
    history: list[StatusChange]
    archive_hidden: bool = False  # a private group seen from outside: no updates, notes or documents
    upcoming: list[Roundtable] = field(default_factory=list)  # the next roundtables the group hosts
    past: list[Roundtable] = field(default_factory=list)  # the last ones, with attendance


@dataclass(frozen=True)
class ReportLine:
    row: ReportRow
    days_since_update: int  # since the last update or summary, else since the group was created
    stale: bool


@dataclass(frozen=True)
class StaleCheck:
    """What a stale timer found: ``nudge`` with the coordinators to nudge, or nothing to do."""

    group: Group | None
    nudge: bool
    coordinators: list[int] = field(default_factory=list)


def fold(text: str) -> str:
    """Case- and accent-insensitive form, for comparing names ("Réunion" == "reunion")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for what a member typed: every word must appear (accents folded by
    the tokenizer), the last one as a prefix. Each word is quoted, so FTS5 operators typed by the
    member (NEAR, OR, quotes, ``*``) are plain words. None when there is no word."""
    words = _WORD.findall(text)[:12]
    if not words:
        return None
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class WorkingGroupService:
    """``WorkingGroupService(db, clock, timers, config, events)``; ``events`` (the EventService) is
    needed only for events hosted by a group."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        timers: TimerService,
        config: Config,
        events: EventService | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._config = config
        self._events = events

    @property
    def stale_after(self) -> timedelta:
        return timedelta(weeks=self._config.working_group_settings.stale_after_weeks)

    def _today(self) -> date:
        return self._clock.now().astimezone(self._config.zone).date()

    # --- reading -----------------------------------------------------------------------------------

    async def get(self, group_id: int) -> Group:
        group = await repo.get_group(self._db, group_id)
        if group is None:
            raise NotFound("working_groups.errors.unknown_group", group=str(group_id))
        return group

    async def groups(self, guild_id: int, *, include_archived: bool = False) -> list[Group]:
        return await repo.list_groups(self._db, guild_id, include_archived=include_archived)

    async def find(self, guild_id: int, text: str, *, include_archived: bool = False) -> Group:
        """The group a ``group`` option names: its key (what autocomplete sends), or its name in any
        language, case and accents ignored. Raises ``working_groups.errors.unknown_group``."""
        cleaned = (text or "").strip()
        found = await self._db.quick_read(_find, guild_id, cleaned, include_archived) if cleaned else None
        if found is None:
            raise NotFound("working_groups.errors.unknown_group", group=excerpt(cleaned or "?"))
        return found

    async def autocomplete(
        self, guild_id: int, typed: str, lang: str, *, limit: int = 25
    ) -> list[repo.GroupName]:
        """Active groups whose key or name (in any language, case and accents ignored) holds ``typed``."""
        wanted = fold(typed or "")
        found = []
        for group in await repo.group_names(self._db, guild_id):
            if group.archived:
                continue
            haystack = " ".join([group.key, *(fold(name) for name in group.name.all())])
            if wanted in haystack:
                found.append(group)
        return found[:limit]

    async def group_by_role(self, guild_id: int, role_id: int) -> Group | None:
        return await repo.group_by_role(self._db, guild_id, role_id)

    async def coordinators(self, group_id: int) -> list[int]:
        return await repo.coordinators(self._db, group_id)

    async def coordinators_by_group(self, guild_id: int) -> dict[int, list[int]]:
        return await repo.coordinators_by_group(self._db, guild_id)

    async def card(self, group_id: int, actor: Actor | None = None) -> GroupCard:
        """The group's card. A private group's archive (updates, notes, documents) is left out for a
        member without its role (``actor``; None reads everything, for internal use)."""
        card = await self._db.read(_card, group_id, actor, self._clock.now())
        if card is None:
            raise NotFound("working_groups.errors.unknown_group", group=str(group_id))
        return card

    async def find_card(
        self, guild_id: int, text: str, actor: Actor | None, *, include_archived: bool = False
    ) -> GroupCard:
        """``find`` then ``card`` in one trip to the database (what /wg info shows)."""
        cleaned = (text or "").strip()
        card = (
            await self._db.quick_read(
                _find_card, guild_id, cleaned, include_archived, actor, self._clock.now()
            )
            if cleaned
            else None
        )
        if card is None:
            raise NotFound("working_groups.errors.unknown_group", group=excerpt(cleaned or "?"))
        return card

    async def get_post(self, post_id: int) -> Post | None:
        return await repo.get_post(self._db, post_id)

    async def get_join_request(self, request_id: int) -> JoinRequest:
        request = await repo.get_join_request(self._db, request_id)
        if request is None:
            raise NotFound("working_groups.errors.unknown_request")
        return request

    # --- permissions ---------------------------------------------------------------------------------

    async def can_manage(self, group: Group, actor: Actor) -> bool:
        return actor.moderator or await repo.is_coordinator(self._db, group.id, actor.user_id)

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
    def _ensure_active(group: Group, lang: str) -> None:
        if group.archived:
            raise UserFacingError("working_groups.errors.archived", group=group.name.get(lang))

    # --- seeding and creation ------------------------------------------------------------------------

    async def seed(self, guild_id: int, groups: Sequence[WorkingGroupConfig]) -> list[Group]:
        """Insert the configured groups this guild does not have yet (by key), with their workplan and
        deliverables; returns every configured group's row. Idempotent: a restart inserts nothing."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            for config in groups:
                if await repo.get_group_by_key(tx, guild_id, config.key) is not None:
                    continue
                group_id = await repo.insert_group(
                    tx,
                    guild_id=guild_id,
                    key=config.key,
                    texts_by_field={
                        "name": _localized(config.name),
                        "stake": _localized(config.stake),
                        "mandate": _localized(config.mandate),
                        "actions": _localized(config.actions),
                        "description": _localized(config.description),
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
                    await repo.insert_workplan_item(tx, group_id, _localized(item.title), item.status, now)
                for deliverable in config.deliverables:
                    await repo.insert_deliverable(
                        tx,
                        group_id,
                        title=_localized(deliverable.title),
                        kind=deliverable.kind,
                        due_date=None,
                        status=deliverable.status,
                        link=None,
                        now=now,
                    )
                await self._arm_stale(tx, guild_id, group_id, now)
            found = [await repo.get_group_by_key(tx, guild_id, config.key) for config in groups]
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
            and (existing := await repo.get_group_by_key(conn, guild_id, key)) is not None
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
        self.ensure_moderator(actor)
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
            await self._arm_stale(tx, guild_id, group_id, now)
            group = await repo.get_group(tx, group_id)
        assert group is not None
        return group

    async def set_discord(self, group_id: int, *, role_id: int | None, channel_id: int | None) -> Group:
        """Remember the group's role and channel (after seeding, or ``/wg repair``)."""
        async with self._db.transaction() as tx:
            await repo.set_discord(tx, group_id, role_id, channel_id)
            group = await repo.get_group(tx, group_id)
        assert group is not None
        return group

    async def requeue_unposted(self, group_id: int) -> int:
        """After ``/wg repair``: post again what never reached the group's channel (each item's timer is
        replaced, and every handler skips what was posted meanwhile). Returns how many were queued."""
        group = await self.get(group_id)
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
        its visibility. Raises ``working_groups.errors.nothing_to_change`` when given nothing."""
        self.ensure_moderator(actor)
        group = await self.get(group_id)
        self._ensure_active(group, lang)
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
            updated = await repo.get_group(tx, group.id)
        assert updated is not None
        return updated

    async def archive(self, group_id: int, actor: Actor, lang: str) -> Group:
        self.ensure_moderator(actor)
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        async with self._db.transaction() as tx:
            await repo.archive(tx, group.id, self._clock.now())
            await self._timers.cancel_matching(WG_STALE, tx=tx, group_id=group.id)
            updated = await repo.get_group(tx, group.id)
        assert updated is not None
        return updated

    # --- coordinators --------------------------------------------------------------------------------

    async def add_coordinator(self, group_id: int, user_id: int, actor: Actor, lang: str) -> Group:
        self.ensure_moderator(actor)
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        async with self._db.transaction() as tx:
            added = await repo.add_coordinator(tx, group.id, user_id, actor.user_id, self._clock.now())
        if not added:
            raise UserFacingError("working_groups.errors.already_coordinator", group=group.name.get(lang))
        return group

    async def remove_coordinator(self, group_id: int, user_id: int, actor: Actor, lang: str) -> Group:
        self.ensure_moderator(actor)
        group = await self.get(group_id)
        async with self._db.transaction() as tx:
            removed = await repo.remove_coordinator(tx, group.id, user_id)
        if not removed:
            raise UserFacingError("working_groups.errors.not_a_coordinator", group=group.name.get(lang))
        return group

    # --- status, workplan, deliverables --------------------------------------------------------------

    @staticmethod
    def _status(value: str) -> str:
        if value not in STATUSES:
            raise UserFacingError("working_groups.errors.bad_status")
        return value

    async def set_status(
        self, group_id: int, status: str, note: str | None, actor: Actor, lang: str
    ) -> Group:
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
        status = self._status(status)
        note = validation.optional_text(note, field=F_NOTE, max_length=NOTE_LIMIT)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await repo.set_status(tx, group.id, status, note, actor.user_id, now)
            if status == "completed":
                await self._timers.cancel_matching(WG_STALE, tx=tx, group_id=group.id)
            updated = await repo.get_group(tx, group.id)
        assert updated is not None
        return updated

    async def workplan_add(
        self, group_id: int, title: str, status: str, actor: Actor, lang: str
    ) -> WorkplanItem:
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
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
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
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
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
        item = await self._item(group, item_id)
        async with self._db.transaction() as tx:
            await repo.delete_workplan_item(tx, item.id)
        return item

    async def workplan(self, group_id: int) -> list[WorkplanItem]:
        return await repo.workplan(self._db, group_id)

    async def deliverables(self, group_id: int) -> list[Deliverable]:
        return await repo.deliverables(self._db, group_id)

    def _kind(self, kind: str) -> str:
        if kind not in DELIVERABLE_KINDS:
            raise UserFacingError("working_groups.errors.bad_kind")
        return kind

    def _due(self, due: str | None) -> date | None:
        if due is None or not due.strip():
            return None
        return validation.calendar_date(due, field=F_DUE, today=self._today())

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
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
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
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
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
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
        deliverable = await self._deliverable(group, deliverable_id)
        async with self._db.transaction() as tx:
            await repo.delete_deliverable(tx, deliverable.id)
        return deliverable

    # --- updates, summaries, documents ---------------------------------------------------------------

    async def _post(
        self,
        group: Group,
        *,
        kind: str,
        author: Actor,
        title: str | None,
        body: str,
        occurrence_id: int | None,
    ) -> Post:
        now = self._clock.now()
        async with self._db.transaction() as tx:
            post_id = await repo.insert_post(
                tx,
                group.id,
                kind=kind,
                author_id=author.user_id,
                title=title,
                body=body,
                occurrence_id=occurrence_id,
                now=now,
            )
            await repo.touch_activity(tx, group.id, now)
            await self._timers.schedule(WG_POST, now, {"post_id": post_id, "guild_id": group.guild_id}, tx=tx)
            await self._arm_stale(tx, group.guild_id, group.id, now)
            post = await repo.get_post(tx, post_id)
        assert post is not None
        return post

    async def post_update(self, group_id: int, text: str, actor: Actor, lang: str) -> Post:
        """A progress update: stored (for the digest and search) and posted in the group's channel."""
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
        body = validation.text(text, field=F_TEXT, max_length=UPDATE_LIMIT, multiline=True)
        return await self._post(group, kind="update", author=actor, title=None, body=body, occurrence_id=None)

    async def post_summary(
        self,
        group_id: int,
        title: str,
        body: str,
        actor: Actor,
        lang: str,
        *,
        occurrence_id: int | None = None,
    ) -> Post:
        """Meeting notes, optionally tied to an event occurrence. Posted whole: a body longer than a
        message goes out as an attached Markdown file (the cog decides how to render)."""
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
        cleaned_title = validation.text(title, field=F_SUMMARY_TITLE, max_length=SUMMARY_TITLE_LIMIT)
        cleaned_body = validation.text(body, field=F_SUMMARY, max_length=SUMMARY_LIMIT, multiline=True)
        return await self._post(
            group,
            kind="summary",
            author=actor,
            title=cleaned_title,
            body=cleaned_body,
            occurrence_id=occurrence_id,
        )

    async def record_post_message(self, post_id: int, channel_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await repo.set_post_message(tx, post_id, channel_id, message_id)

    async def add_document(self, group_id: int, title: str, url: str, actor: Actor, lang: str) -> Document:
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        await self.ensure_can_manage(group, actor, lang)
        cleaned = validation.text(title, field=F_DOC_TITLE, max_length=DOC_TITLE_LIMIT)
        link = validation.web_url(url, field=F_URL)
        async with self._db.transaction() as tx:
            document_id = await repo.insert_document(
                tx, group.id, cleaned, link, actor.user_id, self._clock.now()
            )
            if document_id is None:
                raise UserFacingError("working_groups.errors.duplicate_document")
            document = await repo.get_document(tx, document_id)
        assert document is not None
        return document

    async def remove_document(self, group_id: int, document_id: int, actor: Actor, lang: str) -> Document:
        group = await self.get(group_id)
        await self.ensure_can_manage(group, actor, lang)
        document = await repo.get_document(self._db, document_id)
        if document is None or document.group_id != group.id:
            raise NotFound("working_groups.errors.unknown_document")
        async with self._db.transaction() as tx:
            await repo.delete_document(tx, document.id)
        return document

    async def documents(self, group_id: int) -> list[Document]:
        return await repo.documents(self._db, group_id)

    # --- joining private groups ----------------------------------------------------------------------

    async def request_join(self, group_id: int, actor: Actor, lang: str) -> JoinRequest:
        """Ask to join a private group: one pending request per member and group; the request is
        shown to the coordinators by a timer. Raises ``working_groups.errors.request_pending``."""
        group = await self.get(group_id)
        self._ensure_active(group, lang)
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
        group = await self.get(request.group_id)
        await self.ensure_can_manage(group, actor, lang)
        self._ensure_active(group, lang)
        if request.status != "pending":
            raise UserFacingError("working_groups.errors.request_decided")
        return request, group

    async def decide_join(self, request_id: int, approve: bool, actor: Actor, lang: str) -> JoinRequest:
        """Close the request (after the cog gave the role, for an approval) and schedule the DM that
        tells the member. Raises ``working_groups.errors.request_decided`` if someone was faster."""
        request, group = await self.check_decider(request_id, actor, lang)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            closed = await repo.decide_join_request(
                tx, request.id, "approved" if approve else "declined", actor.user_id, now
            )
            if not closed:
                raise UserFacingError("working_groups.errors.request_decided")
            await self._timers.schedule(
                WG_JOIN_OUTCOME, now, {"request_id": request.id, "guild_id": group.guild_id}, tx=tx
            )
            decided = await repo.get_join_request(tx, request.id)
        assert decided is not None
        return decided

    # --- panels --------------------------------------------------------------------------------------

    async def add_panel(self, guild_id: int, channel_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await repo.insert_panel(tx, guild_id, channel_id, message_id, self._clock.now())

    async def panels(self, guild_id: int) -> list[repo.Panel]:
        return await repo.panels(self._db, guild_id)

    async def remove_panel(self, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await repo.delete_panel(tx, message_id)

    # --- report and staleness ------------------------------------------------------------------------

    async def report(self, guild_id: int) -> list[ReportLine]:
        now = self._clock.now()
        lines = []
        for row in await repo.report(self._db, guild_id, self._today()):
            since = row.last_update_at or row.last_activity_at
            days = max(0, (now - since).days)
            stale = row.status != "completed" and now - row.last_activity_at >= self.stale_after
            lines.append(ReportLine(row=row, days_since_update=days, stale=stale))
        return lines

    async def _arm_stale(self, tx: Transaction, guild_id: int, group_id: int, activity_at: datetime) -> None:
        """One pending stale timer per group, due ``stale_after`` after its last activity."""
        await self._timers.cancel_matching(WG_STALE, tx=tx, group_id=group_id)
        await self._timers.schedule(
            WG_STALE, activity_at + self.stale_after, {"group_id": group_id, "guild_id": guild_id}, tx=tx
        )

    async def check_stale(self, group_id: int) -> StaleCheck:
        """Run by the stale timer. A group still quiet is flagged "Needs attention" (once, by the bot)
        and its coordinators are to be nudged, unless this quiet spell was nudged already. A group
        that had activity since is re-armed instead (normally its timer moved already)."""
        group = await repo.get_group(self._db, group_id)
        if group is None or group.archived or group.status == "completed":
            return StaleCheck(group, nudge=False)
        now = self._clock.now()
        if now - group.last_activity_at < self.stale_after:
            async with self._db.transaction() as tx:
                await self._arm_stale(tx, group.guild_id, group.id, group.last_activity_at)
            return StaleCheck(group, nudge=False)
        if group.nudged_for == group.last_activity_at:
            return StaleCheck(group, nudge=False)
        async with self._db.transaction() as tx:
            if group.status != "needs_attention":
                await repo.set_status(tx, group.id, "needs_attention", None, None, now)
            flagged = await repo.get_group(tx, group.id)
        return StaleCheck(flagged, nudge=True, coordinators=await repo.coordinators(self._db, group.id))

    async def mark_nudged(self, group: Group) -> bool:
        """Remember that the nudge for this quiet spell went out; False if it already had."""
        async with self._db.transaction() as tx:
            return await repo.set_nudged_for(tx, group.id, group.last_activity_at)

    # --- search --------------------------------------------------------------------------------------

    async def visible_groups(self, guild_id: int, actor: Actor) -> list[int]:
        """The groups whose archive the member may see: every public group, the private ones whose
        role they hold; every group for moderators."""
        return await self._db.read(_visible, guild_id, actor)

    async def search(
        self,
        guild_id: int,
        query: str,
        actor: Actor,
        *,
        group_id: int | None = None,
        limit: int = SEARCH_RESULTS,
    ) -> list[SearchHit]:
        """Updates, summaries, documents and approved initiatives matching every word of ``query``,
        accents and case ignored, best first; only what the member may see (a private group's archive
        needs its role). Raises ``working_groups.errors.no_words`` for a query with no word."""
        cleaned = validation.text(query, field=F_QUERY, max_length=SEARCH_QUERY_LIMIT)
        match = fts_query(cleaned)
        if match is None:
            raise UserFacingError("working_groups.errors.no_words")
        return await self._db.quick_read(_search, guild_id, match, actor, group_id, limit)

    # --- index of initiatives ------------------------------------------------------------------------

    async def may_see(self, group: Group, actor: Actor) -> bool:
        """A private group's initiatives and archive need its role (or moderation or coordination)."""
        if not group.private or actor.moderator:
            return True
        if group.role_id is not None and group.role_id in actor.role_ids:
            return True
        return await repo.is_coordinator(self._db, group.id, actor.user_id)

    async def submit_initiative(
        self,
        group_id: int,
        actor: Actor,
        lang: str,
        *,
        title: str,
        organisation: str,
        country: str,
        link: str | None,
        description: str,
        kind: str,
    ) -> Initiative:
        """A member of the group proposes an entry for its index; its coordinators approve or decline it
        (a timer shows it to them). Raises ``working_groups.errors.not_member_to_submit``."""
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        member = group.role_id is not None and group.role_id in actor.role_ids
        if not member and not await self.can_manage(group, actor):
            raise PermissionDenied("working_groups.errors.not_member_to_submit", group=group.name.get(lang))
        if kind not in INITIATIVE_KINDS:
            raise UserFacingError("working_groups.errors.bad_kind")
        values = {
            "title": validation.text(title, field=F_INITIATIVE_TITLE, max_length=INITIATIVE_TITLE_LIMIT),
            "organisation": validation.text(
                organisation, field=F_ORGANISATION, max_length=ORGANISATION_LIMIT
            ),
            "country": validation.text(country, field=F_COUNTRY, max_length=COUNTRY_LIMIT),
            "link": validation.optional_web_url(link, field=F_INITIATIVE_LINK),
            "description": validation.text(
                description,
                field=F_INITIATIVE_DESCRIPTION,
                max_length=INITIATIVE_DESCRIPTION_LIMIT,
                multiline=True,
            ),
        }
        now = self._clock.now()
        async with self._db.transaction() as tx:
            initiative_id = await repo.insert_initiative(
                tx,
                group.id,
                submitted_by=actor.user_id,
                title=str(values["title"]),
                organisation=str(values["organisation"]),
                country=str(values["country"]),
                link=values["link"],
                description=str(values["description"]),
                kind=kind,
                language=lang,
                now=now,
            )
            await self._timers.schedule(
                WG_INITIATIVE_REVIEW, now, {"initiative_id": initiative_id, "guild_id": group.guild_id}, tx=tx
            )
            initiative = await repo.get_initiative(tx, initiative_id)
        assert initiative is not None
        return initiative

    async def get_initiative(self, initiative_id: int) -> Initiative:
        initiative = await repo.get_initiative(self._db, initiative_id)
        if initiative is None:
            raise NotFound("working_groups.errors.unknown_initiative")
        return initiative

    async def record_initiative_message(self, initiative_id: int, channel_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await repo.set_initiative_message(tx, initiative_id, channel_id, message_id)

    async def decide_initiative(
        self, initiative_id: int, approve: bool, actor: Actor, lang: str
    ) -> Initiative:
        """Coordinators of the group (or moderators) approve or decline a pending entry; the submitter is
        told by DM (a timer). An approved entry becomes searchable (the FTS trigger)."""
        initiative = await self.get_initiative(initiative_id)
        group = await self.get(initiative.group_id)
        await self.ensure_can_manage(group, actor, lang)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if not await repo.decide_initiative(
                tx, initiative.id, "approved" if approve else "declined", actor.user_id, now
            ):
                raise UserFacingError("working_groups.errors.initiative_decided")
            await self._timers.schedule(
                WG_INITIATIVE_OUTCOME,
                now,
                {"initiative_id": initiative.id, "guild_id": group.guild_id},
                tx=tx,
            )
            decided = await repo.get_initiative(tx, initiative.id)
        assert decided is not None
        return decided

    async def initiatives(
        self, group_id: int, actor: Actor, lang: str, *, country: str | None = None, kind: str | None = None
    ) -> list[Initiative]:
        """Approved entries, optionally of one country (case and accents ignored) and kind."""
        group = await self.get(group_id)
        if not await self.may_see(group, actor):
            raise PermissionDenied("working_groups.errors.private_group", group=group.name.get(lang))
        if kind is not None and kind not in INITIATIVE_KINDS:
            raise UserFacingError("working_groups.errors.bad_kind")
        found = await repo.approved_initiatives(self._db, group.id, kind)
        if country is not None and country.strip():
            wanted = fold(validation.text(country, field=F_COUNTRY, max_length=COUNTRY_LIMIT))
            found = [initiative for initiative in found if fold(initiative.country) == wanted]
        return found

    async def export_initiatives(
        self, group_id: int, actor: Actor, lang: str
    ) -> tuple[Group, list[Initiative]]:
        """Every approved entry, for the coordinators' CSV and Markdown export."""
        group = await self.get(group_id)
        await self.ensure_can_manage(group, actor, lang)
        return group, await repo.approved_initiatives(self._db, group.id)

    # --- roundtables (events hosted by a group) ------------------------------------------------------

    async def create_group_event(self, group_id: int, draft: EventDraft, lang: str) -> Occurrence:
        """``EventService.create_and_announce`` for an event the group hosts, linked to the group in the
        same transaction (its announcement timer and the link commit together, or neither)."""
        if self._events is None:
            raise RuntimeError("WorkingGroupService was built without the EventService")
        group = await self.get(group_id)
        self._ensure_active(group, lang)
        if group.guild_id != draft.guild_id:
            raise NotFound("working_groups.errors.unknown_group", group=str(group_id))
        async with self._db.transaction() as tx:
            occurrence = await self._events.create_and_announce(draft)  # joins this transaction
            await repo.link_event(tx, group.id, occurrence.series_id)
        return occurrence

    async def roundtables(self, group_id: int) -> tuple[list[Roundtable], list[Roundtable]]:
        """(the next three, the last five) occurrences of the group's events, with attendance."""
        now = self._clock.now()
        return (
            await repo.roundtables(self._db, group_id, now, upcoming=True, limit=UPCOMING_ROUNDTABLES),
            await repo.roundtables(self._db, group_id, now, upcoming=False, limit=PAST_ROUNDTABLES),
        )


# --- reads in one trip to the database thread (``Database.read``: one hand-off, one snapshot) --------


def _find(conn: sqlite3.Connection, guild_id: int, cleaned: str, include_archived: bool) -> Group | None:
    """The group whose key is ``cleaned`` (what autocomplete sends: one indexed row), else the first
    by key whose name in some language folds to it."""
    group = repo.get_group_by_key_in(conn, guild_id, cleaned)
    if group is not None and (include_archived or not group.archived):
        return group
    wanted = fold(cleaned)
    for named in repo.group_names_in(conn, guild_id):
        if named.archived and not include_archived:
            continue
        if wanted in (fold(name) for name in named.name.all()):
            return repo.get_group_in(conn, named.id)
    return None


def _find_card(
    conn: sqlite3.Connection,
    guild_id: int,
    cleaned: str,
    include_archived: bool,
    actor: Actor | None,
    now: datetime,
) -> GroupCard | None:
    group = _find(conn, guild_id, cleaned, include_archived)
    return None if group is None else _group_card(conn, group, actor, now)


def _card(conn: sqlite3.Connection, group_id: int, actor: Actor | None, now: datetime) -> GroupCard | None:
    group = repo.get_group_in(conn, group_id)
    return None if group is None else _group_card(conn, group, actor, now)


def _group_card(conn: sqlite3.Connection, group: Group, actor: Actor | None, now: datetime) -> GroupCard:
    group_id = group.id
    hidden = (
        actor is not None
        and group.private
        and not actor.moderator
        and not (group.role_id is not None and group.role_id in actor.role_ids)
        and not repo.is_coordinator_in(conn, group.id, actor.user_id)
    )
    return GroupCard(
        group=group,
        coordinators=repo.coordinators_in(conn, group_id),
        workplan=repo.workplan_in(conn, group_id),
        deliverables=repo.deliverables_in(conn, group_id),
        updates=[] if hidden else repo.recent_posts_in(conn, group_id, "update", RECENT_UPDATES),
        summaries=[] if hidden else repo.recent_posts_in(conn, group_id, "summary", RECENT_UPDATES),
        documents=[] if hidden else repo.documents_in(conn, group_id, CARD_DOCUMENTS),
        history=repo.status_history_in(conn, group_id, limit=5),
        archive_hidden=hidden,
        upcoming=repo.roundtables_in(conn, group_id, now, upcoming=True, limit=UPCOMING_ROUNDTABLES),
        past=repo.roundtables_in(conn, group_id, now, upcoming=False, limit=PAST_ROUNDTABLES),
    )


def _visible(conn: sqlite3.Connection, guild_id: int, actor: Actor) -> list[int]:
    return [
        group_id
        for group_id, private, role_id in repo.group_access_in(conn, guild_id)
        if actor.moderator or not private or (role_id is not None and role_id in actor.role_ids)
    ]


def _search(
    conn: sqlite3.Connection, guild_id: int, match: str, actor: Actor, group_id: int | None, limit: int
) -> list[SearchHit]:
    visible = _visible(conn, guild_id, actor)
    if group_id is not None:
        visible = [found for found in visible if found == group_id]
    return repo.search_in(conn, match, group_ids=visible, limit=limit)


def _localized(value: object) -> Texts:
    """Config ``Localized`` (or None) as stored ``Texts``."""
    if value is None:
        return Texts()
    return Texts({lang: getattr(value, lang) for lang in ("en", "fr", "es")})
