"""A group's work: /wg status, update, summary, search and report, and the /wg workplan,
/wg deliverable and /wg doc groups.

Coordinators (and moderators) change their group's work: the service checks who may. ``search``
is everyone's; ``report``, the progress of every group, is the moderators' (``moderator_only()``).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot import limits
from bot.core.checks import coordinator_or_moderator, moderator_only
from bot.core.replies import reply
from bot.core.strings import CommandText
from bot.core.subcommands import subcommand
from bot.errors import NotFound
from bot.services.working_groups import Deliverable, WorkplanItem
from cogs.working_groups import _render
from cogs.working_groups._autocomplete import (
    deliverable_autocomplete,
    document_autocomplete,
    event_autocomplete,
    group_autocomplete,
    item_autocomplete,
)
from cogs.working_groups._options import KIND_CHOICES, STATUS_CHOICES, blank, parse_id
from cogs.working_groups._views import SummaryModal

if TYPE_CHECKING:
    from bot.core.bot import WimBot
    from cogs.working_groups._cog import WorkingGroups

STATUS = CommandText("wg.status")
UPDATE = CommandText("wg.update")
SUMMARY = CommandText("wg.summary")
SEARCH = CommandText("wg.search")
REPORT = CommandText("wg.report")
WORKPLAN = CommandText("wg.workplan")
WORKPLAN_ADD = CommandText("wg.workplan.add")
WORKPLAN_UPDATE = CommandText("wg.workplan.update")
WORKPLAN_REMOVE = CommandText("wg.workplan.remove")
DELIVERABLE = CommandText("wg.deliverable")
DELIVERABLE_ADD = CommandText("wg.deliverable.add")
DELIVERABLE_UPDATE = CommandText("wg.deliverable.update")
DELIVERABLE_REMOVE = CommandText("wg.deliverable.remove")
DOC = CommandText("wg.doc")
DOC_ADD = CommandText("wg.doc.add")
DOC_REMOVE = CommandText("wg.doc.remove")


class Work:
    """/wg status, update, summary, search, report (added to /wg by the cog, in this order)."""

    def __init__(self, cog: WorkingGroups) -> None:
        self.cog = cog
        self.bot = cog.bot

    @subcommand(STATUS)
    @STATUS.options("group", "status", "note")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.choices(status=STATUS_CHOICES)
    @coordinator_or_moderator()
    async def status(
        self, interaction: discord.Interaction, group: str, status: str, note: str | None = None
    ) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self.cog.find_group(interaction, group)
        updated = await self.bot.services.working_groups.work.set_status(
            found.id, status, blank(note), self.cog.actor(interaction), lang
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

    @subcommand(UPDATE)
    @UPDATE.options("group", "text")
    @app_commands.autocomplete(group=group_autocomplete)
    @coordinator_or_moderator()
    async def update(self, interaction: discord.Interaction, group: str, text: str) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self.cog.find_group(interaction, group)
        await self.bot.services.working_groups.posts.post_update(
            found.id, text, self.cog.actor(interaction), lang
        )
        await reply(
            interaction,
            self.bot.t(
                lang,
                "working_groups.update.posted",
                group=found.name.get(lang),
                channel=f"<#{found.channel_id}>",
            ),
        )

    @subcommand(SUMMARY)
    @SUMMARY.options("group", "event")
    @app_commands.autocomplete(group=group_autocomplete, event=event_autocomplete)
    @coordinator_or_moderator()
    async def summary(self, interaction: discord.Interaction, group: str, event: str | None = None) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self.cog.find_group(interaction, group)
        service = self.bot.services.working_groups
        actor = self.cog.actor(interaction)
        await service.access.ensure_can_manage(found, actor, lang)
        occurrence_id: int | None = None
        if blank(event) is not None:
            occurrence_id = parse_id(str(event), "working_groups.errors.unknown_event")
            occurrence = await self.bot.services.events.get_occurrence(occurrence_id, include_cancelled=True)
            if occurrence.guild_id != found.guild_id:
                raise NotFound("working_groups.errors.unknown_event")

        async def submitted(modal_interaction: discord.Interaction, title: str, body: str) -> None:
            await service.posts.post_summary(found.id, title, body, actor, lang, occurrence_id=occurrence_id)
            await reply(
                modal_interaction,
                self.bot.t(
                    lang, "working_groups.summary.posted", group=found.name.get(lang), length=len(body)
                ),
            )

        await interaction.response.send_modal(
            SummaryModal(self.bot.catalog, lang, found.name.get(lang), submitted)
        )

    @subcommand(SEARCH)
    @SEARCH.options("query", "group")
    @app_commands.autocomplete(group=group_autocomplete)
    async def search(self, interaction: discord.Interaction, query: str, group: str | None = None) -> None:
        guild = self.cog.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        service = self.bot.services.working_groups
        group_id = (
            None
            if blank(group) is None
            else (await self.cog.find_group(interaction, str(group), include_archived=True)).id
        )
        hits = await service.search(guild.id, query, self.cog.actor(interaction), group_id=group_id)
        names = {hit.group_id: hit.group_name.get(lang) for hit in hits}
        await reply(
            interaction, embed=_render.search_embed(self.bot.catalog, lang, query, hits, names, guild.id)
        )

    @subcommand(REPORT)
    @moderator_only()
    async def report(self, interaction: discord.Interaction) -> None:
        guild = self.cog.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        lines = await self.bot.services.working_groups.stale.report(guild.id)
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


async def _reply_changed(
    interaction: discord.Interaction,
    bot: WimBot,
    key: str,
    item: WorkplanItem | Deliverable,
    *,
    with_status: bool = False,
) -> None:
    """What a coordinator is told after adding, changing or removing a workplan item or a deliverable:
    its id, its title in their language and, after a change, its status."""
    lang = bot.lang_for(interaction)
    values: dict[str, object] = {"id": item.id, "title": limits.excerpt(item.title.get(lang), 100)}
    if with_status:
        values["status"] = _render.status_label(bot.catalog, lang, item.status)
    await reply(interaction, bot.t(lang, key, **values))


class Workplan(app_commands.Group, name=WORKPLAN.name, description=WORKPLAN.description):
    """/wg workplan add|update|remove."""

    cog: WorkingGroups  # given by the cog's __init__ (this group is a class attribute of the cog)

    @WORKPLAN_ADD.command()
    @WORKPLAN_ADD.options("group", "title", "status")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.choices(status=STATUS_CHOICES)
    @coordinator_or_moderator()
    async def add(
        self, interaction: discord.Interaction, group: str, title: str, status: str = "not_started"
    ) -> None:
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        item = await bot.services.working_groups.work.workplan_add(
            found.id, title, status, cog.actor(interaction), lang
        )
        await _reply_changed(interaction, bot, "working_groups.workplan.added", item)

    @WORKPLAN_UPDATE.command()
    @WORKPLAN_UPDATE.options("group", "item", "status", "title")
    @app_commands.autocomplete(group=group_autocomplete, item=item_autocomplete)
    @app_commands.choices(status=STATUS_CHOICES)
    @coordinator_or_moderator()
    async def update(
        self,
        interaction: discord.Interaction,
        group: str,
        item: str,
        status: str | None = None,
        title: str | None = None,
    ) -> None:
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        item_id = parse_id(item, "working_groups.errors.unknown_item")
        updated = await bot.services.working_groups.work.workplan_update(
            found.id, item_id, cog.actor(interaction), lang, title=blank(title), status=status
        )
        await _reply_changed(interaction, bot, "working_groups.workplan.updated", updated, with_status=True)

    @WORKPLAN_REMOVE.command()
    @WORKPLAN_REMOVE.options("group", "item")
    @app_commands.autocomplete(group=group_autocomplete, item=item_autocomplete)
    @coordinator_or_moderator()
    async def remove(self, interaction: discord.Interaction, group: str, item: str) -> None:
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        removed = await bot.services.working_groups.work.workplan_remove(
            found.id, parse_id(item, "working_groups.errors.unknown_item"), cog.actor(interaction), lang
        )
        await _reply_changed(interaction, bot, "working_groups.workplan.removed", removed)


class Deliverables(app_commands.Group, name=DELIVERABLE.name, description=DELIVERABLE.description):
    """/wg deliverable add|update|remove."""

    cog: WorkingGroups  # given by the cog's __init__ (this group is a class attribute of the cog)

    @DELIVERABLE_ADD.command()
    @DELIVERABLE_ADD.options("group", "title", "kind", "due", "link")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.choices(kind=KIND_CHOICES)
    @coordinator_or_moderator()
    async def add(
        self,
        interaction: discord.Interaction,
        group: str,
        title: str,
        kind: str,
        due: str | None = None,
        link: str | None = None,
    ) -> None:
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        added = await bot.services.working_groups.work.deliverable_add(
            found.id,
            cog.actor(interaction),
            lang,
            title=title,
            kind=kind,
            due=blank(due),
            link=blank(link),
        )
        await _reply_changed(interaction, bot, "working_groups.deliverable.added", added)

    @DELIVERABLE_UPDATE.command()
    @DELIVERABLE_UPDATE.options("group", "deliverable", "status", "title", "kind", "due", "link")
    @app_commands.autocomplete(group=group_autocomplete, deliverable=deliverable_autocomplete)
    @app_commands.choices(status=STATUS_CHOICES, kind=KIND_CHOICES)
    @coordinator_or_moderator()
    async def update(
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
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        updated = await bot.services.working_groups.work.deliverable_update(
            found.id,
            parse_id(deliverable, "working_groups.errors.unknown_deliverable"),
            cog.actor(interaction),
            lang,
            title=blank(title),
            kind=kind,
            due=due,
            status=status,
            link=link,
        )
        await _reply_changed(
            interaction, bot, "working_groups.deliverable.updated", updated, with_status=True
        )

    @DELIVERABLE_REMOVE.command()
    @DELIVERABLE_REMOVE.options("group", "deliverable")
    @app_commands.autocomplete(group=group_autocomplete, deliverable=deliverable_autocomplete)
    @coordinator_or_moderator()
    async def remove(self, interaction: discord.Interaction, group: str, deliverable: str) -> None:
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        removed = await bot.services.working_groups.work.deliverable_remove(
            found.id,
            parse_id(deliverable, "working_groups.errors.unknown_deliverable"),
            cog.actor(interaction),
            lang,
        )
        await _reply_changed(interaction, bot, "working_groups.deliverable.removed", removed)


class Documents(app_commands.Group, name=DOC.name, description=DOC.description):
    """/wg doc add|remove."""

    cog: WorkingGroups  # given by the cog's __init__ (this group is a class attribute of the cog)

    @DOC_ADD.command()
    @DOC_ADD.options("group", "title", "url")
    @app_commands.autocomplete(group=group_autocomplete)
    @coordinator_or_moderator()
    async def add(self, interaction: discord.Interaction, group: str, title: str, url: str) -> None:
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        added = await bot.services.working_groups.posts.add_document(
            found.id, title, url, cog.actor(interaction), lang
        )
        await reply(
            interaction,
            bot.t(
                lang,
                "working_groups.doc.added",
                title=limits.excerpt(added.title, 100),
                group=found.name.get(lang),
            ),
        )

    @DOC_REMOVE.command()
    @DOC_REMOVE.options("group", "document")
    @app_commands.autocomplete(group=group_autocomplete, document=document_autocomplete)
    @coordinator_or_moderator()
    async def remove(self, interaction: discord.Interaction, group: str, document: str) -> None:
        cog, bot = self.cog, self.cog.bot
        lang = bot.lang_for(interaction)
        found = await cog.find_group(interaction, group)
        removed = await bot.services.working_groups.posts.remove_document(
            found.id,
            parse_id(document, "working_groups.errors.unknown_document"),
            cog.actor(interaction),
            lang,
        )
        await reply(
            interaction,
            bot.t(lang, "working_groups.doc.removed", title=limits.excerpt(removed.title, 100)),
        )
