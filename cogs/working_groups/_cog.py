"""The ``WorkingGroups`` cog: /wg's life cycle, its member commands (list, info, join, leave) and
the moderators' panel, the entry points of its persistent buttons, and the helpers the command
modules share.

Discord glue only: each command parses its options, builds an ``Actor`` from the member (their
roles come from Discord's member cache: the group's role is the truth for membership), calls
``WorkingGroupService`` and renders the result. The service decides permissions (moderators manage
every group, coordinators only their own) and raises ``UserFacingError`` for what the member can fix.

The rest of /wg lives beside it, each part bound to this cog: ``_manage.py`` (create, edit, archive,
repair, the coordinator group), ``_work.py`` (status, update, summary, search, report, the workplan,
deliverable and doc groups) and ``_initiatives.py`` (the initiative group, initiatives, export).

Posts in group channels speak the guild's language (``config.language``); replies speak the member's.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from bot import limits
from bot.core.channels import ensure_can_post, jump_url, permission_list
from bot.core.checks import moderator_only
from bot.core.paginator import Paginator
from bot.core.replies import reply
from bot.core.strings import CommandText
from bot.core.subcommands import add_subcommands
from bot.core.tree import translated_params
from bot.errors import NotFound, UserFacingError
from bot.services.working_groups import (
    WG_JOIN_OUTCOME,
    WG_PANEL,
    Actor,
    Group,
)
from cogs.working_groups import _discord, _render
from cogs.working_groups._autocomplete import group_autocomplete
from cogs.working_groups._handlers import WorkingGroupTimers
from cogs.working_groups._initiatives import InitiativeGroup, Initiatives
from cogs.working_groups._manage import Coordinator, Manage
from cogs.working_groups._views import (
    InitiativeDecisionButton,
    JoinDecisionButton,
    ToggleButton,
    decision_view,
    panel_view,
)
from cogs.working_groups._work import Deliverables, Documents, Work, Workplan

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

WG = CommandText("wg")
LIST = CommandText("wg.list")
INFO = CommandText("wg.info")
JOIN = CommandText("wg.join")
LEAVE = CommandText("wg.leave")
PANEL = CommandText("wg.panel")

# The persistent buttons this cog answers (custom_id templates), registered by ``setup``.
PERSISTENT_ITEMS: Final = (ToggleButton, JoinDecisionButton, InitiativeDecisionButton)


class WorkingGroups(commands.Cog):
    wg = WG.group(guild_only=True)
    # The sub-groups, as class attributes: discord.py copies them with /wg for each cog instance
    # (``self.coordinator`` is that copy), in this order first, as Discord lists /wg's children.
    coordinator = Coordinator(parent=wg)
    workplan = Workplan(parent=wg)
    deliverable = Deliverables(parent=wg)
    doc = Documents(parent=wg)
    initiative = InitiativeGroup(parent=wg)

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot
        self.timers = WorkingGroupTimers(self)
        self._seeded: set[int] = set()
        for group in (self.coordinator, self.workplan, self.deliverable, self.doc, self.initiative):
            group.cog = self
        self.manage = Manage(self)
        self.work = Work(self)
        self.index = Initiatives(self)
        # /wg's own children from the other modules, after list, info, join, leave and panel.
        for part in (self.manage, self.work, self.index):
            add_subcommands(self.wg, part)

    # --- life cycle ------------------------------------------------------------------------------

    async def cog_load(self) -> None:
        self.bot.services.timers.register_all(self.timers.table())

    async def cog_unload(self) -> None:
        self.bot.services.timers.unregister_all(self.timers.table())

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Seed the configured groups into each guild once per process; create their role and channel
        the first time (the service and ``provision`` make this idempotent across restarts)."""
        for guild_id in self.bot.config.guild_ids:
            guild = self.bot.get_guild(guild_id)
            if guild is None or guild_id in self._seeded:
                continue
            self._seeded.add(guild_id)
            try:
                await self.seed(guild)
            except Exception:
                log.exception("Seeding the working groups into guild %s failed", guild_id)

    async def seed(self, guild: discord.Guild) -> None:
        service = self.bot.services.working_groups
        groups = await service.seed(guild.id, self.bot.config.working_groups)
        todo = [g for g in groups if g.role_id is None or g.channel_id is None]
        if not todo:
            return
        missing = _discord.missing_permissions(guild)
        if missing:
            log.warning("Cannot create the working groups' roles and channels: missing %s", missing)
            names = permission_list(self.bot, self.guild_lang, missing)
            await self.bot.report_once(
                guild.id,
                f"wg-seed-missing:{','.join(missing)}",
                self.bot.t(self.guild_lang, "working_groups.seed.missing", permissions=names),
            )
            return
        for group in todo:
            try:
                made = await _discord.provision(
                    guild,
                    group,
                    self.bot.config,
                    role_name=group.name.get(self.guild_lang),
                    adopt_by_name=True,
                    moderators=self.bot.roles.moderator_roles(guild),
                )
            except UserFacingError as error:
                log.warning("Could not set up working group %s: %s %s", group.key, error.key, error.params)
                params = translated_params(self.bot, self.guild_lang, error.params)
                problem = self.bot.t(self.guild_lang, error.key, **params)
                await self.bot.report_once(
                    guild.id,
                    f"wg-seed:{group.key}:{error.key}",
                    self.bot.t(
                        self.guild_lang,
                        "working_groups.seed.failed",
                        group=group.name.get(self.guild_lang),
                        problem=problem,
                    ),
                )
                continue
            except discord.HTTPException:
                # Discord unavailable (a 5xx): the other groups still get theirs; this one is set up at
                # the next start (or by /wg repair).
                log.exception("Discord failed while setting up working group %s", group.key)
                continue
            await service.admin.set_discord(group.id, role_id=made.role.id, channel_id=made.channel.id)
            log.info("Working group %s: created %s", group.key, ", ".join(made.created) or "nothing")

    # --- helpers ---------------------------------------------------------------------------------

    @property
    def guild_lang(self) -> str:
        return self.bot.config.language

    def guild_of(self, interaction: discord.Interaction) -> discord.Guild:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        return interaction.guild

    def actor(self, interaction: discord.Interaction) -> Actor:
        user = interaction.user
        roles = frozenset(role.id for role in user.roles) if isinstance(user, discord.Member) else frozenset()
        return Actor(user.id, moderator=self.bot.is_moderator(user), role_ids=roles)

    async def find_group(
        self, interaction: discord.Interaction, value: str, *, include_archived: bool = False
    ) -> Group:
        """The group an option names (its key from autocomplete, or its name) in this guild."""
        return await self.bot.services.working_groups.find(
            self.guild_of(interaction).id, value, include_archived=include_archived
        )

    def role_of(self, guild: discord.Guild, group: Group) -> discord.Role | None:
        return guild.get_role(group.role_id) if group.role_id else None

    async def event_title(self, occurrence_id: int | None) -> str | None:
        if occurrence_id is None:
            return None
        try:
            occurrence = await self.bot.services.events.get_occurrence(occurrence_id, include_cancelled=True)
        except UserFacingError:
            return None
        return f"{occurrence.title} ({occurrence.starts_at.date().isoformat()})"

    # --- members: list, info, join, leave ------------------------------------------------------------

    def member_counts(self, guild: discord.Guild, groups: list[Group]) -> dict[int, int | None]:
        """Members of each group's role (None: the role is gone), in one pass over the member cache:
        ``role.members`` walks the whole cache once per role, 50 times for /wg list."""
        tally = {role.id: 0 for role in (self.role_of(guild, group) for group in groups) if role is not None}
        if tally:
            for member in guild.members:
                for role in member.roles:
                    if role.id in tally:
                        tally[role.id] += 1
        return {group.id: tally.get(group.role_id) if group.role_id is not None else None for group in groups}

    @LIST.command(wg)
    async def list_(self, interaction: discord.Interaction) -> None:
        guild = self.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        service = self.bot.services.working_groups
        groups = await service.groups(guild.id)
        members = self.member_counts(guild, groups)
        coordinators = await service.coordinators_by_group(guild.id)
        size = _render.LIST_PAGE_SIZE
        pages = max(1, -(-len(groups) // size))

        async def render(page: int) -> discord.Embed:
            shown = groups[page * size : (page + 1) * size]
            return _render.list_page_embed(
                self.bot.catalog, lang, shown, members, coordinators, page=page, pages=pages
            )

        await Paginator.send(interaction, self.bot.catalog, lang, render, pages)

    @INFO.command(wg)
    @INFO.options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def info(self, interaction: discord.Interaction, group: str) -> None:
        guild = self.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        card = await self.bot.services.working_groups.find_card(
            guild.id, group, self.actor(interaction), include_archived=True
        )
        found = card.group
        role = self.role_of(guild, found)
        embed = _render.card_embed(
            self.bot.catalog,
            lang,
            card,
            members=None if role is None else len(role.members),
            roundtables=_render.roundtable_lines(self.bot.catalog, lang, card.upcoming, card.past),
        )
        await reply(interaction, embed=embed)

    async def join_group(self, interaction: discord.Interaction, group: Group) -> None:
        guild = self.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        name = group.name.get(lang)
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise app_commands.NoPrivateMessage()
        if group.archived:
            raise UserFacingError("working_groups.errors.archived", group=name)
        role = self.role_of(guild, group)
        if role is None:
            raise UserFacingError("working_groups.errors.role_missing", group=name)
        if role in member.roles:
            raise UserFacingError("working_groups.errors.already_member", group=name)
        if group.private:
            await self.bot.services.working_groups.requests.request_join(
                group.id, self.actor(interaction), lang
            )
            await reply(interaction, self.bot.t(lang, "working_groups.join.requested", group=name))
            return
        _discord.ensure_permissions(guild)
        _discord.ensure_below_bot(guild, role)
        await member.add_roles(role, reason=_discord.REASON)
        await reply(
            interaction,
            self.bot.t(lang, "working_groups.join.joined", group=name, channel=f"<#{group.channel_id}>"),
        )

    async def leave_group(self, interaction: discord.Interaction, group: Group) -> None:
        guild = self.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        name = group.name.get(lang)
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise app_commands.NoPrivateMessage()
        role = self.role_of(guild, group)
        if role is None or role not in member.roles:
            raise UserFacingError("working_groups.errors.not_member", group=name)
        _discord.ensure_permissions(guild)
        _discord.ensure_below_bot(guild, role)
        await member.remove_roles(role, reason=_discord.REASON)
        await reply(interaction, self.bot.t(lang, "working_groups.join.left", group=name))

    @JOIN.command(wg)
    @JOIN.options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def join(self, interaction: discord.Interaction, group: str) -> None:
        await self.join_group(interaction, await self.find_group(interaction, group))

    @LEAVE.command(wg)
    @LEAVE.options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def leave(self, interaction: discord.Interaction, group: str) -> None:
        await self.leave_group(interaction, await self.find_group(interaction, group, include_archived=True))

    async def toggle_membership(self, interaction: discord.Interaction, group_id: int) -> None:
        """The panel's button: leave if in the group, else join (or ask to, for a private group)."""
        guild = self.guild_of(interaction)
        group = await self.bot.services.working_groups.access.get(group_id)
        if group.guild_id != guild.id:
            raise NotFound("working_groups.errors.unknown_group", group=str(group_id))
        role = self.role_of(guild, group)
        member = interaction.user
        if isinstance(member, discord.Member) and role is not None and role in member.roles:
            await self.leave_group(interaction, group)
        else:
            await self.join_group(interaction, group)

    # --- panel ------------------------------------------------------------------------------------

    def panel_message(self, groups: list[Group]) -> tuple[discord.Embed, discord.ui.View]:
        lang = self.guild_lang
        lines = [
            f"{_render.STATUS_EMOJI[g.status]} **{limits.clip(g.name.get(lang), 100)}**"
            + (" 🔒" if g.private else "")
            for g in groups
        ]
        embed = discord.Embed(
            title=self.bot.t(lang, "working_groups.panel.title"),
            description=limits.clip(
                self.bot.t(lang, "working_groups.panel.description") + "\n\n" + "\n".join(lines),
                limits.EMBED_DESCRIPTION,
            ),
            colour=_render.COLOUR,
        )
        return embed, panel_view(self.bot.catalog, lang, groups)

    @PANEL.command(wg)
    @moderator_only()
    async def panel(self, interaction: discord.Interaction) -> None:
        guild = self.guild_of(interaction)
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("working_groups.errors.text_channel_only")
        ensure_can_post(channel)
        service = self.bot.services.working_groups
        # The outbox: the panel's timer is written first, then run at once; it posts and records the
        # message, and if Discord fails it is retried (adopting a panel Discord posted but never
        # confirmed) instead of being lost or posted twice.
        await service.queue_panel(guild.id, channel.id, interaction.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if await self.bot.services.timers.run_now(WG_PANEL, request=interaction.id):
            posted = [p for p in await service.panels(guild.id) if p.channel_id == channel.id]
            if posted:
                url = jump_url(guild.id, channel.id, posted[-1].message_id)
                await reply(interaction, self.bot.t(interaction, "working_groups.panel.posted", url=url))
                return
        await reply(interaction, self.bot.t(interaction, "working_groups.panel.pending"))

    async def refresh_panels(self, guild: discord.Guild) -> None:
        """Re-render every panel after a group was added or archived. Best effort: a deleted panel is
        forgotten, any other failure logged (the buttons read the database, so old ones still work)."""
        service = self.bot.services.working_groups
        groups = await service.groups(guild.id)
        embed, view = self.panel_message(groups)
        for stored in await service.panels(guild.id):
            channel = guild.get_channel(stored.channel_id)
            if not isinstance(channel, discord.TextChannel):
                await service.remove_panel(stored.message_id)
                continue
            try:
                await channel.get_partial_message(stored.message_id).edit(embed=embed, view=view)
            except discord.NotFound:
                await service.remove_panel(stored.message_id)
            except discord.HTTPException:
                log.warning("Could not refresh the panel %s", stored.message_id, exc_info=True)

    # --- join approval ------------------------------------------------------------------------------

    async def decide_join(self, interaction: discord.Interaction, request_id: int, approve: bool) -> None:
        guild = self.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        service = self.bot.services.working_groups
        actor = self.actor(interaction)
        request, group = await service.requests.check_decider(request_id, actor, lang)
        if approve:
            # Checked before the decision is written: what the member can fix is told, nothing stored.
            role = self.role_of(guild, group)
            if role is None:
                raise UserFacingError("working_groups.errors.role_missing", group=group.name.get(lang))
            if guild.get_member(request.user_id) is None:
                raise UserFacingError("working_groups.errors.member_left")
            _discord.ensure_permissions(guild)
            _discord.ensure_below_bot(guild, role)
        # The decision first (one of two concurrent clicks wins), then its timer gives the role and DMs.
        decided = await service.requests.decide_join(request_id, approve, actor, lang)
        outcome = self.bot.t(
            self.guild_lang,
            "working_groups.join.approved_by" if approve else "working_groups.join.declined_by",
            member=f"<@{decided.user_id}>",
            coordinator=interaction.user.mention,
        )
        await interaction.response.edit_message(
            content=limits.clip(outcome, limits.MESSAGE_CONTENT),
            view=decision_view(self.bot.catalog, self.guild_lang, request_id, disabled=True),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        await self.bot.services.timers.run_now(WG_JOIN_OUTCOME, request_id=decided.id)

    # --- initiative decisions --------------------------------------------------------------------

    async def decide_initiative(
        self, interaction: discord.Interaction, initiative_id: int, approve: bool
    ) -> None:
        """The entry point of an index entry's Approve / Decline button (``_views``)."""
        await self.index.decide(interaction, initiative_id, approve)
