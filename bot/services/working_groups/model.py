"""What working groups are made of: timer kinds, limits, field names and the values the service returns.

The rows (groups, workplan items, deliverables, posts, documents, join requests, initiatives) are the
repository's, re-exported here.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Final

import msgspec

from bot.clock import Clock
from bot.config import WG_DELIVERABLE_KINDS, WG_STATUSES, Config
from bot.repositories.working_groups import (
    Deliverable,
    Document,
    Group,
    GroupName,
    Initiative,
    JoinRequest,
    Panel,
    Post,
    ReportRow,
    Roundtable,
    SearchHit,
    StatusChange,
    Texts,
    WorkplanItem,
)

__all__ = [
    "Deliverable",
    "Document",
    "Group",
    "GroupName",
    "Initiative",
    "JoinRequest",
    "Panel",
    "Post",
    "ReportRow",
    "Roundtable",
    "SearchHit",
    "StatusChange",
    "Texts",
    "WorkplanItem",
]

STATUSES: Final = WG_STATUSES
DELIVERABLE_KINDS: Final = WG_DELIVERABLE_KINDS

# Timer kinds (the outbox of this feature).
WG_POST: Final = "wg.post"  # {post_id, guild_id}: post an update or summary in the group's channel
WG_JOIN_REQUEST: Final = "wg.join_request"  # {request_id, guild_id}: show a join request to coordinators
WG_JOIN_OUTCOME: Final = "wg.join_outcome"  # {request_id, guild_id}: DM the member the decision
WG_STALE: Final = "wg.stale"  # {group_id, guild_id}: flag and nudge a group that went quiet
WG_INITIATIVE_REVIEW: Final = "wg.initiative_review"  # {initiative_id, guild_id}: show it to coordinators
WG_INITIATIVE_OUTCOME: Final = "wg.initiative_outcome"  # {initiative_id, guild_id}: DM the submitter
WG_OVERWRITES: Final = "wg.overwrites"  # {group_id, guild_id}: the channel's overwrites follow the group
WG_ROLE_NAME: Final = "wg.role_name"  # {group_id, guild_id}: the role's name follows the group's
WG_ARCHIVE_CHANNEL: Final = "wg.archive_channel"  # {group_id, guild_id}: move the channel, read-only
WG_PANEL: Final = "wg.panel"  # {guild_id, channel_id, request}: post a Join/Leave panel and record it
# The timers a command runs at once itself (TimerService.run_now) are due this much later, so the
# dispatcher picks one up only when that first attempt failed or the bot stopped during it.
OUTBOX_GRACE: Final = timedelta(seconds=10)

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
_WORD = re.compile(r"\w+", re.UNICODE)


class Actor(msgspec.Struct, frozen=True):
    """Who acts: their id, whether they moderate, and their role ids (from Discord's member cache)."""

    user_id: int
    moderator: bool = False
    role_ids: frozenset[int] = msgspec.field(default_factory=frozenset)


class GroupCard(msgspec.Struct, frozen=True):
    group: Group
    coordinators: list[int]
    workplan: list[WorkplanItem]
    deliverables: list[Deliverable]
    updates: list[Post]
    summaries: list[Post]
    documents: list[Document]
    history: list[StatusChange]
    archive_hidden: bool = False  # a private group seen from outside: no updates, notes or documents
    upcoming: list[Roundtable] = msgspec.field(default_factory=list)  # the next roundtables the group hosts
    past: list[Roundtable] = msgspec.field(default_factory=list)  # the last ones, with attendance


class ReportLine(msgspec.Struct, frozen=True):
    row: ReportRow
    days_since_update: int  # since the last update or summary, else since the group was created
    stale: bool


class StaleCheck(msgspec.Struct, frozen=True):
    """What a stale timer found: ``nudge`` with the coordinators to nudge, or nothing to do."""

    group: Group | None
    nudge: bool
    coordinators: list[int] = msgspec.field(default_factory=list)


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


def local_today(clock: Clock, config: Config) -> date:
    """Today in the configured zone (due dates and the report count in local days)."""
    return clock.now().astimezone(config.zone).date()


def localized(value: object) -> Texts:
    """Config ``Localized`` (or None) as stored ``Texts``."""
    if value is None:
        return Texts()
    return Texts({lang: getattr(value, lang) for lang in ("en", "fr", "es")})
