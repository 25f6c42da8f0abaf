"""The sections the digest holds today, each built from one feature's records for a window of time:
events coming up, the working groups' news, the directory's newcomers, last week's attendance.

Each builder is a ``SectionBuilder`` (``bot.services.digest.model``) and returns None when its
feature has nothing to say, so the section is left out. Times are Discord timestamps (``<t:...>``):
each reader sees them in their own zone and language.
"""

from __future__ import annotations

from datetime import datetime

from bot.clock import Clock
from bot.config import Config
from bot.countries import country_name
from bot.db import Database
from bot.errors import Term
from bot.i18n import Catalog
from bot.limits import excerpt
from bot.repositories import digest as repo
from bot.repositories import events as events_repo
from bot.services.digest.model import (
    EVENTS_AHEAD,
    EXCERPT,
    MAX_DIRECTORY_ENTRIES,
    MAX_EVENTS,
    MAX_GROUP_ENTRIES,
    Section,
)
from bot.services.events.model import MAX_DURATION


def timestamp(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp: shown in each reader's own zone and language."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def message_url(guild_id: int, channel_id: int, message_id: int) -> str:
    """The link that opens a message in Discord (bot.core.channels.jump_url, without discord)."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class CoreSections:
    """The builders of the events, working-groups and directory sections."""

    def __init__(self, db: Database, clock: Clock, config: Config, catalog: Catalog) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        self._catalog = catalog

    def t(self, lang: str, key: str, **params: object) -> str:
        return self._catalog.t(lang, key, **params)

    # --- events of the next 14 days ----------------------------------------------------------------

    async def upcoming_events(
        self, guild_id: int, since: datetime, until: datetime, lang: str
    ) -> Section | None:
        del since  # what is coming counts from the digest's own moment
        items, total = await self._db.read(
            events_repo.upcoming_page, guild_id, until, until + EVENTS_AHEAD, MAX_DURATION, MAX_EVENTS, 0
        )
        if not items:
            return None
        lines = []
        for event in items:
            links = []
            if event.announcement_channel_id and event.announcement_message_id:
                url = message_url(guild_id, event.announcement_channel_id, event.announcement_message_id)
                links.append(self.t(lang, "digest.events.announcement", url=url))
            if event.link:
                links.append(self.t(lang, "digest.events.link", url=event.link))
            text = self.t(
                lang,
                "digest.events.item",
                title=excerpt(event.title, 100),
                when=timestamp(event.starts_at, "F"),
                relative=timestamp(event.starts_at, "R"),
                going=event.counts.going,
                maybe=event.counts.maybe,
            )
            lines.append(text + ("\n" + " · ".join(links) if links else ""))
        if total > len(items):
            lines.append(self.t(lang, "digest.events.more", count=total - len(items)))
        return Section("events", self.t(lang, "digest.events.title", days=EVENTS_AHEAD.days), tuple(lines))

    # --- working groups since the last digest -------------------------------------------------------

    async def working_groups(
        self, guild_id: int, since: datetime, until: datetime, lang: str
    ) -> Section | None:
        groups = await repo.public_groups(self._db, guild_id)
        shown = MAX_GROUP_ENTRIES
        # Each read gives the first entries of each group and every group's count: only what can be
        # shown is read and worded, in the order status, deliverables, posts, initiatives.
        changes, changes_in = await repo.status_changes(self._db, guild_id, since, until, per_group=shown)
        deliverables, deliverables_in = await repo.deliverable_changes(
            self._db, guild_id, since, until, per_group=shown
        )
        posts, posts_in = await repo.posts(self._db, guild_id, since, until, per_group=shown)
        initiatives, initiatives_in = await repo.new_initiatives(
            self._db, guild_id, since, until, per_group=shown
        )
        entries: dict[int, list[str]] = {group.id: [] for group in groups}

        def room(group_id: int) -> bool:
            return len(entries[group_id]) < shown

        for change in changes:
            if room(change.group_id):
                entries[change.group_id].append(
                    self.t(
                        lang, "digest.groups.status", status=Term(f"working_groups.status.{change.status}")
                    )
                )
        for deliverable in deliverables:
            if room(deliverable.group_id):
                entries[deliverable.group_id].append(
                    self.t(
                        lang,
                        "digest.groups.deliverable_added"
                        if deliverable.created
                        else "digest.groups.deliverable",
                        title=excerpt(deliverable.title.get(lang), 120),
                        status=Term(f"working_groups.status.{deliverable.status}"),
                    )
                )
        for post in posts:
            if not room(post.group_id):
                continue
            text = (
                excerpt(post.title or post.body, EXCERPT)
                if post.kind == "summary"
                else excerpt(post.body, EXCERPT)
            )
            line = self.t(lang, f"digest.groups.{post.kind}", text=text)
            if post.channel_id and post.message_id:
                line += " " + self.t(
                    lang, "digest.groups.read", url=message_url(guild_id, post.channel_id, post.message_id)
                )
            entries[post.group_id].append(line)
        for initiative in initiatives:
            if room(initiative.group_id):
                entries[initiative.group_id].append(
                    self.t(
                        lang,
                        "digest.groups.initiative",
                        title=excerpt(initiative.title, 100),
                        organisation=excerpt(initiative.organisation, 100),
                    )
                )
        items = []
        for group in groups:
            news = entries[group.id]
            if not news:
                continue
            total = sum(
                counts.get(group.id, 0) for counts in (changes_in, deliverables_in, posts_in, initiatives_in)
            )
            lines = [f"• {line}" for line in news]
            if total > len(news):
                lines.append(self.t(lang, "digest.groups.more", count=total - len(news)))
            items.append(f"**{excerpt(group.name.get(lang), 100)}**\n" + "\n".join(lines))
        if not items:
            return None
        return Section("working_groups", self.t(lang, "digest.groups.title"), tuple(items))

    # --- the directory: new organisations and newly verified leaders -------------------------------------

    async def directory(self, guild_id: int, since: datetime, until: datetime, lang: str) -> Section | None:
        organisations, organisations_in = await repo.new_organisations(
            self._db, guild_id, since, until, MAX_DIRECTORY_ENTRIES
        )
        leaders, leaders_in = await repo.new_leaders(self._db, guild_id, since, until, MAX_DIRECTORY_ENTRIES)
        items = [
            self.t(
                lang,
                "digest.directory.organisation",
                name=excerpt(organisation.name, 100),
                country=country_name(organisation.country, lang),
                website=organisation.website,
            )
            for organisation in organisations
        ]
        items.extend(
            self.t(
                lang,
                "digest.directory.leader",
                user=f"<@{leader.user_id}>",
                standing=Term(f"orgs.standing.{leader.standing}"),
                name=excerpt(leader.organisation, 100),
            )
            for leader in leaders
        )
        if organisations_in > len(organisations):
            items.append(
                self.t(
                    lang, "digest.directory.more_organisations", count=organisations_in - len(organisations)
                )
            )
        if leaders_in > len(leaders):
            items.append(self.t(lang, "digest.directory.more_leaders", count=leaders_in - len(leaders)))
        if not items:
            return None
        return Section("directory", self.t(lang, "digest.directory.title"), tuple(items))

    # --- last week's attendance -----------------------------------------------------------------------------

    async def attendance(self, guild_id: int, since: datetime, until: datetime, lang: str) -> Section | None:
        rows = await repo.attendance(self._db, guild_id, since, until, MAX_DURATION)
        if not rows:
            return None
        items = tuple(
            self.t(
                lang,
                "digest.attendance.item",
                title=excerpt(row.title, 100),
                when=timestamp(row.starts_at, "D"),
                checked_in=row.checked_in,
                going=row.going,
            )
            for row in rows
        )
        return Section("attendance", self.t(lang, "digest.attendance.title"), items)
