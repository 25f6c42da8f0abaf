"""/wg create, edit, archive, repair and the /wg coordinator group: what moderators do to the
groups themselves (``moderator_only()``; the service checks again before writing).

Each Discord change is checked (the bot's permissions, the role below the bot's) before anything is
stored, and ``create`` undoes its role and channel when the group could not be stored. ``edit`` and
``archive`` go through the outbox: the change and a timer for each Discord side effect (overwrites,
the role's name, moving the channel) commit together, the command runs the timers at once, and a
Discord failure leaves them to be retried rather than the database and the channel disagreeing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.core.checks import moderator_only
from bot.core.replies import reply
from bot.core.strings import CommandText
from bot.core.subcommands import subcommand
from bot.errors import UserFacingError
from bot.services.working_groups import WG_ARCHIVE_CHANNEL, WG_OVERWRITES, WG_ROLE_NAME, Group
from cogs.working_groups import _discord
from cogs.working_groups._autocomplete import group_autocomplete
from cogs.working_groups._options import texts

if TYPE_CHECKING:
    from cogs.working_groups._cog import WorkingGroups

log = logging.getLogger(__name__)

CREATE = CommandText("wg.create")
EDIT = CommandText("wg.edit")
ARCHIVE = CommandText("wg.archive")
REPAIR = CommandText("wg.repair")
COORDINATOR = CommandText("wg.coordinator")
COORDINATOR_ADD = CommandText("wg.coordinator.add")
COORDINATOR_REMOVE = CommandText("wg.coordinator.remove")


class Manage:
    """/wg create, edit, archive, repair (added to /wg by the cog, in this order)."""

    def __init__(self, cog: WorkingGroups) -> None:
        self.cog = cog
        self.bot = cog.bot

    @subcommand(CREATE)
    @CREATE.options("key", "name", "private", "stake", "mandate")
    @moderator_only()
    async def create(
        self,
        interaction: discord.Interaction,
        key: str,
        name: str,
        private: bool = False,
        stake: str | None = None,
        mandate: str | None = None,
    ) -> None:
        guild = self.cog.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        service = self.bot.services.working_groups
        key, name = await service.admin.check_new(guild.id, key, name, stake=stake, mandate=mandate)
        _discord.ensure_permissions(guild)
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = Group(
            id=0,
            guild_id=guild.id,
            key=key,
            name=texts(lang, name),
            stake=texts(lang, stake),
            actions=texts(lang, None),
            mandate=texts(lang, mandate),
            description=texts(lang, None),
            visibility="private" if private else "public",
            status="not_started",
            role_id=None,
            channel_id=None,
            source="command",
            created_at=self.bot.clock.now(),
            last_activity_at=self.bot.clock.now(),
            nudged_for=None,
            archived_at=None,
        )
        made = await _discord.provision(
            guild,
            draft,
            self.bot.config,
            role_name=name,
            adopt_by_name=False,
            moderators=self.bot.roles.moderator_roles(guild),
        )
        try:
            await service.admin.create(
                guild.id,
                key=key,
                name=name,
                lang=lang,
                stake=stake,
                mandate=mandate,
                private=private,
                role_id=made.role.id,
                channel_id=made.channel.id,
                actor=self.cog.actor(interaction),
            )
        except BaseException:
            # Nothing half-created: what we made in Discord for a group that was not stored goes again.
            for undo in (made.channel.delete, made.role.delete):
                try:
                    await undo(reason=f"{_discord.REASON}: the group could not be stored")
                except discord.HTTPException:
                    log.exception("Could not undo the Discord side of group %s", key)
            raise
        await self.cog.refresh_panels(guild)
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.create.done",
                group=name,
                role=made.role.mention,
                channel=made.channel.mention,
            ),
        )

    @subcommand(EDIT)
    @EDIT.options("group", "name", "stake", "mandate", "description", "private")
    @app_commands.autocomplete(group=group_autocomplete)
    @moderator_only()
    async def edit(
        self,
        interaction: discord.Interaction,
        group: str,
        name: str | None = None,
        stake: str | None = None,
        mandate: str | None = None,
        description: str | None = None,
        private: bool | None = None,
    ) -> None:
        guild = self.cog.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        found = await self.cog.find_group(interaction, group)
        service = self.bot.services.working_groups
        role = self.cog.role_of(guild, found)
        if (private is not None and private != found.private) or (name is not None and role is not None):
            # Checked before anything is written: the overwrites and the role's name follow the edit.
            _discord.ensure_permissions(guild)
            if role is not None:
                _discord.ensure_below_bot(guild, role)
        updated = await service.admin.edit(
            found.id,
            self.cog.actor(interaction),
            lang,
            name=name,
            stake=stake,
            mandate=mandate,
            description=description,
            private=private,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        timers = self.bot.services.timers
        done = await timers.run_now(WG_OVERWRITES, group_id=updated.id)
        done = await timers.run_now(WG_ROLE_NAME, group_id=updated.id) and done
        await self.cog.refresh_panels(guild)
        key = "working_groups.edit.done" if done else "working_groups.edit.pending"
        await reply(interaction, self.bot.t(lang, key, group=updated.name.get(lang)))

    @subcommand(ARCHIVE)
    @ARCHIVE.options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    @moderator_only()
    async def archive(self, interaction: discord.Interaction, group: str) -> None:
        guild = self.cog.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        found = await self.cog.find_group(interaction, group)
        channel = guild.get_channel(found.channel_id) if found.channel_id else None
        if isinstance(channel, discord.TextChannel):
            _discord.ensure_permissions(guild)  # checked before anything is written
        # Archived first, with the timer that moves the channel; then that timer runs at once.
        archived = await self.bot.services.working_groups.admin.archive(
            found.id, self.cog.actor(interaction), lang
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        done = await self.bot.services.timers.run_now(WG_ARCHIVE_CHANNEL, group_id=archived.id)
        await self.cog.refresh_panels(guild)
        key = "working_groups.archive.done" if done else "working_groups.archive.pending"
        await reply(interaction, self.bot.t(lang, key, group=archived.name.get(lang)))

    @subcommand(REPAIR)
    @REPAIR.options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    @moderator_only()
    async def repair(self, interaction: discord.Interaction, group: str) -> None:
        """Recreate a role or channel deleted by hand, and re-apply the channel's overwrites."""
        guild = self.cog.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        found = await self.cog.find_group(interaction, group)
        _discord.ensure_permissions(guild)
        await interaction.response.defer(ephemeral=True, thinking=True)
        made = await _discord.provision(
            guild,
            found,
            self.bot.config,
            role_name=found.name.get(self.cog.guild_lang),
            adopt_by_name=False,
            moderators=self.bot.roles.moderator_roles(guild),
        )
        updated = await self.bot.services.working_groups.admin.set_discord(
            found.id, role_id=made.role.id, channel_id=made.channel.id
        )
        await _discord.apply_overwrites(
            guild, updated, made.channel, made.role, moderators=self.bot.roles.moderator_roles(guild)
        )
        # What could not be posted while the channel was gone or closed to the bot goes out now.
        await self.bot.services.working_groups.admin.requeue_unposted(found.id)
        done = [
            self.bot.t(lang, f"working_groups.repair.{what}")
            for what in made.created
            if what in ("role", "channel")
        ]
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.repair.done",
                group=found.name.get(lang),
                created=", ".join(done) or self.bot.t(lang, "working_groups.repair.nothing"),
                role=made.role.mention,
                channel=made.channel.mention,
            ),
        )


class Coordinator(app_commands.Group, name=COORDINATOR.name, description=COORDINATOR.description):
    """/wg coordinator add|remove."""

    cog: WorkingGroups  # given by the cog's __init__ (this group is a class attribute of the cog)

    @COORDINATOR_ADD.command()
    @COORDINATOR_ADD.options("group", "member")
    @app_commands.autocomplete(group=group_autocomplete)
    @moderator_only()
    async def add(self, interaction: discord.Interaction, group: str, member: discord.Member) -> None:
        cog, bot = self.cog, self.cog.bot
        guild = cog.guild_of(interaction)
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        if member.bot:
            raise UserFacingError("working_groups.errors.bot_member")
        if member.id in await bot.services.working_groups.coordinators(found.id):
            raise UserFacingError("working_groups.errors.already_coordinator", group=found.name.get(lang))
        role = cog.role_of(guild, found)
        if role is not None and role not in member.roles:
            # A coordinator is a member of the group: they see its channel even when it is private.
            _discord.ensure_permissions(guild)
            _discord.ensure_below_bot(guild, role)
            await member.add_roles(role, reason=_discord.REASON)
        await bot.services.working_groups.admin.add_coordinator(
            found.id, member.id, cog.actor(interaction), lang
        )
        await reply(
            interaction,
            bot.t(
                lang, "working_groups.coordinator.added", member=member.mention, group=found.name.get(lang)
            ),
        )

    @COORDINATOR_REMOVE.command()
    @COORDINATOR_REMOVE.options("group", "member")
    @app_commands.autocomplete(group=group_autocomplete)
    @moderator_only()
    async def remove(self, interaction: discord.Interaction, group: str, member: discord.Member) -> None:
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group, include_archived=True)
        await bot.services.working_groups.admin.remove_coordinator(
            found.id, member.id, cog.actor(interaction), lang
        )
        await reply(
            interaction,
            bot.t(
                lang, "working_groups.coordinator.removed", member=member.mention, group=found.name.get(lang)
            ),
        )
