"""The directory's side effects, run by timers the service wrote with each change (the outbox).

Each handler reads the truth from the database when it runs, so it is idempotent: a retried or late
timer never posts twice, DMs twice or leaves a role out of step. Between a post (or DM) and its record
the bot may be killed or Discord fail to answer: a re-run first looks for what the earlier run sent
(``bot.core.outbox.find_posted``, ``bot.core.dm.send_dm_once``) and records that. What retrying
cannot fix (a missing role, a role above the bot's) is reported to mod-log once and the timer ends.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.core.channels import POST_EMBEDS, Report, permission_list, postable_channel
from bot.core.dm import send_dm_once
from bot.core.guild_members import member_of
from bot.core.outbox import find_posted, has_custom_id, may_have_run
from bot.services.organisations import (
    ORG_CLAIM_OUTCOME,
    ORG_CLAIM_POST,
    ORG_ROLE_SYNC,
    Claim,
    Organisation,
    OrganisationService,
)
from bot.services.timers import HandlerTable, Timer
from cogs.organisations import _render
from cogs.organisations._views import claim_buttons

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)


class DirectoryHandlers:
    def __init__(self, bot: WimBot) -> None:
        self.bot = bot
        # Role changes this process is making right now: their on_member_update is not "by hand".
        self._own_changes: set[tuple[int, int, bool]] = set()

    def table(self) -> HandlerTable:
        return {
            ORG_CLAIM_POST: (self.on_claim_post, None),
            ORG_CLAIM_OUTCOME: (self.on_claim_outcome, None),
            ORG_ROLE_SYNC: (self.on_role_sync, None),
        }

    @property
    def service(self) -> OrganisationService:
        return self.bot.services.organisations

    @property
    def lang(self) -> str:
        """Everything the directory posts in a channel goes to mod-log: that channel's language."""
        return self.bot.config.channel_language(self.bot.config.channels.mod_log)

    # --- org.claim_post: the claim with its buttons in mod-log -------------------------------------

    async def on_claim_post(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        claim_id = int(timer.payload["claim_id"])
        planned = await self.service.claim_for_post(claim_id)
        if planned is None:
            return  # posted already, or decided/withdrawn before it could be posted
        claim, organisation = planned
        channel = await postable_channel(
            self.bot,
            claim.guild_id,
            self.bot.mod_log_channel(claim.guild_id),
            gone=lambda: self._cannot_post(f"#{self.bot.config.channels.mod_log}", POST_EMBEDS),
            cannot=lambda channel, missing: self._cannot_post(channel.mention, missing),
        )
        if channel is None:
            # Told once; unlike a lost group channel, a claim must not be dropped: the timer retries,
            # and the claim is posted once mod-log is back.
            raise RuntimeError(f"cannot post claim {claim_id} in #{self.bot.config.channels.mod_log}")
        marker = has_custom_id(f"org:claim:{claim.id}:approve")
        message = (
            await find_posted(self.bot, channel, marker, since=timer.created_at)
            if may_have_run(self.bot, timer)
            else None
        ) or await channel.send(
            embed=_render.claim_embed(self.bot.catalog, self.lang, claim, organisation),
            view=claim_buttons(self.bot.catalog, self.lang, claim.id),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        await self.service.record_claim_post(claim.id, channel.id, message.id)

    def _cannot_post(self, channel: str, missing: Sequence[str]) -> Report:
        permissions = permission_list(self.bot, self.lang, missing)
        text = self.bot.t(self.lang, "orgs.ui.claim.cannot_post", channel=channel, permissions=permissions)
        return f"org:cannot-post-claims:{','.join(missing)}", text

    # --- org.claim_outcome: tell the member ------------------------------------------------------------

    async def on_claim_outcome(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        claim_id = int(timer.payload["claim_id"])
        planned = await self.service.claim_for_outcome(claim_id)
        if planned is None:
            return
        claim, organisation = planned
        if claim.status in ("withdrawn", "cancelled"):
            await self._close_post(claim, organisation)
        if claim.status == "withdrawn":
            await self.service.record_claim_dm(claim.id, "not_needed")
            return
        text = _render.outcome_dm(self.bot.catalog, claim, organisation)
        resume_after = self.bot.discord_time(timer.created_at) if may_have_run(self.bot, timer) else None
        delivered = await send_dm_once(self.bot, claim.user_id, text, resume_after=resume_after)
        await self.service.record_claim_dm(claim.id, "sent" if delivered else "skipped_closed")

    async def _close_post(self, claim: Claim, organisation: Organisation) -> None:
        """A claim closed without a click (withdrawn, cancelled): its post says so, its buttons are off."""
        if claim.modlog_channel_id is None or claim.modlog_message_id is None:
            return
        channel = self.bot.get_channel(claim.modlog_channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        embed = _render.claim_embed(self.bot.catalog, self.lang, claim, organisation)
        await self.edit_quietly(channel.get_partial_message(claim.modlog_message_id), claim.id, embed)

    async def edit_quietly(
        self, message: discord.Message | discord.PartialMessage, claim_id: int, embed: discord.Embed
    ) -> None:
        """Show a closed claim on its post, buttons disabled; a deleted post is not an error."""
        view = claim_buttons(self.bot.catalog, self.lang, claim_id, decided=True)
        try:
            await message.edit(embed=embed, view=view)
        except discord.HTTPException:
            log.info("Could not update the claim post %s", message.id, exc_info=True)

    # --- org.role_sync: the leaders role follows the directory --------------------------------------

    def _leaders_role(self, guild: discord.Guild) -> discord.Role | None:
        """The configured leaders role, pinned by id (bot.core.roles): a namesake is not it."""
        return self.bot.roles.leaders_role(guild)

    async def on_role_sync(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        guild_id, user_id = int(timer.payload["guild_id"]), int(timer.payload["user_id"])
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return
        role = self._leaders_role(guild)
        if role is None:
            if not self.bot.roles.leaders_refused(guild):  # twins: the role directory told mod-log
                name = self.bot.config.directory.leaders_role
                text = self.bot.t(self.lang, "orgs.ui.role.missing", role=name)
                await self.bot.report_once(guild_id, "org:leaders-role-missing", text)
            return
        member = await member_of(guild, user_id)
        if member is None:
            return  # they left the server: nothing to give or take
        wanted = await self.service.should_have_leaders_role(guild_id, user_id)
        if wanted == (role in member.roles):
            return
        change = (guild_id, user_id, wanted)
        self._own_changes.add(change)
        try:
            if wanted:
                await member.add_roles(role, reason="WIM directory: verified leader or representative")
            else:
                await member.remove_roles(role, reason="WIM directory: no longer a verified leader")
        except discord.Forbidden:
            self._own_changes.discard(change)
            text = self.bot.t(self.lang, "orgs.ui.role.forbidden", role=role.mention, user=member.mention)
            await self.bot.report_once(guild_id, f"org:role-forbidden:{user_id}:{int(wanted)}", text)
        except BaseException:
            self._own_changes.discard(change)
            raise

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """A leaders role given by hand to someone the directory does not list as leader or
        representative is reported to mod-log (not synced back); so is one taken by hand from a
        verified leader. The bot's own changes are not reported."""
        if after.guild.id not in self.bot.config.guild_ids:
            return
        role = self._leaders_role(after.guild)
        if role is None:
            return
        had, has = role in before.roles, role in after.roles
        if had == has:
            return
        change = (after.guild.id, after.id, has)
        if change in self._own_changes:
            self._own_changes.discard(change)
            return
        standing = await self.service.standing(after.guild.id, after.id)
        verified = standing.link is not None and standing.link.standing in ("leader", "representative")
        if has and not verified:
            text = self.bot.t(self.lang, "orgs.ui.role.by_hand", user=after.mention, role=role.mention)
        elif had and verified and standing.link is not None and standing.organisation is not None:
            text = self.bot.t(
                self.lang,
                "orgs.ui.role.removed_by_hand",
                user=after.mention,
                role=role.mention,
                standing=_render.standing_name(self.bot.catalog, self.lang, standing.link.standing),
                name=standing.organisation.name,
            )
        else:
            return
        await self.bot.post_mod_log(after.guild.id, text)
