"""The announcement card of an occurrence: post it, re-render it, move it, find it again.

The database is the truth; the message shows it. ``post`` records the message id as soon as Discord
answers; ``card_of`` recognises a card an earlier attempt posted (its RSVP button's custom_id holds the
occurrence id) for ``bot.core.outbox.find_posted``, so an outbox retry adopts it instead of posting a
second one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.core.channels import can_post, jump_url, post_language, text_channel
from bot.core.outbox import Matcher, find_posted, has_custom_id
from bot.services.events import CHECK_IN_EARLY, Occurrence
from cogs.events import _render
from cogs.events._views import event_buttons

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)


def card_of(occurrence_id: int) -> Matcher:
    """The card of ``occurrence_id``: its Going button (a card always has one, disabled or not)."""
    return has_custom_id(f"event:rsvp:{occurrence_id}:going")


class Announcements:
    def __init__(self, bot: WimBot) -> None:
        self.bot = bot

    def lang(self, occurrence: Occurrence) -> str:
        """What the event's public posts speak: its own language (chosen at /event create), else its
        channel's (``channel_languages``), else the server's. DMs follow each member instead."""
        channel = self.bot.get_channel(occurrence.channel_id)
        return post_language(
            self.bot.config,
            channel if isinstance(channel, discord.abc.GuildChannel) else None,
            occurrence.language,
        )

    def url(self, occurrence: Occurrence) -> str:
        """The jump link to the card, or the channel mention while it is not posted yet."""
        if occurrence.announcement_channel_id is None or occurrence.announcement_message_id is None:
            return f"<#{occurrence.channel_id}>"
        return jump_url(
            occurrence.guild_id, occurrence.announcement_channel_id, occurrence.announcement_message_id
        )

    def state(self, occurrence: Occurrence) -> tuple[bool, bool]:
        """(ended, check-in shown) for an occurrence right now."""
        now = self.bot.clock.now()
        ended = occurrence.ends_at <= now
        check_in = occurrence.status == "scheduled" and occurrence.starts_at - CHECK_IN_EARLY <= now
        return ended, check_in

    def message(
        self, occurrence: Occurrence, *, checked_in: int | None = None
    ) -> tuple[discord.Embed, discord.ui.View]:
        ended, check_in = self.state(occurrence)
        open_ = occurrence.status == "scheduled" and not ended
        lang = self.lang(occurrence)
        embed = _render.announcement_embed(
            self.bot.catalog, lang, occurrence, ended=ended, checked_in=checked_in
        )
        view = event_buttons(
            self.bot.catalog,
            lang,
            occurrence.id,
            rsvp_open=open_,
            check_in=check_in,
            check_in_open=open_,
            link=bool(occurrence.link) and occurrence.status == "scheduled",
        )
        return embed, view

    async def post(
        self,
        channel: discord.TextChannel,
        occurrence: Occurrence,
        *,
        content: str | None = None,
        allowed_mentions: discord.AllowedMentions | None = None,
    ) -> discord.Message:
        """Post the card (embed + buttons) and remember it as the occurrence's announcement."""
        embed, view = self.message(occurrence)
        message = await channel.send(
            content,
            embed=embed,
            view=view,
            allowed_mentions=allowed_mentions or discord.AllowedMentions.none(),
        )
        await self.bot.services.events.set_announcement(occurrence.id, channel.id, message.id)
        return message

    async def refresh(
        self, occurrence_id: int, *, checked_in: int | None = None, strict: bool = False
    ) -> None:
        """Re-render the card from the database. A deleted message or channel is logged, never raised
        (the database, not the message, is the truth). Other Discord failures are logged too, or with
        ``strict`` raised, so the refresh timer retries them."""
        occurrence = await self.bot.services.events.get_occurrence(occurrence_id, include_cancelled=True)
        if occurrence.announcement_channel_id is None or occurrence.announcement_message_id is None:
            return
        channel = self.bot.get_channel(occurrence.announcement_channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.info("Announcement channel of occurrence %s is gone", occurrence_id)
            return
        embed, view = self.message(occurrence, checked_in=checked_in)
        try:
            await channel.get_partial_message(occurrence.announcement_message_id).edit(embed=embed, view=view)
        except discord.NotFound:
            log.info("Announcement of occurrence %s was deleted", occurrence_id)
        except discord.Forbidden:
            log.warning("No longer allowed to update the announcement of occurrence %s", occurrence_id)
        except discord.HTTPException:
            if strict:
                raise
            log.warning("Could not update the announcement of occurrence %s", occurrence_id, exc_info=True)

    async def move(
        self,
        guild: discord.Guild,
        occurrence: Occurrence,
        from_channel_id: int,
        from_message_id: int,
        *,
        adopt_since: datetime | None = None,
    ) -> None:
        """Announce the occurrence in its new channel (buttons and current counts; remembered as its
        announcement) and turn the old card into a short "moved to" notice without buttons.

        The ``event.move`` outbox timer: Discord failures are raised (the timer retries). Each step is
        skipped when done: a card already recorded elsewhere than the old one is not posted again, and
        with ``adopt_since`` (the bot's clock: a re-run, since its timer was written) one an earlier
        attempt posted but could not record is adopted.
        """
        if occurrence.announcement_message_id == from_message_id:
            target = text_channel(guild, occurrence.channel_id)
            if target is None or not can_post(target):
                # Checked by /event edit just before; the channel changed since. Reminders report it.
                log.warning(
                    "Cannot move the announcement of occurrence %s to %s",
                    occurrence.id,
                    occurrence.channel_id,
                )
                await self.refresh(occurrence.id, strict=True)
                return
            posted = (
                await find_posted(self.bot, target, card_of(occurrence.id), since=adopt_since)
                if adopt_since is not None
                else None
            )
            if posted is not None:
                await self.bot.services.events.set_announcement(occurrence.id, target.id, posted.id)
            else:
                await self.post(target, occurrence)
            new_channel_id = target.id
        else:
            new_channel_id = occurrence.announcement_channel_id or occurrence.channel_id
        old_channel = self.bot.get_channel(from_channel_id)
        if not isinstance(old_channel, discord.TextChannel):
            return
        notice = self.bot.t(
            self.lang(occurrence),
            "events_ui.edit.moved",
            title=occurrence.title,
            channel=f"<#{new_channel_id}>",
        )
        try:
            await old_channel.get_partial_message(from_message_id).edit(content=notice, embed=None, view=None)
        except (discord.NotFound, discord.Forbidden):
            # Deleted, or no longer ours to edit: nothing left to point elsewhere (retrying cannot help).
            log.info("Could not mark the old announcement of %s as moved", occurrence.id)
