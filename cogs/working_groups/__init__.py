"""/wg: the Alliance's working groups — roles and channels, coordinators, status, workplans,
deliverables, progress updates, meeting summaries, documents, search and the moderators' report.

Discord glue only: each command parses its options, builds an ``Actor`` from the member (their
roles come from Discord's member cache: the group's role is the truth for membership), calls
``WorkingGroupService`` and renders the result. The service decides permissions (moderators manage
every group, coordinators only their own) and raises ``UserFacingError`` for what the member can fix.

Posts in group channels speak the guild's language (``config.language``); replies speak the member's.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from bot import limits
from bot.core.channels import ensure_can_post
from bot.core.dm import send_dm
from bot.core.groups import group_choices
from bot.core.paginator import Paginator
from bot.core.replies import reply
from bot.core.strings import CommandText, cmd_str
from bot.core.tree import translated_params
from bot.errors import NotFound, UserFacingError
from bot.services.working_groups import (
    DELIVERABLE_KINDS,
    INITIATIVE_KINDS,
    STATUSES,
    WG_INITIATIVE_OUTCOME,
    WG_INITIATIVE_REVIEW,
    WG_JOIN_OUTCOME,
    WG_JOIN_REQUEST,
    WG_POST,
    WG_STALE,
    Actor,
    Group,
    Texts,
)
from cogs.working_groups import _discord, _render
from cogs.working_groups._handlers import WorkingGroupTimers
from cogs.working_groups._views import (
    InitiativeDecisionButton,
    InitiativeModal,
    JoinDecisionButton,
    SummaryModal,
    ToggleButton,
    decision_view,
    initiative_view,
    panel_view,
)

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT: Final = 25


def _subgroup(parent: app_commands.Group, path: str) -> app_commands.Group:
    text = CommandText(path)
    return app_commands.Group(parent=parent, name=text.name, description=text.description)


def _choices(values: tuple[str, ...], prefix: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=cmd_str(f"{prefix}.{value}"), value=value) for value in values]


STATUS_CHOICES: Final = _choices(STATUSES, "cmd.wg.choices.status")
KIND_CHOICES: Final = _choices(DELIVERABLE_KINDS, "cmd.wg.choices.kind")
INITIATIVE_CHOICES: Final = _choices(INITIATIVE_KINDS, "cmd.wg.choices.initiative")


def _blank(value: str | None) -> str | None:
    return None if value is None or not value.strip() else value


def _id(value: str, error: str) -> int:
    text = (value or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    raise NotFound(error)


class WorkingGroups(commands.Cog):
    wg = CommandText("wg").group(guild_only=True)
    coordinator = _subgroup(wg, "wg.coordinator")
    workplan = _subgroup(wg, "wg.workplan")
    deliverable = _subgroup(wg, "wg.deliverable")
    doc = _subgroup(wg, "wg.doc")
    initiative = _subgroup(wg, "wg.initiative")

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot
        self.timers = WorkingGroupTimers(self)
        self._seeded: set[int] = set()

    # --- life cycle ------------------------------------------------------------------------------

    async def cog_load(self) -> None:
        timers = self.bot.services.timers
        timers.register(WG_POST, self.timers.on_post)
        timers.register(WG_JOIN_REQUEST, self.timers.on_join_request)
        timers.register(WG_JOIN_OUTCOME, self.timers.on_join_outcome)
        timers.register(WG_STALE, self.timers.on_stale)
        timers.register(WG_INITIATIVE_REVIEW, self.timers.on_initiative_review)
        timers.register(WG_INITIATIVE_OUTCOME, self.timers.on_initiative_outcome)

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
            names = ", ".join(self.bot.t(self.guild_lang, f"permissions.{name}") for name in missing)
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
            await service.set_discord(group.id, role_id=made.role.id, channel_id=made.channel.id)
            log.info("Working group %s: created %s", group.key, ", ".join(made.created) or "nothing")

    # --- helpers ---------------------------------------------------------------------------------

    @property
    def guild_lang(self) -> str:
        return self.bot.config.language

    def _guild(self, interaction: discord.Interaction) -> discord.Guild:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        return interaction.guild

    def actor(self, interaction: discord.Interaction) -> Actor:
        user = interaction.user
        roles = frozenset(role.id for role in user.roles) if isinstance(user, discord.Member) else frozenset()
        return Actor(user.id, moderator=self.bot.is_moderator(user), role_ids=roles)

    async def _group(
        self, interaction: discord.Interaction, value: str, *, include_archived: bool = False
    ) -> Group:
        return await self.bot.services.working_groups.find(
            self._guild(interaction).id, value, include_archived=include_archived
        )

    def _require_moderator(self, interaction: discord.Interaction) -> None:
        if not self.bot.is_moderator(interaction.user):
            raise UserFacingError("errors.not_moderator")

    def role_of(self, guild: discord.Guild, group: Group) -> discord.Role | None:
        return guild.get_role(group.role_id) if group.role_id else None

    async def send_dm(self, user_id: int, content: str) -> bool:
        return await send_dm(self.bot, user_id, content)

    async def event_title(self, occurrence_id: int | None) -> str | None:
        if occurrence_id is None:
            return None
        try:
            occurrence = await self.bot.services.events.get_occurrence(occurrence_id, include_cancelled=True)
        except UserFacingError:
            return None
        return f"{occurrence.title} ({occurrence.starts_at.date().isoformat()})"

    # --- autocomplete ----------------------------------------------------------------------------

    async def group_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await group_choices(self.bot, interaction, current)

    async def _namespace_group(self, interaction: discord.Interaction) -> Group | None:
        value = getattr(interaction.namespace, "group", None)
        if interaction.guild is None or not value:
            return None
        try:
            return await self.bot.services.working_groups.find(interaction.guild.id, str(value))
        except UserFacingError:
            return None

    def _matching(self, current: str, items: list[tuple[int, str]]) -> list[app_commands.Choice[str]]:
        wanted = current.casefold().strip()
        found = [(i, t) for i, t in items if wanted in t.casefold() or wanted == str(i)]
        return [
            app_commands.Choice(name=limits.clip(f"{i} · {t}", limits.CHOICE_NAME), value=str(i))
            for i, t in found[:AUTOCOMPLETE_LIMIT]
        ]

    async def item_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        group = await self._namespace_group(interaction)
        if group is None:
            return []
        lang = self.bot.lang_for(interaction)
        items = await self.bot.services.working_groups.workplan(group.id)
        return self._matching(current, [(item.id, item.title.get(lang)) for item in items])

    async def deliverable_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        group = await self._namespace_group(interaction)
        if group is None:
            return []
        lang = self.bot.lang_for(interaction)
        found = await self.bot.services.working_groups.deliverables(group.id)
        return self._matching(current, [(d.id, d.title.get(lang)) for d in found])

    async def document_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        group = await self._namespace_group(interaction)
        if group is None:
            return []
        found = await self.bot.services.working_groups.documents(group.id)
        return self._matching(current, [(d.id, d.title) for d in found])

    async def event_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        found = await self.bot.services.events.search(interaction.guild.id, current, limit=AUTOCOMPLETE_LIMIT)
        return [
            app_commands.Choice(
                name=limits.clip(f"{o.title} · {o.starts_at.date().isoformat()}", limits.CHOICE_NAME),
                value=str(o.id),
            )
            for o in found
        ]

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

    @CommandText("wg.list").command(wg)
    async def list_(self, interaction: discord.Interaction) -> None:
        guild = self._guild(interaction)
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

    @CommandText("wg.info").command(wg)
    @CommandText("wg.info").options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def info(self, interaction: discord.Interaction, group: str) -> None:
        guild = self._guild(interaction)
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
        guild = self._guild(interaction)
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
            await self.bot.services.working_groups.request_join(group.id, self.actor(interaction), lang)
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
        guild = self._guild(interaction)
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

    @CommandText("wg.join").command(wg)
    @CommandText("wg.join").options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def join(self, interaction: discord.Interaction, group: str) -> None:
        await self.join_group(interaction, await self._group(interaction, group))

    @CommandText("wg.leave").command(wg)
    @CommandText("wg.leave").options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def leave(self, interaction: discord.Interaction, group: str) -> None:
        await self.leave_group(interaction, await self._group(interaction, group, include_archived=True))

    async def toggle_membership(self, interaction: discord.Interaction, group_id: int) -> None:
        """The panel's button: leave if in the group, else join (or ask to, for a private group)."""
        guild = self._guild(interaction)
        group = await self.bot.services.working_groups.get(group_id)
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

    @CommandText("wg.panel").command(wg)
    async def panel(self, interaction: discord.Interaction) -> None:
        self._require_moderator(interaction)
        guild = self._guild(interaction)
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("working_groups.errors.text_channel_only")
        ensure_can_post(channel)
        groups = await self.bot.services.working_groups.groups(guild.id)
        embed, view = self.panel_message(groups)
        message = await channel.send(embed=embed, view=view, allowed_mentions=discord.AllowedMentions.none())
        await self.bot.services.working_groups.add_panel(guild.id, channel.id, message.id)
        await reply(interaction, self.bot.t(interaction, "working_groups.panel.posted", url=message.jump_url))

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
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        service = self.bot.services.working_groups
        actor = self.actor(interaction)
        request, group = await service.check_decider(request_id, actor, lang)
        if approve:
            role = self.role_of(guild, group)
            if role is None:
                raise UserFacingError("working_groups.errors.role_missing", group=group.name.get(lang))
            member = guild.get_member(request.user_id)
            if member is None:
                raise UserFacingError("working_groups.errors.member_left")
            _discord.ensure_permissions(guild)
            _discord.ensure_below_bot(guild, role)
            if role not in member.roles:
                await member.add_roles(role, reason=_discord.REASON)
        decided = await service.decide_join(request_id, approve, actor, lang)
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

    # --- moderators: create, edit, archive, coordinators, repair ----------------------------------

    @CommandText("wg.create").command(wg)
    @CommandText("wg.create").options("key", "name", "private", "stake", "mandate")
    async def create(
        self,
        interaction: discord.Interaction,
        key: str,
        name: str,
        private: bool = False,
        stake: str | None = None,
        mandate: str | None = None,
    ) -> None:
        self._require_moderator(interaction)
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        service = self.bot.services.working_groups
        key, name = await service.check_new(guild.id, key, name, stake=stake, mandate=mandate)
        _discord.ensure_permissions(guild)
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = Group(
            id=0,
            guild_id=guild.id,
            key=key,
            name=_texts(lang, name),
            stake=_texts(lang, stake),
            actions=_texts(lang, None),
            mandate=_texts(lang, mandate),
            description=_texts(lang, None),
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
            await service.create(
                guild.id,
                key=key,
                name=name,
                lang=lang,
                stake=stake,
                mandate=mandate,
                private=private,
                role_id=made.role.id,
                channel_id=made.channel.id,
                actor=self.actor(interaction),
            )
        except BaseException:
            # Nothing half-created: what we made in Discord for a group that was not stored goes again.
            for undo in (made.channel.delete, made.role.delete):
                try:
                    await undo(reason=f"{_discord.REASON}: the group could not be stored")
                except discord.HTTPException:
                    log.exception("Could not undo the Discord side of group %s", key)
            raise
        await self.refresh_panels(guild)
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

    @CommandText("wg.edit").command(wg)
    @CommandText("wg.edit").options("group", "name", "stake", "mandate", "description", "private")
    @app_commands.autocomplete(group=group_autocomplete)
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
        self._require_moderator(interaction)
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        service = self.bot.services.working_groups
        role = self.role_of(guild, found)
        if (private is not None and private != found.private) or (name is not None and role is not None):
            # Checked before anything is written: the overwrites and the role's name follow the edit.
            _discord.ensure_permissions(guild)
            if role is not None:
                _discord.ensure_below_bot(guild, role)
        updated = await service.edit(
            found.id,
            self.actor(interaction),
            lang,
            name=name,
            stake=stake,
            mandate=mandate,
            description=description,
            private=private,
        )
        channel = guild.get_channel(updated.channel_id) if updated.channel_id else None
        role = self.role_of(guild, updated)
        if (
            private is not None
            and private != found.private
            and isinstance(channel, discord.TextChannel)
            and role
        ):
            await _discord.apply_overwrites(
                guild, updated, channel, role, moderators=self.bot.roles.moderator_roles(guild)
            )
        role_name = limits.clip(updated.name.get(self.guild_lang), 100)
        if role is not None and role.name != role_name:
            await role.edit(name=role_name, reason=_discord.REASON)
        await self.refresh_panels(guild)
        await reply(interaction, self.bot.t(lang, "working_groups.edit.done", group=updated.name.get(lang)))

    @CommandText("wg.archive").command(wg)
    @CommandText("wg.archive").options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def archive(self, interaction: discord.Interaction, group: str) -> None:
        self._require_moderator(interaction)
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        channel = guild.get_channel(found.channel_id) if found.channel_id else None
        if isinstance(channel, discord.TextChannel):
            _discord.ensure_permissions(guild)
            await interaction.response.defer(ephemeral=True, thinking=True)
            await _discord.archive_channel(
                guild,
                found,
                channel,
                self.role_of(guild, found),
                self.bot.config,
                moderators=self.bot.roles.moderator_roles(guild),
            )
        archived = await self.bot.services.working_groups.archive(found.id, self.actor(interaction), lang)
        await self.refresh_panels(guild)
        await reply(
            interaction, self.bot.t(lang, "working_groups.archive.done", group=archived.name.get(lang))
        )

    @CommandText("wg.coordinator.add").command(coordinator)
    @CommandText("wg.coordinator.add").options("group", "member")
    @app_commands.autocomplete(group=group_autocomplete)
    async def coordinator_add(
        self, interaction: discord.Interaction, group: str, member: discord.Member
    ) -> None:
        self._require_moderator(interaction)
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        if member.bot:
            raise UserFacingError("working_groups.errors.bot_member")
        if member.id in await self.bot.services.working_groups.coordinators(found.id):
            raise UserFacingError("working_groups.errors.already_coordinator", group=found.name.get(lang))
        role = self.role_of(guild, found)
        if role is not None and role not in member.roles:
            # A coordinator is a member of the group: they see its channel even when it is private.
            _discord.ensure_permissions(guild)
            _discord.ensure_below_bot(guild, role)
            await member.add_roles(role, reason=_discord.REASON)
        await self.bot.services.working_groups.add_coordinator(
            found.id, member.id, self.actor(interaction), lang
        )
        await reply(
            interaction,
            self.bot.t(
                lang, "working_groups.coordinator.added", member=member.mention, group=found.name.get(lang)
            ),
        )

    @CommandText("wg.coordinator.remove").command(coordinator)
    @CommandText("wg.coordinator.remove").options("group", "member")
    @app_commands.autocomplete(group=group_autocomplete)
    async def coordinator_remove(
        self, interaction: discord.Interaction, group: str, member: discord.Member
    ) -> None:
        self._require_moderator(interaction)
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group, include_archived=True)
        await self.bot.services.working_groups.remove_coordinator(
            found.id, member.id, self.actor(interaction), lang
        )
        await reply(
            interaction,
            self.bot.t(
                lang, "working_groups.coordinator.removed", member=member.mention, group=found.name.get(lang)
            ),
        )

    @CommandText("wg.repair").command(wg)
    @CommandText("wg.repair").options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def repair(self, interaction: discord.Interaction, group: str) -> None:
        """Recreate a role or channel deleted by hand, and re-apply the channel's overwrites."""
        self._require_moderator(interaction)
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        _discord.ensure_permissions(guild)
        await interaction.response.defer(ephemeral=True, thinking=True)
        made = await _discord.provision(
            guild,
            found,
            self.bot.config,
            role_name=found.name.get(self.guild_lang),
            adopt_by_name=False,
            moderators=self.bot.roles.moderator_roles(guild),
        )
        updated = await self.bot.services.working_groups.set_discord(
            found.id, role_id=made.role.id, channel_id=made.channel.id
        )
        await _discord.apply_overwrites(
            guild, updated, made.channel, made.role, moderators=self.bot.roles.moderator_roles(guild)
        )
        # What could not be posted while the channel was gone or closed to the bot goes out now.
        await self.bot.services.working_groups.requeue_unposted(found.id)
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

    # --- coordinators: status, workplan, deliverables, updates, documents --------------------------

    @CommandText("wg.status").command(wg)
    @CommandText("wg.status").options("group", "status", "note")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.choices(status=STATUS_CHOICES)
    async def status(
        self, interaction: discord.Interaction, group: str, status: str, note: str | None = None
    ) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        updated = await self.bot.services.working_groups.set_status(
            found.id, status, _blank(note), self.actor(interaction), lang
        )
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.status_set",
                group=updated.name.get(lang),
                status=_render.status_label(self.bot.catalog, lang, updated.status),
            ),
        )

    @CommandText("wg.workplan.add").command(workplan)
    @CommandText("wg.workplan.add").options("group", "title", "status")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.choices(status=STATUS_CHOICES)
    async def workplan_add(
        self, interaction: discord.Interaction, group: str, title: str, status: str = "not_started"
    ) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        item = await self.bot.services.working_groups.workplan_add(
            found.id, title, status, self.actor(interaction), lang
        )
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.workplan.added",
                id=item.id,
                title=limits.excerpt(item.title.get(lang), 100),
            ),
        )

    @CommandText("wg.workplan.update").command(workplan)
    @CommandText("wg.workplan.update").options("group", "item", "status", "title")
    @app_commands.autocomplete(group=group_autocomplete, item=item_autocomplete)
    @app_commands.choices(status=STATUS_CHOICES)
    async def workplan_update(
        self,
        interaction: discord.Interaction,
        group: str,
        item: str,
        status: str | None = None,
        title: str | None = None,
    ) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        item_id = _id(item, "working_groups.errors.unknown_item")
        updated = await self.bot.services.working_groups.workplan_update(
            found.id, item_id, self.actor(interaction), lang, title=_blank(title), status=status
        )
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.workplan.updated",
                id=updated.id,
                title=limits.excerpt(updated.title.get(lang), 100),
                status=_render.status_label(self.bot.catalog, lang, updated.status),
            ),
        )

    @CommandText("wg.workplan.remove").command(workplan)
    @CommandText("wg.workplan.remove").options("group", "item")
    @app_commands.autocomplete(group=group_autocomplete, item=item_autocomplete)
    async def workplan_remove(self, interaction: discord.Interaction, group: str, item: str) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        removed = await self.bot.services.working_groups.workplan_remove(
            found.id, _id(item, "working_groups.errors.unknown_item"), self.actor(interaction), lang
        )
        await reply(
            interaction,
            self.bot.t(
                lang, "working_groups.workplan.removed", title=limits.excerpt(removed.title.get(lang), 100)
            ),
        )

    @CommandText("wg.deliverable.add").command(deliverable)
    @CommandText("wg.deliverable.add").options("group", "title", "kind", "due", "link")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.choices(kind=KIND_CHOICES)
    async def deliverable_add(
        self,
        interaction: discord.Interaction,
        group: str,
        title: str,
        kind: str,
        due: str | None = None,
        link: str | None = None,
    ) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        added = await self.bot.services.working_groups.deliverable_add(
            found.id,
            self.actor(interaction),
            lang,
            title=title,
            kind=kind,
            due=_blank(due),
            link=_blank(link),
        )
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.deliverable.added",
                id=added.id,
                title=limits.excerpt(added.title.get(lang), 100),
            ),
        )

    @CommandText("wg.deliverable.update").command(deliverable)
    @CommandText("wg.deliverable.update").options(
        "group", "deliverable", "status", "title", "kind", "due", "link"
    )
    @app_commands.autocomplete(group=group_autocomplete, deliverable=deliverable_autocomplete)
    @app_commands.choices(status=STATUS_CHOICES, kind=KIND_CHOICES)
    async def deliverable_update(
        self,
        interaction: discord.Interaction,
        group: str,
        deliverable: str,
        status: str | None = None,
        title: str | None = None,
        kind: str | None = None,
        due: str | None = None,
        link: str | None = None,
    ) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        updated = await self.bot.services.working_groups.deliverable_update(
            found.id,
            _id(deliverable, "working_groups.errors.unknown_deliverable"),
            self.actor(interaction),
            lang,
            title=_blank(title),
            kind=kind,
            due=due,
            status=status,
            link=link,
        )
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.deliverable.updated",
                id=updated.id,
                title=limits.excerpt(updated.title.get(lang), 100),
                status=_render.status_label(self.bot.catalog, lang, updated.status),
            ),
        )

    @CommandText("wg.deliverable.remove").command(deliverable)
    @CommandText("wg.deliverable.remove").options("group", "deliverable")
    @app_commands.autocomplete(group=group_autocomplete, deliverable=deliverable_autocomplete)
    async def deliverable_remove(
        self, interaction: discord.Interaction, group: str, deliverable: str
    ) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        removed = await self.bot.services.working_groups.deliverable_remove(
            found.id,
            _id(deliverable, "working_groups.errors.unknown_deliverable"),
            self.actor(interaction),
            lang,
        )
        await reply(
            interaction,
            self.bot.t(
                lang, "working_groups.deliverable.removed", title=limits.excerpt(removed.title.get(lang), 100)
            ),
        )

    @CommandText("wg.update").command(wg)
    @CommandText("wg.update").options("group", "text")
    @app_commands.autocomplete(group=group_autocomplete)
    async def update(self, interaction: discord.Interaction, group: str, text: str) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        await self.bot.services.working_groups.post_update(found.id, text, self.actor(interaction), lang)
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.update.posted",
                group=found.name.get(lang),
                channel=f"<#{found.channel_id}>",
            ),
        )

    @CommandText("wg.summary").command(wg)
    @CommandText("wg.summary").options("group", "event")
    @app_commands.autocomplete(group=group_autocomplete, event=event_autocomplete)
    async def summary(self, interaction: discord.Interaction, group: str, event: str | None = None) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        service = self.bot.services.working_groups
        actor = self.actor(interaction)
        await service.ensure_can_manage(found, actor, lang)
        occurrence_id: int | None = None
        if _blank(event) is not None:
            occurrence_id = _id(str(event), "working_groups.errors.unknown_event")
            occurrence = await self.bot.services.events.get_occurrence(occurrence_id, include_cancelled=True)
            if occurrence.guild_id != found.guild_id:
                raise NotFound("working_groups.errors.unknown_event")

        async def submitted(modal_interaction: discord.Interaction, title: str, body: str) -> None:
            await service.post_summary(found.id, title, body, actor, lang, occurrence_id=occurrence_id)
            await reply(
                modal_interaction,
                self.bot.t(
                    lang, "working_groups.summary.posted", group=found.name.get(lang), length=len(body)
                ),
            )

        await interaction.response.send_modal(
            SummaryModal(self.bot.catalog, lang, found.name.get(lang), submitted)
        )

    @CommandText("wg.doc.add").command(doc)
    @CommandText("wg.doc.add").options("group", "title", "url")
    @app_commands.autocomplete(group=group_autocomplete)
    async def doc_add(self, interaction: discord.Interaction, group: str, title: str, url: str) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        added = await self.bot.services.working_groups.add_document(
            found.id, title, url, self.actor(interaction), lang
        )
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.doc.added",
                title=limits.excerpt(added.title, 100),
                group=found.name.get(lang),
            ),
        )

    @CommandText("wg.doc.remove").command(doc)
    @CommandText("wg.doc.remove").options("group", "document")
    @app_commands.autocomplete(group=group_autocomplete, document=document_autocomplete)
    async def doc_remove(self, interaction: discord.Interaction, group: str, document: str) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        removed = await self.bot.services.working_groups.remove_document(
            found.id, _id(document, "working_groups.errors.unknown_document"), self.actor(interaction), lang
        )
        await reply(
            interaction,
            self.bot.t(lang, "working_groups.doc.removed", title=limits.excerpt(removed.title, 100)),
        )

    # --- search and report --------------------------------------------------------------------------

    @CommandText("wg.search").command(wg)
    @CommandText("wg.search").options("query", "group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def search(self, interaction: discord.Interaction, query: str, group: str | None = None) -> None:
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        service = self.bot.services.working_groups
        group_id = (
            None
            if _blank(group) is None
            else (await self._group(interaction, str(group), include_archived=True)).id
        )
        hits = await service.search(guild.id, query, self.actor(interaction), group_id=group_id)
        names = {hit.group_id: hit.group_name.get(lang) for hit in hits}
        await reply(
            interaction, embed=_render.search_embed(self.bot.catalog, lang, query, hits, names, guild.id)
        )

    @CommandText("wg.report").command(wg)
    async def report(self, interaction: discord.Interaction) -> None:
        self._require_moderator(interaction)
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        lines = await self.bot.services.working_groups.report(guild.id)
        weeks = self.bot.config.working_group_settings.stale_after_weeks
        embed, attach_table = _render.report_embed(self.bot.catalog, lang, lines, weeks)
        files: list[discord.File] = []
        if lines:
            from cogs.working_groups import _chart  # matplotlib loads on first use only

            png = await _chart.render_async(self.bot.catalog, lang, lines)
            files.append(discord.File(io.BytesIO(png), filename="wg-report.png"))
            embed.set_image(url="attachment://wg-report.png")
        if attach_table:
            table = _render.report_table(self.bot.catalog, lang, lines)
            files.append(discord.File(io.BytesIO(table.encode("utf-8")), filename="wg-report.txt"))
        await interaction.followup.send(
            embed=embed, files=files, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    # --- index of initiatives ------------------------------------------------------------------------

    @CommandText("wg.initiative.add").command(initiative)
    @CommandText("wg.initiative.add").options("group", "kind")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.choices(kind=INITIATIVE_CHOICES)
    async def initiative_add(self, interaction: discord.Interaction, group: str, kind: str) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group)
        service = self.bot.services.working_groups
        actor = self.actor(interaction)
        member = found.role_id is not None and found.role_id in actor.role_ids
        if not member and not await service.can_manage(found, actor):
            raise UserFacingError("working_groups.errors.not_member_to_submit", group=found.name.get(lang))

        async def submitted(modal_interaction: discord.Interaction, values: dict[str, str]) -> None:
            await service.submit_initiative(
                found.id,
                actor,
                lang,
                title=values["title"],
                organisation=values["organisation"],
                country=values["country"],
                link=_blank(values["link"]),
                description=values["description"],
                kind=kind,
            )
            await reply(
                modal_interaction,
                self.bot.t(lang, "working_groups.initiative.submitted", group=found.name.get(lang)),
            )

        await interaction.response.send_modal(
            InitiativeModal(self.bot.catalog, lang, found.name.get(lang), submitted)
        )

    async def decide_initiative(
        self, interaction: discord.Interaction, initiative_id: int, approve: bool
    ) -> None:
        lang = self.bot.lang_for(interaction)
        decided = await self.bot.services.working_groups.decide_initiative(
            initiative_id, approve, self.actor(interaction), lang
        )
        outcome = self.bot.t(
            self.guild_lang,
            "working_groups.initiative.approved_by" if approve else "working_groups.initiative.declined_by",
            title=limits.excerpt(decided.title, 100),
            coordinator=interaction.user.mention,
        )
        await interaction.response.edit_message(
            content=limits.clip(outcome, limits.MESSAGE_CONTENT),
            view=initiative_view(self.bot.catalog, self.guild_lang, initiative_id, disabled=True),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @CommandText("wg.initiatives").command(wg)
    @CommandText("wg.initiatives").options("group", "country", "kind")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.choices(kind=INITIATIVE_CHOICES)
    async def initiatives(
        self,
        interaction: discord.Interaction,
        group: str,
        country: str | None = None,
        kind: str | None = None,
    ) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group, include_archived=True)
        entries = await self.bot.services.working_groups.initiatives(
            found.id, self.actor(interaction), lang, country=_blank(country), kind=kind
        )
        filters = " · ".join(
            part
            for part in (
                limits.excerpt(country, 40) if _blank(country) else "",
                self.bot.t(lang, f"working_groups.initiative.kind.{kind}") if kind else "",
            )
            if part
        ) or self.bot.t(lang, "working_groups.initiative.all")
        await reply(
            interaction, embed=_render.initiatives_embed(self.bot.catalog, lang, found, entries, filters)
        )

    @CommandText("wg.export").command(wg)
    @CommandText("wg.export").options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def export(self, interaction: discord.Interaction, group: str) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._group(interaction, group, include_archived=True)
        group_row, entries = await self.bot.services.working_groups.export_initiatives(
            found.id, self.actor(interaction), lang
        )
        csv_text = _render.initiatives_csv(entries)
        markdown = _render.initiatives_markdown(self.bot.catalog, lang, group_row, entries)
        files = [
            discord.File(
                io.BytesIO(csv_text.encode("utf-8-sig")), filename=f"{group_row.key}-initiatives.csv"
            ),
            discord.File(io.BytesIO(markdown.encode("utf-8")), filename=f"{group_row.key}-initiatives.md"),
        ]
        await interaction.response.send_message(
            self.bot.t(
                lang, "working_groups.initiative.exported", count=len(entries), group=group_row.name.get(lang)
            ),
            files=files,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


def _texts(lang: str, value: str | None) -> Texts:
    return Texts({lang: value.strip()} if value and value.strip() else {})


# Kept for the smoke test and docs: the persistent custom_id templates this cog owns.
PERSISTENT_ITEMS: Final = (ToggleButton, JoinDecisionButton, InitiativeDecisionButton)


async def setup(bot: WimBot) -> None:
    await bot.add_cog(WorkingGroups(bot))
    bot.add_dynamic_items(*PERSISTENT_ITEMS)
