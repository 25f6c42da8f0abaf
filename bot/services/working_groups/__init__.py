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

One module for each kind of thing: :mod:`.model` (kinds, limits, values), :mod:`.access` (who may
act), :mod:`.work` (status, workplan, deliverables), :mod:`.posts` (updates, summaries, documents),
:mod:`.requests` (joining private groups), :mod:`.initiatives` (the index of initiatives),
:mod:`.stale` (quiet groups and the report), :mod:`.reads` (one-trip reads), :mod:`.groups` (seeding,
creating, editing, archiving, coordinators). :class:`WorkingGroupService` holds one of each as a
public attribute (``service.work``, ``service.posts``, ...) and itself reading, panels, search and
roundtables.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from typing import Final

from bot import validation
from bot.clock import Clock
from bot.config import Config, WorkingGroupConfig
from bot.db import Database
from bot.errors import NotFound, UserFacingError
from bot.limits import excerpt
from bot.repositories import working_groups as repo
from bot.services.events import EventDraft, EventService, Occurrence
from bot.services.timers import TimerService
from bot.services.working_groups import reads
from bot.services.working_groups.access import GroupAccess
from bot.services.working_groups.groups import GroupAdmin
from bot.services.working_groups.initiatives import InitiativeIndex
from bot.services.working_groups.model import (
    CARD_DOCUMENTS,
    COUNTRY_LIMIT,
    DELIVERABLE_KINDS,
    DELIVERABLE_TITLE_LIMIT,
    DOC_TITLE_LIMIT,
    INITIATIVE_DESCRIPTION_LIMIT,
    INITIATIVE_KINDS,
    INITIATIVE_TITLE_LIMIT,
    ITEM_LIMIT,
    NAME_LIMIT,
    NOTE_LIMIT,
    ORGANISATION_LIMIT,
    OUTBOX_GRACE,
    PAST_ROUNDTABLES,
    RECENT_UPDATES,
    SEARCH_QUERY_LIMIT,
    SEARCH_RESULTS,
    STATUSES,
    SUMMARY_LIMIT,
    SUMMARY_TITLE_LIMIT,
    TEXT_LIMIT,
    UPCOMING_ROUNDTABLES,
    UPDATE_LIMIT,
    WG_ARCHIVE_CHANNEL,
    WG_INITIATIVE_OUTCOME,
    WG_INITIATIVE_REVIEW,
    WG_JOIN_OUTCOME,
    WG_JOIN_REQUEST,
    WG_OVERWRITES,
    WG_PANEL,
    WG_POST,
    WG_ROLE_NAME,
    WG_STALE,
    Actor,
    Deliverable,
    Document,
    Group,
    GroupCard,
    GroupName,
    Initiative,
    JoinRequest,
    Panel,
    Post,
    ReportLine,
    ReportRow,
    Roundtable,
    SearchHit,
    StaleCheck,
    StatusChange,
    Texts,
    WorkplanItem,
    fold,
    fts_query,
)
from bot.services.working_groups.posts import GroupPosts
from bot.services.working_groups.requests import JoinRequests
from bot.services.working_groups.stale import Staleness
from bot.services.working_groups.work import GroupWork

# Field names shown in validation errors (working_groups.yml, working_groups.fields.*).
F_QUERY: Final = "working_groups.fields.query"

__all__ = [
    "CARD_DOCUMENTS",
    "COUNTRY_LIMIT",
    "DELIVERABLE_KINDS",
    "DELIVERABLE_TITLE_LIMIT",
    "DOC_TITLE_LIMIT",
    "INITIATIVE_DESCRIPTION_LIMIT",
    "INITIATIVE_KINDS",
    "INITIATIVE_TITLE_LIMIT",
    "ITEM_LIMIT",
    "NAME_LIMIT",
    "NOTE_LIMIT",
    "ORGANISATION_LIMIT",
    "OUTBOX_GRACE",
    "PAST_ROUNDTABLES",
    "RECENT_UPDATES",
    "SEARCH_QUERY_LIMIT",
    "SEARCH_RESULTS",
    "STATUSES",
    "SUMMARY_LIMIT",
    "SUMMARY_TITLE_LIMIT",
    "TEXT_LIMIT",
    "UPCOMING_ROUNDTABLES",
    "UPDATE_LIMIT",
    "WG_ARCHIVE_CHANNEL",
    "WG_INITIATIVE_OUTCOME",
    "WG_INITIATIVE_REVIEW",
    "WG_JOIN_OUTCOME",
    "WG_JOIN_REQUEST",
    "WG_OVERWRITES",
    "WG_PANEL",
    "WG_POST",
    "WG_ROLE_NAME",
    "WG_STALE",
    "Actor",
    "Deliverable",
    "Document",
    "Group",
    "GroupCard",
    "GroupName",
    "Initiative",
    "JoinRequest",
    "Panel",
    "Post",
    "ReportLine",
    "ReportRow",
    "Roundtable",
    "SearchHit",
    "StaleCheck",
    "StatusChange",
    "Texts",
    "WorkingGroupService",
    "WorkplanItem",
    "fold",
    "fts_query",
]

log = logging.getLogger(__name__)


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
        # The parts the cog calls directly (``service.work.workplan_add(...)``): one object per kind
        # of thing, sharing the access rules and the staleness timer.
        self.access = GroupAccess(db)
        self.stale = Staleness(db, clock, timers, config)
        self.work = GroupWork(db, clock, timers, config, self.access)
        self.posts = GroupPosts(db, clock, timers, self.access, self.stale)
        self.requests = JoinRequests(db, clock, timers, self.access)
        self.initiatives = InitiativeIndex(db, clock, timers, self.access)
        self.admin = GroupAdmin(db, clock, timers, self.access, self.stale)

    # --- reading -----------------------------------------------------------------------------------

    async def groups(self, guild_id: int, *, include_archived: bool = False) -> list[Group]:
        return await repo.list_groups(self._db, guild_id, include_archived=include_archived)

    async def find(self, guild_id: int, text: str, *, include_archived: bool = False) -> Group:
        """The group a ``group`` option names: its key (what autocomplete sends), or its name in any
        language, case and accents ignored. Raises ``working_groups.errors.unknown_group``."""
        cleaned = (text or "").strip()
        found = await self._db.read(reads.find, guild_id, cleaned, include_archived) if cleaned else None
        if found is None:
            raise NotFound("working_groups.errors.unknown_group", group=excerpt(cleaned or "?"))
        return found

    async def autocomplete(
        self, guild_id: int, typed: str, lang: str, *, limit: int = 25
    ) -> list[repo.GroupName]:
        """Active groups whose key or name (in any language, case and accents ignored) holds ``typed``."""
        wanted = fold(typed or "")
        found = []
        for group in await self._db.read(repo.group_names_in, guild_id):
            if group.archived:
                continue
            haystack = " ".join([group.key, *(fold(name) for name in group.name.all())])
            if wanted in haystack:
                found.append(group)
        return found[:limit]

    async def coordinators(self, group_id: int) -> list[int]:
        return await self._db.read(repo.coordinators_in, group_id)

    async def coordinators_by_group(self, guild_id: int) -> dict[int, list[int]]:
        return await repo.coordinators_by_group(self._db, guild_id)

    async def coordinates_any(self, guild_id: int, user_id: int) -> bool:
        """Whether ``user_id`` coordinates some group of the guild, archived ones included (their
        coordinators may still export them). What the commands' coordinator check asks; the
        per-group check (``GroupAccess.ensure_can_manage``) still decides for the group named."""
        by_group = await repo.coordinators_by_group(self._db, guild_id)
        return any(user_id in users for users in by_group.values())

    async def card(self, group_id: int, actor: Actor | None = None) -> GroupCard:
        """The group's card. A private group's archive (updates, notes, documents) is left out for a
        member without its role (``actor``; None reads everything, for internal use)."""
        card = await self._db.read(reads.card, group_id, actor, self._clock.now())
        if card is None:
            raise NotFound("working_groups.errors.unknown_group", group=str(group_id))
        return card

    async def find_card(
        self, guild_id: int, text: str, actor: Actor | None, *, include_archived: bool = False
    ) -> GroupCard:
        """``find`` then ``card`` in one trip to the database (what /wg info shows)."""
        cleaned = (text or "").strip()
        card = (
            await self._db.read(
                reads.find_card, guild_id, cleaned, include_archived, actor, self._clock.now()
            )
            if cleaned
            else None
        )
        if card is None:
            raise NotFound("working_groups.errors.unknown_group", group=excerpt(cleaned or "?"))
        return card

    async def get_post(self, post_id: int) -> Post | None:
        return await repo.get_post(self._db, post_id)

    async def posted_message_ids(self, group_id: int) -> set[int]:
        """The message ids recorded for the group's posts (an outbox retry adopts none of them)."""
        return await repo.posted_message_ids(self._db, group_id)

    # --- groups (groups.py) ----------------------------------------------------------------------

    async def seed(self, guild_id: int, groups: Sequence[WorkingGroupConfig]) -> list[Group]:
        """See :meth:`GroupAdmin.seed`. The start is also when initiatives typed before countries were
        codes get theirs (:meth:`InitiativeIndex.adopt_written_countries`, idempotent)."""
        await self.initiatives.adopt_written_countries()
        return await self.admin.seed(guild_id, groups)

    # --- panels ------------------------------------------------------------------------------------

    async def queue_panel(self, guild_id: int, channel_id: int, request: int) -> None:
        """Write the ``wg.panel`` timer that posts a Join/Leave panel in ``channel_id`` and records it
        (the outbox: the cog runs it at once; a retry adopts a panel an earlier attempt posted).
        ``request`` (the interaction's id) tells this panel's timer from another's."""
        payload = {"guild_id": guild_id, "channel_id": channel_id, "request": request}
        await self._timers.schedule(WG_PANEL, self._clock.now() + OUTBOX_GRACE, payload)

    async def add_panel(self, guild_id: int, channel_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await repo.insert_panel(tx, guild_id, channel_id, message_id, self._clock.now())

    async def panels(self, guild_id: int) -> list[repo.Panel]:
        return await repo.panels(self._db, guild_id)

    async def remove_panel(self, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await repo.delete_panel(tx, message_id)

    # --- search ------------------------------------------------------------------------------------

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
        return await self._db.read(reads.search, guild_id, match, actor, group_id, limit)

    # --- roundtables (events hosted by a group) ----------------------------------------------------

    async def create_group_event(self, group_id: int, draft: EventDraft, lang: str) -> Occurrence:
        """``EventService.create_and_announce`` for an event the group hosts, linked to the group in the
        same transaction (its announcement timer and the link commit together, or neither)."""
        if self._events is None:
            raise RuntimeError("WorkingGroupService was built without the EventService")
        group = await self.access.get(group_id)
        self.access.ensure_active(group, lang)
        if group.guild_id != draft.guild_id:
            raise NotFound("working_groups.errors.unknown_group", group=str(group_id))
        async with self._db.transaction() as tx:
            occurrence = await self._events.create_and_announce(draft)  # joins this transaction
            await repo.link_event(tx, group.id, occurrence.series_id)
        return occurrence

    async def roundtables(self, group_id: int) -> tuple[list[Roundtable], list[Roundtable]]:
        """(the next three, the last five) occurrences of the group's events, with attendance."""
        now = self._clock.now()

        def both(conn: sqlite3.Connection) -> tuple[list[Roundtable], list[Roundtable]]:
            return (
                repo.roundtables_in(conn, group_id, now, upcoming=True, limit=UPCOMING_ROUNDTABLES),
                repo.roundtables_in(conn, group_id, now, upcoming=False, limit=PAST_ROUNDTABLES),
            )

        return await self._db.read(both)
