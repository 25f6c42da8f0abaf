"""Timer handlers of the events feature: reminders, "starting now", end of check-in, horizon.

Each handler asks ``EventService`` what to do (None = nothing), does the Discord part, then records
what it did, so a retried timer resumes where the last attempt stopped and never posts twice. A
handler raises on failures worth retrying (Discord unavailable); ``TimerService`` backs off and
retries. Problems retrying cannot fix (a deleted channel or role) are reported once to the
mod-log channel and treated as handled, so they never crash-loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.batching import KeyedBatcher
from bot.services.events import Occurrence
from bot.services.timers import Timer
from cogs.events import _render
from cogs.events._views import check_in_view

if TYPE_CHECKING:
    from cogs.events import Events

log = logging.getLogger(__name__)

# Reminders for one channel falling due within this many seconds share a message. Short enough that a
# lone reminder is barely delayed, long enough to gather the handlers the timer service runs at once.
REMINDER_BATCH_WINDOW = 0.5
REMINDER_BATCH_MAX_ITEMS = 50
# How far back the end handler looks for the "starting now" post whose Check in button it disables.
START_POST_SEARCH_LIMIT = 50


@dataclass(frozen=True)
class _ReminderPost:
    occurrence: Occurrence
    late: bool
    role: discord.Role | None  # the audience role to ping; None: no ping


class EventTimerHandlers:
    def __init__(self, cog: Events) -> None:
        self.cog = cog
        self.bot = cog.bot
        self._batcher: KeyedBatcher[int, _ReminderPost, dict[_ReminderPost, int | BaseException]] = (
            KeyedBatcher(
                self._send_reminder_batch, window=REMINDER_BATCH_WINDOW, max_items=REMINDER_BATCH_MAX_ITEMS
            )
        )

    async def close(self) -> None:
        """Send reminders still gathering into a batch (called when the cog unloads)."""
        await self._batcher.close()

    @property
    def _lang(self) -> str:
        return self.bot.config.language

    def _t(self, key: str, **params: object) -> str:
        return self.bot.catalog.t(self._lang, key, **params)

    async def on_reminder(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        events = self.bot.services.events
        plan = await events.reminder_delivery(timer.payload, self.bot.clock.now())
        if plan is None:
            return
        occurrence = plan.occurrence
        lead_seconds = int(plan.lead.total_seconds())
        guild = self.bot.get_guild(occurrence.guild_id)
        if guild is None:
            log.warning(
                "Reminder for occurrence %s: the bot is not in guild %s", occurrence.id, occurrence.guild_id
            )
            return
        if plan.post_to_channel:
            message_id = await self._post_reminder(guild, plan.occurrence, late=plan.late)
            await events.record_reminder_posted(occurrence.id, lead_seconds, message_id)
        # Each member in the language they use Discord in (remembered from their RSVP).
        texts: dict[str, str] = {}
        languages = await self.cog.member_languages(occurrence.guild_id, plan.dm_user_ids)
        for user_id, lang in languages.items():
            if lang not in texts:
                texts[lang] = _render.reminder_dm_text(self.bot.catalog, lang, occurrence, late=plan.late)
            delivered = await self.cog.send_dm(user_id, texts[lang])
            await events.record_dm(
                occurrence.id, lead_seconds, user_id, "sent" if delivered else "skipped_closed"
            )

    async def _post_reminder(self, guild: discord.Guild, occurrence: Occurrence, *, late: bool) -> int | None:
        """Post the channel reminder; its message id, or None when it cannot be posted (reported)."""
        channel = self.cog.text_channel(guild, occurrence.channel_id)
        if channel is None:
            await self.cog.report_once(
                guild.id,
                occurrence.id,
                "channel",
                self._t(
                    "events_ui.reminder.channel_missing", title=occurrence.title, occurrence_id=occurrence.id
                ),
            )
            return None
        if self.cog.missing_permissions(channel):
            await self.cog.report_once(
                guild.id,
                occurrence.id,
                "access",
                self._t(
                    "events_ui.reminder.no_access",
                    title=occurrence.title,
                    occurrence_id=occurrence.id,
                    channel=channel.mention,
                ),
            )
            return None
        role: discord.Role | None = None
        if occurrence.audience_role_id is not None:
            role = guild.get_role(occurrence.audience_role_id)
            if role is None:
                await self.cog.report_once(
                    guild.id,
                    occurrence.id,
                    "role",
                    self._t(
                        "events_ui.reminder.role_missing", title=occurrence.title, occurrence_id=occurrence.id
                    ),
                )
        # Reminders due together in one channel leave as one message (see _send_reminder_batch).
        post = _ReminderPost(occurrence, late, role)
        outcome = (await self._batcher.submit(channel.id, post))[post]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def _send_reminder_batch(
        self, channel_id: int, items: list[_ReminderPost]
    ) -> dict[_ReminderPost, int | BaseException]:
        """Post the reminders of one channel that fell due together; for each, its message id or the
        error that kept it from going out (so only that timer is retried, and none posts twice).

        One reminder gets the full announcement embed with its RSVP buttons. Several become compact
        lines in as few messages as fit, so a burst (every roundtable reminded at 09:00) respects
        Discord's 5 messages per 5 s per channel instead of queueing behind it. Occurrences never
        announced still get their own post, which becomes their announcement.
        """
        channel = self.bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)  # checked by every submitter just before
        outcomes: dict[_ReminderPost, int | BaseException] = {}
        announced = [item for item in items if item.occurrence.announcement_message_id is not None]
        alone = [item for item in items if item.occurrence.announcement_message_id is None]
        if len(announced) == 1:
            alone += announced
            announced = []
        for item in alone:
            try:
                outcomes[item] = await self._post_one(channel, item)
            except Exception as error:
                outcomes[item] = error
        for chunk in self._chunks(announced):
            roles = list({item.role.id: item.role for item in chunk if item.role is not None}.values())
            try:
                message = await channel.send(
                    "\n".join(self._line(item) for item in chunk),
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False, users=False, roles=roles or False
                    ),
                    suppress_embeds=True,
                )
            except Exception as error:
                outcomes.update((item, error) for item in chunk)
            else:
                outcomes.update((item, message.id) for item in chunk)
        return outcomes

    def _line(self, item: _ReminderPost) -> str:
        occurrence = item.occurrence
        text = _render.reminder_text(
            self.bot.catalog,
            self._lang,
            occurrence,
            late=item.late,
            role_mention=item.role.mention if item.role else None,
        )
        return f"{text} {self.cog.announcement_url(occurrence)}"

    def _chunks(self, items: list[_ReminderPost]) -> list[list[_ReminderPost]]:
        """``items`` in order, grouped so each group's lines fit in one message."""
        chunks: list[list[_ReminderPost]] = []
        length = 0
        for item in items:
            line = len(self._line(item)) + 1
            if not chunks or length + line > _render.MESSAGE_CONTENT_LIMIT:
                chunks.append([])
                length = 0
            chunks[-1].append(item)
            length += line
        return chunks

    async def _post_one(self, channel: discord.TextChannel, item: _ReminderPost) -> int:
        occurrence, role = item.occurrence, item.role
        content = _render.reminder_text(
            self.bot.catalog,
            self._lang,
            occurrence,
            late=item.late,
            role_mention=role.mention if role else None,
        )
        # Only the audience role may be pinged, and only by this post; no role means no ping at all.
        mentions = discord.AllowedMentions(everyone=False, users=False, roles=[role] if role else False)
        if occurrence.announcement_message_id is None:
            # A seeded or later occurrence of a series has no announcement yet: this post becomes it.
            message = await self.cog.post_announcement(
                channel, occurrence, content=content, allowed_mentions=mentions
            )
            await self.cog.mirror_create(channel.guild, occurrence)
        else:
            embed, view = self.cog.announcement_message(occurrence)
            message = await channel.send(content, embed=embed, view=view, allowed_mentions=mentions)
        return message.id

    async def on_start(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        plan = await self.bot.services.events.start_plan(timer.payload, self.bot.clock.now())
        if plan is None:
            return
        occurrence = plan.occurrence
        guild = self.bot.get_guild(occurrence.guild_id)
        if guild is None:
            return
        channel = self.cog.text_channel(guild, occurrence.channel_id)
        if channel is None or self.cog.missing_permissions(channel):
            await self.cog.report_once(
                guild.id,
                occurrence.id,
                "channel",
                self._t(
                    "events_ui.reminder.channel_missing", title=occurrence.title, occurrence_id=occurrence.id
                ),
            )
            return
        await channel.send(
            _render.start_text(self.bot.catalog, self._lang, occurrence),
            view=check_in_view(self.bot.catalog, self._lang, occurrence.id),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        # After the post, nothing may raise: a retry would post "starting now" twice.
        try:
            await self.cog.refresh_announcement(occurrence.id)
        except Exception:
            log.exception("Could not show the Check in button on the announcement of %s", occurrence.id)

    async def on_end(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        plan = await self.bot.services.events.end_plan(timer.payload)
        if plan is None:
            return
        occurrence = plan.occurrence
        await self.cog.refresh_announcement(occurrence.id, checked_in=plan.checked_in)
        guild = self.bot.get_guild(occurrence.guild_id)
        channel = self.cog.text_channel(guild, occurrence.channel_id) if guild is not None else None
        if channel is None:
            return
        # The "starting now" post is not stored; find it among the channel's latest messages.
        custom_id = f"event:checkin:{occurrence.id}"
        bot_id = self.bot.user.id if self.bot.user is not None else None
        try:
            since = self.bot.discord_time(occurrence.starts_at)
            async for message in channel.history(limit=START_POST_SEARCH_LIMIT, after=since):
                if message.author.id != bot_id:
                    continue
                if any(
                    getattr(child, "custom_id", None) == custom_id
                    for row in message.components
                    for child in getattr(row, "children", [])
                ):
                    await message.edit(
                        view=check_in_view(self.bot.catalog, self._lang, occurrence.id, disabled=True)
                    )
        except discord.HTTPException:
            log.warning(
                "Could not disable the Check in button of occurrence %s", occurrence.id, exc_info=True
            )

    async def on_horizon(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        added = await self.bot.services.events.extend_horizons()
        log.info("Event horizon extended: %d occurrence(s) added", added)

    async def seed_calendar(self, guild: discord.Guild) -> None:
        """Create the configured recurring calendar in ``guild`` (once; restarts find it there)."""
        config = self.bot.config
        if config.calendar and self.bot.user is not None:
            await self._seed(guild)
        # Also arms the daily horizon timer if none is pending (idempotent).
        await self.bot.services.events.extend_horizons()

    async def _seed(self, guild: discord.Guild) -> None:
        config = self.bot.config
        assert self.bot.user is not None
        result = await self.bot.services.events.seed_calendar(
            guild.id,
            config.calendar,
            {channel.name: channel.id for channel in guild.text_channels},
            {role.name: role.id for role in guild.roles},
            config.language,
            organiser_id=self.bot.user.id,
        )
        for key, reason in result.skipped.items():
            log.warning("Calendar entry %s not created in guild %s: missing %s", key, guild.id, reason)
