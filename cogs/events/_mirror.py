"""The Events-tab mirror: each announced occurrence as a Discord scheduled event.

Best effort beside the announcement (the card is the truth): without Manage Events the moderators are
told once and events still work. ``sync`` is the ``event.mirror`` outbox timer (after /event create,
edit and cancel): it creates, edits or deletes the entry so that it shows the occurrence as it is,
raises on a transient Discord failure so the timer retries, and adopts an entry an earlier attempt
created.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord.utils import MISSING

from bot.core.channels import text_channel
from bot.limits import clip
from bot.services.events import Occurrence

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

# Discord's limits for guild scheduled events.
LOCATION_LIMIT: Final = 100
DESCRIPTION_LIMIT: Final = 1000


class EventsTabMirror:
    def __init__(self, bot: WimBot) -> None:
        self.bot = bot

    async def can_mirror(self, guild: discord.Guild) -> bool:
        permissions = guild.me.guild_permissions
        if permissions.manage_events or permissions.create_events:
            return True
        await self._tell_no_manage_events(guild)
        return False

    async def _tell_no_manage_events(self, guild: discord.Guild) -> None:
        log.warning(
            "No Manage Events permission in guild %s: events are not mirrored to the Events tab", guild.id
        )
        await self.bot.report_once(
            guild.id,
            "events:no-manage-events",
            self.bot.t(self.bot.config.language, "events_ui.create.no_manage_events"),
        )

    def _location(self, occurrence: Occurrence, guild: discord.Guild) -> str:
        if occurrence.link and len(occurrence.link) <= LOCATION_LIMIT:
            return occurrence.link
        channel = text_channel(guild, occurrence.channel_id)
        name = f"#{channel.name}" if channel is not None else guild.name
        return clip(name, LOCATION_LIMIT)

    async def _adopt(self, guild: discord.Guild, occurrence: Occurrence) -> discord.ScheduledEvent | None:
        """An entry an earlier attempt created (same name and start) but could not record."""
        for scheduled in await guild.fetch_scheduled_events(with_counts=False):
            if scheduled.name == occurrence.title and scheduled.start_time == occurrence.starts_at:
                return scheduled
        return None

    async def create(
        self, guild: discord.Guild, occurrence: Occurrence, *, strict: bool = False, retry: bool = False
    ) -> None:
        """Show the occurrence in the Events tab and record its id. ``retry``: look for an entry an
        earlier attempt made first. ``strict``: raise transient failures (a timer retries them)."""
        if occurrence.discord_event_id is not None or occurrence.status != "scheduled":
            return
        if not await self.can_mirror(guild):
            return
        try:
            scheduled = await self._adopt(guild, occurrence) if retry else None
            if scheduled is None:
                scheduled = await guild.create_scheduled_event(
                    name=occurrence.title,
                    start_time=occurrence.starts_at,
                    end_time=occurrence.ends_at,
                    entity_type=discord.EntityType.external,
                    privacy_level=discord.PrivacyLevel.guild_only,
                    location=self._location(occurrence, guild),
                    description=clip(occurrence.description, DESCRIPTION_LIMIT) or MISSING,
                )
        except discord.Forbidden:
            await self._tell_no_manage_events(guild)
            return
        except discord.HTTPException:
            if strict:
                raise
            log.warning("Could not mirror occurrence %s to the Events tab", occurrence.id, exc_info=True)
            return
        await self.bot.services.events.set_discord_event_id(occurrence.id, scheduled.id)

    async def sync(self, guild: discord.Guild, occurrence: Occurrence, *, retry: bool = False) -> None:
        """Make the Events tab show ``occurrence`` as it is now: create its entry (``retry``: adopt one
        an earlier attempt made), edit it, or delete it once cancelled. Transient failures are raised."""
        if occurrence.discord_event_id is None:
            await self.create(guild, occurrence, strict=True, retry=retry)
        else:
            await self.update(guild, occurrence, strict=True)

    async def update(self, guild: discord.Guild, occurrence: Occurrence, *, strict: bool = False) -> None:
        """Edit (or, when cancelled, delete) the mirrored scheduled event of an occurrence. Transient
        Discord failures are logged, or with ``strict`` raised (a timer retries them); a deleted entry
        is forgotten, so a retried delete is done."""
        if occurrence.discord_event_id is None:
            return
        try:
            scheduled = await guild.fetch_scheduled_event(occurrence.discord_event_id)
            if occurrence.status == "cancelled":
                await scheduled.delete()
            else:
                await scheduled.edit(
                    name=occurrence.title,
                    start_time=occurrence.starts_at,
                    end_time=occurrence.ends_at,
                    entity_type=discord.EntityType.external,
                    location=self._location(occurrence, guild),
                    description=clip(occurrence.description, DESCRIPTION_LIMIT),
                )
                return
        except discord.NotFound:
            pass  # deleted by hand in Discord: forget it below
        except discord.Forbidden:
            await self._tell_no_manage_events(guild)
            return
        except discord.HTTPException:
            if strict:
                raise
            log.warning(
                "Could not update the Events tab entry of occurrence %s", occurrence.id, exc_info=True
            )
            return
        await self.bot.services.events.set_discord_event_id(occurrence.id, None)
