"""Timer handlers of the working-groups feature: the outbox that posts to Discord.

Each handler is idempotent: it looks at what was already recorded (a message id, a decision, a
nudge) before posting, and records what it posted. Between the post and the record Discord may fail
to answer, or the bot may be killed: so before posting, a handler looks in the channel for the post an
earlier attempt made (``bot.core.outbox.find_posted``: by its buttons' custom_ids, its attachment or
its text) and records that one, and a retry never posts twice. The handlers that change the group's
channel or role (overwrites, role name, archiving, the role of an approved request) re-apply the
group's current state, which is idempotent in itself. A DM telling a member a decision is the
handler's last step: a re-run first looks in their DM channel for the one an earlier run sent
(``bot.core.dm.send_dm_once``). A channel that no longer exists is told to
moderators once (mod-log) and the timer ends: retrying would not bring it back (``/wg repair`` does).
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot import limits
from bot.core.channels import POST, POST_EMBEDS, Report, permission_list, postable_channel, text_channel
from bot.core.dm import send_dm_once
from bot.core.outbox import (
    find_posted,
    has_attachment,
    has_custom_id,
    has_custom_id_prefix,
    may_have_run,
    same_text,
)
from bot.services.timers import OUTBOX_BACKOFF, HandlerTable, Timer
from bot.services.working_groups import (
    WG_ARCHIVE_CHANNEL,
    WG_INITIATIVE_OUTCOME,
    WG_INITIATIVE_REVIEW,
    WG_JOIN_OUTCOME,
    WG_JOIN_REQUEST,
    WG_OVERWRITES,
    WG_PANEL,
    WG_POST,
    WG_ROLE_NAME,
    WG_STALE,
    Group,
)
from cogs.working_groups import _discord, _render
from cogs.working_groups._views import decision_view, initiative_view

if TYPE_CHECKING:
    from cogs.working_groups._cog import WorkingGroups

log = logging.getLogger(__name__)


class WorkingGroupTimers:
    def __init__(self, cog: WorkingGroups) -> None:
        self.cog = cog
        self.bot = cog.bot

    def table(self) -> HandlerTable:
        """Each kind's handler, and its first retry delay (None: the service's): the outbox's posts
        and changes a member is waiting for retry within seconds."""
        return {
            WG_POST: (self.on_post, OUTBOX_BACKOFF),
            WG_JOIN_REQUEST: (self.on_join_request, OUTBOX_BACKOFF),
            WG_JOIN_OUTCOME: (self.on_join_outcome, OUTBOX_BACKOFF),
            WG_STALE: (self.on_stale, None),
            WG_INITIATIVE_REVIEW: (self.on_initiative_review, OUTBOX_BACKOFF),
            WG_INITIATIVE_OUTCOME: (self.on_initiative_outcome, OUTBOX_BACKOFF),
            WG_OVERWRITES: (self.on_overwrites, OUTBOX_BACKOFF),
            WG_ROLE_NAME: (self.on_role_name, OUTBOX_BACKOFF),
            WG_ARCHIVE_CHANNEL: (self.on_archive_channel, OUTBOX_BACKOFF),
            WG_PANEL: (self.on_panel, OUTBOX_BACKOFF),
        }

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
        group = await service.access.get(post.group_id)
        needed = POST_EMBEDS if post.kind == "update" else (*POST, "attach_files")
        channel = await self._channel(group.guild_id, group.channel_id, f"post-{post.id}", needed)
        if channel is None:
            return
        lang = self.lang
        file = None
        embed = None
        if post.kind == "update":
            content = None
            embed = _render.update_embed(self.bot.catalog, lang, group, post)
            marker = same_text(None, embed)
        else:
            event = await self.cog.event_title(post.occurrence_id)
            content, attach = _render.summary_message(self.bot.catalog, lang, group, post, event)
            marker = same_text(content)
            if attach:
                markdown = _render.summary_markdown(self.bot.catalog, lang, group, post, event)
                filename = f"summary-{post.id}.md"
                file = discord.File(io.BytesIO(markdown.encode("utf-8")), filename=filename)
                marker = has_attachment(filename)
        # Searched on every attempt, the first included: a bot killed after Discord posted and before
        # the record leaves the timer pending with no failed attempt to tell.
        message = await find_posted(
            self.bot,
            channel,
            marker,
            since=timer.created_at,
            skip=await service.posted_message_ids(group.id),
        )
        if message is None:
            none = discord.AllowedMentions.none()
            if embed is not None:
                message = await channel.send(embed=embed, allowed_mentions=none)
            elif file is not None:
                message = await channel.send(content, file=file, allowed_mentions=none)
            else:
                message = await channel.send(content, allowed_mentions=none)
        await service.posts.record_post_message(post.id, channel.id, message.id)

    async def on_join_request(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        request = await service.requests.get_join_request(int(timer.payload["request_id"]))
        if request.status != "pending" or request.message_id is not None:
            return
        group = await service.access.get(request.group_id)
        lang = self.lang
        posted = await self._ask_coordinators(
            timer,
            group,
            f"join-{request.id}",
            f"wg:join:{request.id}:approve",
            "working_groups.join.request_posted",
            request.user_id,
            view=decision_view(self.bot.catalog, lang, request.id),
        )
        if posted is not None:
            await service.requests.record_join_request_message(request.id, *posted)

    async def _ask_coordinators(
        self,
        timer: Timer,
        group: Group,
        what: str,
        approve_id: str,
        key: str,
        member_id: int,
        *,
        view: discord.ui.View,
        embed: discord.Embed | None = None,
    ) -> tuple[int, int] | None:
        """Post a decision the group's coordinators take (a join request, an index entry) in its
        channel, pinging them but not the member asking; once: a retry adopts the post an earlier
        attempt made, found by its Approve button (``approve_id``). Returns (channel id, message id),
        or None when the bot cannot post there (reported once, as ``what``)."""
        channel = await self._channel(group.guild_id, group.channel_id, what)
        if channel is None:
            return None
        coordinators = await self.bot.services.working_groups.coordinators(group.id)
        lang = self.lang
        text = self.bot.t(
            lang,
            key,
            member=f"<@{member_id}>",
            group=group.name.get(lang),
            coordinators=_render.mentions(coordinators) or self.bot.t(lang, "working_groups.join.moderators"),
        )
        message = await find_posted(
            self.bot, channel, has_custom_id(approve_id), since=timer.created_at
        ) or await channel.send(
            limits.clip(text, limits.MESSAGE_CONTENT),
            view=view,
            allowed_mentions=discord.AllowedMentions(
                users=[discord.Object(user_id) for user_id in coordinators], roles=False, everyone=False
            ),
            embeds=[] if embed is None else [embed],
        )
        return channel.id, message.id

    async def on_join_outcome(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        request = await service.requests.get_join_request(int(timer.payload["request_id"]))
        if request.status not in ("approved", "declined"):
            return
        group = await service.access.get(request.group_id)
        if request.status == "approved" and not await self._give_role(group, request.user_id):
            return
        key = (
            "working_groups.join.dm_approved"
            if request.status == "approved"
            else "working_groups.join.dm_declined"
        )
        text = self.bot.t(request.language, key, group=group.name.get(request.language))
        await self._dm_once(timer, request.user_id, text)

    async def _dm_once(self, timer: Timer, user_id: int, text: str) -> None:
        """The outcome DM, once: the timer is marked done after it, so a bot killed in between runs
        the timer again; that run finds the DM in the member's DM channel instead of sending another."""
        resume_after = self.bot.discord_time(timer.created_at) if may_have_run(self.bot, timer) else None
        await send_dm_once(self.bot, user_id, text, resume_after=resume_after)

    async def _give_role(self, group: Group, user_id: int) -> bool:
        """Give an approved member the group's role (a no-op when they have it); False when there is
        nothing to tell them: they left, or the role is gone (moderators are told once; /wg repair
        makes a new one). A Discord failure raises, so the timer retries before the DM goes out."""
        await self.bot.wait_until_ready()
        guild = self.bot.get_guild(group.guild_id)
        if guild is None:
            return False
        member = guild.get_member(user_id)
        if member is None:
            log.info("Member %s left before joining group %s", user_id, group.key)
            return False
        role = self.cog.role_of(guild, group)
        if role is None:
            text = self.bot.t(
                self.lang, "working_groups.errors.role_gone_log", group=group.name.get(self.lang)
            )
            await self.bot.report_once(group.guild_id, f"wg-missing-role:{group.id}", text)
            return False
        if role not in member.roles:
            await member.add_roles(role, reason=_discord.REASON)
        return True

    async def on_overwrites(self, timer: Timer) -> None:
        """The channel's overwrites follow the group's visibility (and archiving), as stored now."""
        group = await self.bot.services.working_groups.access.get(int(timer.payload["group_id"]))
        await self.bot.wait_until_ready()
        guild = self.bot.get_guild(group.guild_id)
        channel = text_channel(guild, group.channel_id) if guild is not None else None
        role = self.cog.role_of(guild, group) if guild is not None else None
        if guild is None or channel is None or role is None:
            log.info("Group %s has no channel or role to apply its overwrites to", group.key)
            return  # /wg repair recreates them, with the overwrites
        await _discord.apply_overwrites(
            guild, group, channel, role, moderators=self.bot.roles.moderator_roles(guild)
        )

    async def on_role_name(self, timer: Timer) -> None:
        """The role's name follows the group's name in the server's language."""
        group = await self.bot.services.working_groups.access.get(int(timer.payload["group_id"]))
        await self.bot.wait_until_ready()
        guild = self.bot.get_guild(group.guild_id)
        role = self.cog.role_of(guild, group) if guild is not None else None
        if role is None:
            return
        wanted = limits.clip(group.name.get(self.lang), 100)
        if role.name != wanted:
            await role.edit(name=wanted, reason=_discord.REASON)

    async def on_archive_channel(self, timer: Timer) -> None:
        """Move an archived group's channel to the archive category, read-only."""
        group = await self.bot.services.working_groups.access.get(int(timer.payload["group_id"]))
        if not group.archived:
            return
        await self.bot.wait_until_ready()
        guild = self.bot.get_guild(group.guild_id)
        channel = text_channel(guild, group.channel_id) if guild is not None else None
        if guild is None or channel is None:
            return
        await _discord.archive_channel(
            guild,
            group,
            channel,
            self.cog.role_of(guild, group),
            self.bot.config,
            moderators=self.bot.roles.moderator_roles(guild),
        )

    async def on_panel(self, timer: Timer) -> None:
        """Post a Join/Leave panel and record it. A retry first adopts a panel an earlier attempt posted
        (a bot message with toggle buttons, since the timer was written, not recorded yet). A panel
        with no button (no active group) cannot be told apart, and is posted again."""
        service = self.bot.services.working_groups
        guild_id, channel_id = int(timer.payload["guild_id"]), int(timer.payload["channel_id"])
        channel = await self._channel(guild_id, channel_id, f"panel-{channel_id}")
        if channel is None:
            return
        recorded = {panel.message_id for panel in await service.panels(guild_id)}
        message = await find_posted(
            self.bot, channel, has_custom_id_prefix("wg:toggle:"), since=timer.created_at, skip=recorded
        )
        if message is None:
            embed, view = self.cog.panel_message(await service.groups(guild_id))
            message = await channel.send(
                embed=embed, view=view, allowed_mentions=discord.AllowedMentions.none()
            )
        await service.add_panel(guild_id, channel.id, message.id)

    async def on_stale(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        check = await service.stale.check_stale(int(timer.payload["group_id"]))
        group = check.group
        if not check.nudge or group is None:
            return
        channel = await self._channel(group.guild_id, group.channel_id, f"stale-{group.id}")
        if channel is not None:
            lang = self.lang
            weeks = self.bot.config.working_group_settings.stale_after_weeks
            text = limits.clip(
                self.bot.t(
                    lang,
                    "working_groups.stale.nudge",
                    coordinators=_render.mentions(check.coordinators)
                    or self.bot.t(lang, "working_groups.stale.no_coordinators"),
                    group=group.name.get(lang),
                    weeks=weeks,
                ),
                limits.MESSAGE_CONTENT,
            )
            # Nudged is recorded after the post: a re-run (a retry, or a timer due before this process
            # started) looks for the nudge a run killed in between left, posted since the group went
            # quiet (the timer was armed at its last activity, long before).
            quiet_since = group.last_activity_at + timedelta(weeks=weeks)
            rerun = timer.attempts > 0 or timer.due_at <= self.bot.started_at
            if not rerun or await find_posted(self.bot, channel, same_text(text), since=quiet_since) is None:
                await channel.send(
                    text,
                    allowed_mentions=discord.AllowedMentions(
                        users=[discord.Object(user_id) for user_id in check.coordinators],
                        roles=False,
                        everyone=False,
                    ),
                )
        await service.stale.mark_nudged(group)

    async def on_initiative_review(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        initiative = await service.initiatives.get(int(timer.payload["initiative_id"]))
        if initiative.status != "pending" or initiative.message_id is not None:
            return
        group = await service.access.get(initiative.group_id)
        lang = self.lang
        posted = await self._ask_coordinators(
            timer,
            group,
            f"initiative-{initiative.id}",
            f"wg:initiative:{initiative.id}:approve",
            "working_groups.initiative.review",
            initiative.submitted_by,
            view=initiative_view(self.bot.catalog, lang, initiative.id),
            embed=_render.initiative_embed(self.bot.catalog, lang, initiative),
        )
        if posted is not None:
            await service.initiatives.record_message(initiative.id, *posted)

    async def on_initiative_outcome(self, timer: Timer) -> None:
        service = self.bot.services.working_groups
        initiative = await service.initiatives.get(int(timer.payload["initiative_id"]))
        if initiative.status not in ("approved", "declined"):
            return
        group = await service.access.get(initiative.group_id)
        lang = initiative.language
        text = self.bot.t(
            lang,
            f"working_groups.initiative.dm_{initiative.status}",
            title=limits.excerpt(initiative.title, 100),
            group=group.name.get(lang),
        )
        await self._dm_once(timer, initiative.submitted_by, text)
