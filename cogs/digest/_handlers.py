"""The digest's timers: ``digest.weekly`` (the scheduled digest), ``digest.post`` (the channel post)
and ``digest.dm`` (the subscribers' direct messages). Each is idempotent: the week's row says whether
the week is to be sent, each posted part and each member's DMs are recorded as they go, and a retry
first looks for what an earlier attempt sent but could not record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.core.channels import Report, configured_channel, permission_list, post_language, postable_channel
from bot.core.dm import DM_CONCURRENCY, RESUME_SEARCH_LIMIT, send_dm
from bot.core.outbox import Matcher, find_posted
from bot.services.digest import DIGEST_DM, DIGEST_POST, DIGEST_WEEKLY, Delivery, DigestService, EmbedSpec
from bot.services.digest.sections import timestamp
from bot.services.timers import OUTBOX_BACKOFF, HandlerTable, Timer
from cogs.digest import _render

if TYPE_CHECKING:
    from datetime import datetime

    from bot.core.bot import WimBot

log = logging.getLogger(__name__)


class DigestHandlers:
    def __init__(self, bot: WimBot) -> None:
        self.bot = bot

    def table(self) -> HandlerTable:
        return {
            DIGEST_WEEKLY: (self.on_weekly, None),
            DIGEST_POST: (self.on_post, OUTBOX_BACKOFF),
            DIGEST_DM: (self.on_dm, None),
        }

    @property
    def service(self) -> DigestService:
        return self.bot.services.digest

    @property
    def modlog_lang(self) -> str:
        return self.bot.config.channel_language(self.bot.config.channels.mod_log)

    # --- digest.weekly --------------------------------------------------------------------------------

    async def on_weekly(self, timer: Timer) -> None:
        """The scheduled digest: claim the week (its post and DM timers are written with the claim, the
        dispatcher runs them next) and arm next week's. A slot missed by 12 hours or more while the bot
        was down is skipped and reported to mod-log once."""
        await self.bot.wait_until_ready()
        guild_id = int(timer.payload["guild_id"])
        claim = await self.service.on_slot(guild_id, timer.due_at)
        if claim.skipped:
            lang = self.modlog_lang
            text = self.bot.t(
                lang,
                "digest.report.missed",
                week=claim.week,
                when=timestamp(timer.due_at, "F"),
                late=int(claim.late_by.total_seconds() // 3600),
            )
            log.warning("Digest of %s in guild %s skipped: %s late", claim.week, guild_id, claim.late_by)
            await self.bot.report_once(guild_id, f"digest:missed:{claim.week}", text)

    # --- digest.post ----------------------------------------------------------------------------------

    def digest_channel(self, guild_id: int) -> discord.TextChannel | None:
        guild = self.bot.get_guild(guild_id)
        return None if guild is None else configured_channel(guild, self.bot.config.channels.digest)

    def _no_channel(self) -> Report:
        name = self.bot.config.channels.digest
        return "digest:no-channel", self.bot.t(self.modlog_lang, "digest.report.no_channel", channel=name)

    def _cannot_post(self, channel: discord.TextChannel, missing: Sequence[str]) -> Report:
        lang = self.modlog_lang
        text = self.bot.t(
            lang,
            "digest.report.cannot_post",
            channel=channel.mention,
            permissions=permission_list(self.bot, lang, missing),
        )
        return f"digest:cannot-post:{','.join(missing)}", text

    async def on_post(self, timer: Timer) -> None:
        """Post the week's parts in the digest channel, in that channel's language, recording each
        message; a part an earlier attempt posted but could not record is adopted, not posted again.
        A channel the bot cannot post in is told to moderators once and ends the timer (retrying
        cannot grant a permission); ``/digest send`` posts it once fixed."""
        await self.bot.wait_until_ready()
        guild_id, week = int(timer.payload["guild_id"]), str(timer.payload["week"])
        channel = await postable_channel(
            self.bot, guild_id, self.digest_channel(guild_id), gone=self._no_channel, cannot=self._cannot_post
        )
        if channel is None:
            return
        plan = await self.service.post_plan(guild_id, week, post_language(self.bot.config, channel))
        if plan is None:
            return
        recorded = plan.posted_ids
        for part in plan.parts:
            if part.message_id is not None:
                continue
            found = await find_posted(
                self.bot, channel, _render.same_part(part.embeds), since=timer.created_at, skip=recorded
            )
            message = found or await channel.send(
                embeds=_render.embeds(part.embeds), allowed_mentions=discord.AllowedMentions.none()
            )
            await self.service.record_part(guild_id, week, part.part, channel.id, message.id)
            recorded.add(message.id)

    # --- digest.dm ------------------------------------------------------------------------------------

    async def on_dm(self, timer: Timer) -> None:
        """DM the week's digest to each subscriber still to do, in their own language, a few at a time
        (every request goes through the bot's pacer). Each part is recorded as it goes; a member whose
        DMs are closed is skipped and logged (the subscription stays). After an interrupted run only the
        members it had started are checked for a part sent but not recorded."""
        await self.bot.wait_until_ready()
        guild_id, week = int(timer.payload["guild_id"]), str(timer.payload["week"])
        found = await self.service.pending_deliveries(guild_id, week)
        if found is None:
            return
        row, deliveries = found
        if not deliveries:
            return
        profiles = await self.bot.services.members.dm_profiles(guild_id, [d.user_id for d in deliveries])
        languages = {d.user_id: profiles[d.user_id].language or self.bot.config.language for d in deliveries}
        parts: dict[str, tuple[tuple[EmbedSpec, ...], ...]] = {}
        for lang in sorted(set(languages.values())):
            parts[lang] = (await self.service.build(guild_id, row.since, row.until, lang)).messages
        slots = asyncio.Semaphore(DM_CONCURRENCY)

        async def deliver(delivery: Delivery) -> None:
            async with slots:
                await self._deliver(guild_id, week, delivery, parts[languages[delivery.user_id]])

        results = await asyncio.gather(*(deliver(d) for d in deliveries), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        counts = await self.service.delivery_counts(guild_id, week)
        log.info("Digest %s DMs in guild %s: %s", week, guild_id, counts)

    async def _deliver(
        self, guild_id: int, week: str, delivery: Delivery, parts: tuple[tuple[EmbedSpec, ...], ...]
    ) -> None:
        user_id, sent = delivery.user_id, delivery.parts_sent
        if delivery.started_at is not None and sent < len(parts):
            # An earlier run started this member: its last part may have gone without being recorded.
            if await self._already_sent(user_id, _render.starts_like(parts[sent][0]), delivery.started_at):
                sent += 1
                await self.service.record_delivery(
                    guild_id, week, user_id, parts_sent=sent, done=sent >= len(parts)
                )
        else:
            await self.service.start_delivery(guild_id, week, user_id)
        while sent < len(parts):
            if not await send_dm(self.bot, user_id, None, embeds=_render.embeds(parts[sent])):
                log.info(
                    "Digest %s not DMed to %s in guild %s: DMs closed (still subscribed)",
                    week,
                    user_id,
                    guild_id,
                )
                await self.service.record_delivery(
                    guild_id, week, user_id, parts_sent=sent, done=True, closed=True
                )
                return
            sent += 1
            await self.service.record_delivery(
                guild_id, week, user_id, parts_sent=sent, done=sent >= len(parts)
            )

    async def _already_sent(self, user_id: int, matches: Matcher, started_at: datetime) -> bool:
        bot = self.bot
        try:
            channel_id = await bot.dm_channels.channel_id(bot, user_id)
            channel = bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
            bot_id = bot.user.id if bot.user is not None else None
            async for message in channel.history(
                limit=RESUME_SEARCH_LIMIT, after=bot.discord_time(started_at)
            ):
                if message.author.id == bot_id and matches(message):
                    return True
        except (discord.Forbidden, discord.NotFound):
            return False  # closed DMs, or a member who left: sending says so
        return False
