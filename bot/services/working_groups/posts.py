"""Progress updates, meeting summaries and documents.

An update or summary row and the timer that posts it in the group's channel commit together (the
outbox): the timer posts, records the message id, and a retry never posts twice.
"""

from __future__ import annotations

from typing import Final

from bot import validation
from bot.clock import Clock
from bot.db import Database
from bot.errors import NotFound, UserFacingError
from bot.repositories import working_groups as repo
from bot.services.timers import TimerService
from bot.services.working_groups.access import GroupAccess
from bot.services.working_groups.model import (
    DOC_TITLE_LIMIT,
    SUMMARY_LIMIT,
    SUMMARY_TITLE_LIMIT,
    UPDATE_LIMIT,
    WG_POST,
    Actor,
    Document,
    Group,
    Post,
)
from bot.services.working_groups.stale import Staleness

# Field names shown in validation errors (working_groups.yml, working_groups.fields.*).
F_TEXT: Final = "working_groups.fields.text"
F_SUMMARY_TITLE: Final = "working_groups.fields.summary_title"
F_SUMMARY: Final = "working_groups.fields.summary"
F_DOC_TITLE: Final = "working_groups.fields.doc_title"
F_URL: Final = "working_groups.fields.url"


class GroupPosts:
    """``GroupPosts(db, clock, timers, access, stale)``."""

    def __init__(
        self, db: Database, clock: Clock, timers: TimerService, access: GroupAccess, stale: Staleness
    ) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._access = access
        self._stale = stale

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
            await self._stale.arm(tx, group.guild_id, group.id, now)
            post = await repo.get_post(tx, post_id)
        assert post is not None
        return post

    async def post_update(self, group_id: int, text: str, actor: Actor, lang: str) -> Post:
        """A progress update: stored (for the digest and search) and posted in the group's channel."""
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
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
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
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
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        await self._access.ensure_can_manage(group, actor, lang)
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
        group = await self._access.get(group_id)
        await self._access.ensure_can_manage(group, actor, lang)
        document = await repo.get_document(self._db, document_id)
        if document is None or document.group_id != group.id:
            raise NotFound("working_groups.errors.unknown_document")
        async with self._db.transaction() as tx:
            await repo.delete_document(tx, document.id)
        return document

    async def documents(self, group_id: int) -> list[Document]:
        return await self._db.read(repo.documents_in, group_id)
