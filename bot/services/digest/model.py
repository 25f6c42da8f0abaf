"""The digest's plain values: timer kinds, limits, sections and the laid-out messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final

import msgspec

DIGEST_WEEKLY: Final = "digest.weekly"  # {"guild_id"}: the next scheduled digest (one pending per guild)
DIGEST_POST: Final = "digest.post"  # {"guild_id", "week"}: post the week's parts in the digest channel
DIGEST_DM: Final = "digest.dm"  # {"guild_id", "week"}: DM the week's digest to its subscribers

#: A digest found this late at start (the bot was down at its time) is skipped, not sent.
LATE_LIMIT: Final = timedelta(hours=12)
#: Events shown: those starting within this many days of the digest.
EVENTS_AHEAD: Final = timedelta(days=14)
#: A first digest (no earlier one in this server) covers this much.
FIRST_WINDOW: Final = timedelta(days=7)
#: At most this many events are listed; the section says how many more there are.
MAX_EVENTS: Final = 50
#: At most this many new organisations, and as many newly verified leaders, are listed; the rest are
#: counted (a bulk import must not turn the digest into pages of names).
MAX_DIRECTORY_ENTRIES: Final = 15
#: At most this many entries per working group (each entry one line); the rest are counted.
MAX_GROUP_ENTRIES: Final = 8
#: How much of an update's or meeting notes' text a digest entry quotes.
EXCERPT: Final = 160
#: Longest item a section may hold: an item is never cut across embeds, so it must fit one.
MAX_ITEM: Final = 1500


class Section(msgspec.Struct, frozen=True):
    """One section of the digest, already worded in the reader's language: a title and its items
    (each item one block of text, never cut when the digest is split into several messages)."""

    key: str
    title: str
    items: tuple[str, ...]


#: A feature's contribution to the digest: ``await builder(guild_id, since, until, lang)`` gives its
#: section for that window, or None when it has nothing to say (the section is then left out).
SectionBuilder = Callable[[int, datetime, datetime, str], Awaitable[Section | None]]


class EmbedSpec(msgspec.Struct, frozen=True):
    """One embed of a digest message, Discord-free: the cog turns it into a ``discord.Embed``."""

    title: str
    description: str
    timestamp: datetime | None = None

    def size(self) -> int:
        """What Discord counts towards a message's 6,000 characters of embeds."""
        return len(self.title) + len(self.description)


class Digest(msgspec.Struct, frozen=True):
    """A digest for one window, in one language, laid out as messages within Discord's limits."""

    guild_id: int
    since: datetime
    until: datetime
    language: str
    sections: tuple[Section, ...]
    messages: tuple[tuple[EmbedSpec, ...], ...]

    @property
    def quiet(self) -> bool:
        return not self.sections


class Claim(msgspec.Struct, frozen=True):
    """What claiming a week did: ``claimed`` (a new row; its timers are written), else the week had
    been sent or skipped already. ``skipped`` when the slot was missed by ``LATE_LIMIT`` or more."""

    week: str
    claimed: bool
    skipped: bool = False
    late_by: timedelta = timedelta(0)


class PostPart(msgspec.Struct, frozen=True):
    part: int
    embeds: tuple[EmbedSpec, ...]
    message_id: int | None


class PostPlan(msgspec.Struct, frozen=True):
    """The week's channel post: every part, those already posted with their message id."""

    guild_id: int
    week: str
    created_at: datetime
    parts: tuple[PostPart, ...]

    @property
    def posted_ids(self) -> set[int]:
        return {part.message_id for part in self.parts if part.message_id is not None}
