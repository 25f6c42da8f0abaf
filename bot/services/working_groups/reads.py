"""Reads that take one trip to the database thread (``Database.read``: one hand-off, one snapshot):
the group an option names, its card, and search limited to what the member may see."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.repositories import working_groups as repo
from bot.services.working_groups.model import (
    CARD_DOCUMENTS,
    PAST_ROUNDTABLES,
    RECENT_UPDATES,
    UPCOMING_ROUNDTABLES,
    Actor,
    Group,
    GroupCard,
    SearchHit,
    fold,
)


def find(conn: sqlite3.Connection, guild_id: int, cleaned: str, include_archived: bool) -> Group | None:
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


def find_card(
    conn: sqlite3.Connection,
    guild_id: int,
    cleaned: str,
    include_archived: bool,
    actor: Actor | None,
    now: datetime,
) -> GroupCard | None:
    group = find(conn, guild_id, cleaned, include_archived)
    return None if group is None else _group_card(conn, group, actor, now)


def card(conn: sqlite3.Connection, group_id: int, actor: Actor | None, now: datetime) -> GroupCard | None:
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


def search(
    conn: sqlite3.Connection, guild_id: int, match: str, actor: Actor, group_id: int | None, limit: int
) -> list[SearchHit]:
    visible = _visible(conn, guild_id, actor)
    if group_id is not None:
        visible = [found for found in visible if found == group_id]
    return repo.search_in(conn, match, group_ids=visible, limit=limit)
