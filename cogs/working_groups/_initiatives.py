"""A group's index of initiatives: /wg initiative add (a member proposes, through a modal), the
coordinators' Approve / Decline, /wg initiatives (the index) and /wg export (CSV and Markdown)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot import countries, limits
from bot.core.checks import coordinator_or_moderator
from bot.core.replies import reply
from bot.core.strings import CommandText
from bot.core.subcommands import subcommand
from bot.errors import UserFacingError
from cogs.working_groups import _render
from cogs.working_groups._autocomplete import country_autocomplete, group_autocomplete
from cogs.working_groups._options import INITIATIVE_CHOICES, blank
from cogs.working_groups._views import InitiativeModal, initiative_view

if TYPE_CHECKING:
    from cogs.working_groups._cog import WorkingGroups

INITIATIVE = CommandText("wg.initiative")
INITIATIVE_ADD = CommandText("wg.initiative.add")
INITIATIVES = CommandText("wg.initiatives")
EXPORT = CommandText("wg.export")


class Initiatives:
    """/wg initiatives, export (added to /wg by the cog, in this order) and the decision buttons."""

    def __init__(self, cog: WorkingGroups) -> None:
        self.cog = cog
        self.bot = cog.bot

    async def decide(self, interaction: discord.Interaction, initiative_id: int, approve: bool) -> None:
        """An Approve / Decline click on a proposed entry (the service checks the clicker may)."""
        lang = self.bot.lang_for(interaction)
        decided = await self.bot.services.working_groups.initiatives.decide(
            initiative_id, approve, self.cog.actor(interaction), lang
        )
        guild_lang = self.cog.guild_lang
        outcome = self.bot.t(
            guild_lang,
            "working_groups.initiative.approved_by" if approve else "working_groups.initiative.declined_by",
            title=limits.excerpt(decided.title, 100),
            coordinator=interaction.user.mention,
        )
        await interaction.response.edit_message(
            content=limits.clip(outcome, limits.MESSAGE_CONTENT),
            view=initiative_view(self.bot.catalog, guild_lang, initiative_id, disabled=True),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @subcommand(INITIATIVES)
    @INITIATIVES.options("group", "country", "kind")
    @app_commands.autocomplete(group=group_autocomplete, country=country_autocomplete)
    @app_commands.choices(kind=INITIATIVE_CHOICES)
    async def initiatives(
        self,
        interaction: discord.Interaction,
        group: str,
        country: str | None = None,
        kind: str | None = None,
    ) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self.cog.find_group(interaction, group, include_archived=True)
        entries = await self.bot.services.working_groups.initiatives.approved(
            found.id, self.cog.actor(interaction), lang, country=blank(country), kind=kind
        )
        entries_country = countries.country_code(country) if blank(country) else None
        filters = " · ".join(
            part
            for part in (
                countries.country_name(entries_country, lang) if entries_country else "",
                self.bot.t(lang, f"working_groups.initiative.kind.{kind}") if kind else "",
            )
            if part
        ) or self.bot.t(lang, "working_groups.initiative.all")
        await reply(
            interaction, embed=_render.initiatives_embed(self.bot.catalog, lang, found, entries, filters)
        )

    @subcommand(EXPORT)
    @EXPORT.options("group")
    @app_commands.autocomplete(group=group_autocomplete)
    @coordinator_or_moderator()
    async def export(self, interaction: discord.Interaction, group: str) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self.cog.find_group(interaction, group, include_archived=True)
        group_row, entries = await self.bot.services.working_groups.initiatives.export(
            found.id, self.cog.actor(interaction), lang
        )
        csv_text = _render.initiatives_csv(lang, entries)
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


class InitiativeGroup(app_commands.Group, name=INITIATIVE.name, description=INITIATIVE.description):
    """/wg initiative add."""

    cog: WorkingGroups  # given by the cog's __init__ (this group is a class attribute of the cog)

    @INITIATIVE_ADD.command()
    @INITIATIVE_ADD.options("group", "kind", "country")
    @app_commands.autocomplete(group=group_autocomplete, country=country_autocomplete)
    @app_commands.choices(kind=INITIATIVE_CHOICES)
    async def add(self, interaction: discord.Interaction, group: str, kind: str, country: str) -> None:
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        # Checked before the form opens, so an unknown country is said before the member writes the
        # description; the service checks it again.
        country_code = countries.country_code(country)
        service = bot.services.working_groups
        actor = cog.actor(interaction)
        member = found.role_id is not None and found.role_id in actor.role_ids
        if not member and not await service.access.can_manage(found, actor):
            raise UserFacingError("working_groups.errors.not_member_to_submit", group=found.name.get(lang))

        async def submitted(modal_interaction: discord.Interaction, values: dict[str, str]) -> None:
            await service.initiatives.submit(
                found.id,
                actor,
                lang,
                title=values["title"],
                organisation=values["organisation"],
                country=country_code,
                link=blank(values["link"]),
                description=values["description"],
                kind=kind,
            )
            await reply(
                modal_interaction,
                bot.t(lang, "working_groups.initiative.submitted", group=found.name.get(lang)),
            )

        modal = InitiativeModal(bot.catalog, lang, found.name.get(lang), submitted)
        await interaction.response.send_modal(modal)
