"""Timer handlers of the working-groups feature: the outbox that posts to Discord.

Each handler is idempotent: it looks at what was already recorded (a message id, a decision, a
nudge) before posting, and records what it posted, so a retry never posts twice. A channel that no
longer exists is told to moderators once (mod-log) and the timer ends: retrying would not bring it
back (``/wg repair`` does).
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord

from bot import limits
from bot.core.channels import POST, POST_EMBEDS, Report, permission_list, postable_channel, text_channel
from bot.services.timers import Timer
from cogs.working_groups import _render
from cogs.working_groups._views import decision_view, initiative_view

if TYPE_CHECKING:
    from cogs.working_groups._cog import WorkingGroups

log = logging.getLogger(__name__)


class WorkingGroupTimers:
    def __init__(self, cog: WorkingGroups) -> None:
        self.cog = cog
        self.bot = cog.bot

    @property
    def lang(self) -> str:
        return self.bot.config.language

    async def _channel(
        self, guild_id: int, channel_id: int | None, what: str, needed: tuple[str, ...] = POST_EMBEDS
    ) -> discord.TextChannel | None:
        """The group's channel if the bot can post there; else moderators are told once (retrying would
        not help) and None."""
        await self.bot.wait_until_ready()
        guild = self.bot.get_guild(guild_id)
        channel = text_channel(guild, channel_id) if guild is not None else None

        def gone() -> Report:
            text = self.bot.t(self.lang, "working_groups.errors.channel_gone_log", what=what)
            return f"wg-missing-channel:{what}", text

        def cannot(channel: discord.TextChannel, missing: list[str]) -> Report:
            names = permission_list(self.bot, self.lang, missing)
            text = self.bot.t(
                self.lang, "working_groups.errors.cannot_post_log", channel=channel.mention, permissions=names
            )
            return f"wg-cannot-post:{channel.id}:{','.join(missing)}", text

        return await postable_channel(self.bot, guild_id, channel, gone=gone, cannot=cannot, needed=needed)

    async def on_post(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        post = await service.get_post(int(timer.payload["post_id"]))
        if post is None or post.message_id is not None:
            return
        group = await service.get(post.group_id)
        needed = POST_EMBEDS if post.kind == "update" else (*POST, "attach_files")
        channel = await self._channel(group.guild_id, group.channel_id, f"post-{post.id}", needed)
        if channel is None:
            return
        lang = self.lang
        if post.kind == "update":
            message = await channel.send(
                embed=_render.update_embed(self.bot.catalog, lang, group, post),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        else:
            event = await self.cog.event_title(post.occurrence_id)
            content, attach = _render.summary_message(self.bot.catalog, lang, group, post, event)
            file = None
            if attach:
                markdown = _render.summary_markdown(self.bot.catalog, lang, group, post, event)
                file = discord.File(io.BytesIO(markdown.encode("utf-8")), filename=f"summary-{post.id}.md")
            message = (
                await channel.send(content, file=file, allowed_mentions=discord.AllowedMentions.none())
                if file is not None
                else await channel.send(content, allowed_mentions=discord.AllowedMentions.none())
            )
        await service.record_post_message(post.id, channel.id, message.id)

    async def on_join_request(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        request = await service.get_join_request(int(timer.payload["request_id"]))
        if request.status != "pending" or request.message_id is not None:
            return
        group = await service.get(request.group_id)
        channel = await self._channel(group.guild_id, group.channel_id, f"join-{request.id}")
        if channel is None:
            return
        coordinators = await service.coordinators(group.id)
        lang = self.lang
        text = self.bot.t(
            lang,
            "working_groups.join.request_posted",
            member=f"<@{request.user_id}>",
            group=group.name.get(lang),
            coordinators=_render.mentions(coordinators) or self.bot.t(lang, "working_groups.join.moderators"),
        )
        message = await channel.send(
            limits.clip(text, limits.MESSAGE_CONTENT),
            view=decision_view(self.bot.catalog, lang, request.id),
            # The coordinators are meant to be pinged; the member asking is not.
            allowed_mentions=discord.AllowedMentions(
                users=[discord.Object(user_id) for user_id in coordinators], roles=False, everyone=False
            ),
        )
        await service.record_join_request_message(request.id, channel.id, message.id)

    async def on_join_outcome(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        request = await service.get_join_request(int(timer.payload["request_id"]))
        if request.status not in ("approved", "declined"):
            return
        group = await service.get(request.group_id)
        key = (
            "working_groups.join.dm_approved"
            if request.status == "approved"
            else "working_groups.join.dm_declined"
        )
        text = self.bot.t(request.language, key, group=group.name.get(request.language))
        await self.cog.send_dm(request.user_id, text)

    async def on_stale(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        check = await service.check_stale(int(timer.payload["group_id"]))
        group = check.group
        if not check.nudge or group is None:
            return
        channel = await self._channel(group.guild_id, group.channel_id, f"stale-{group.id}")
        if channel is not None:
            lang = self.lang
            text = self.bot.t(
                lang,
                "working_groups.stale.nudge",
                coordinators=_render.mentions(check.coordinators)
                or self.bot.t(lang, "working_groups.stale.no_coordinators"),
                group=group.name.get(lang),
                weeks=self.bot.config.working_group_settings.stale_after_weeks,
            )
            await channel.send(
                limits.clip(text, limits.MESSAGE_CONTENT),
                allowed_mentions=discord.AllowedMentions(
                    users=[discord.Object(user_id) for user_id in check.coordinators],
                    roles=False,
                    everyone=False,
                ),
            )
        await service.mark_nudged(group)

    async def on_initiative_review(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        initiative = await service.get_initiative(int(timer.payload["initiative_id"]))
        if initiative.status != "pending" or initiative.message_id is not None:
            return
        group = await service.get(initiative.group_id)
        channel = await self._channel(group.guild_id, group.channel_id, f"initiative-{initiative.id}")
        if channel is None:
            return
        coordinators = await service.coordinators(group.id)
        lang = self.lang
        content = self.bot.t(
            lang,
            "working_groups.initiative.review",
            coordinators=_render.mentions(coordinators) or self.bot.t(lang, "working_groups.join.moderators"),
            member=f"<@{initiative.submitted_by}>",
            group=group.name.get(lang),
        )
        message = await channel.send(
            limits.clip(content, limits.MESSAGE_CONTENT),
            embed=_render.initiative_embed(self.bot.catalog, lang, initiative),
            view=initiative_view(self.bot.catalog, lang, initiative.id),
            allowed_mentions=discord.AllowedMentions(
                users=[discord.Object(user_id) for user_id in coordinators], roles=False, everyone=False
            ),
        )
        await service.record_initiative_message(initiative.id, channel.id, message.id)

    async def on_initiative_outcome(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        initiative = await service.get_initiative(int(timer.payload["initiative_id"]))
        if initiative.status not in ("approved", "declined"):
            return
        group = await service.get(initiative.group_id)
        lang = initiative.language
        text = self.bot.t(
            lang,
            f"working_groups.initiative.dm_{initiative.status}",
            title=limits.excerpt(initiative.title, 100),
            group=group.name.get(lang),
        )
        await self.cog.send_dm(initiative.submitted_by, text)
