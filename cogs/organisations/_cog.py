"""The ``Organisations`` cog: the /org commands and the click on a claim's Approve/Decline."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from bot import countries, validation
from bot.core.checks import moderator_only
from bot.core.countries import country_choices
from bot.core.paginator import Paginator
from bot.core.replies import reply
from bot.core.strings import CommandText, cmd_str
from bot.errors import UserFacingError
from bot.i18n import LANGUAGES
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, clip
from bot.services.organisations import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    STANDINGS,
    OrganisationChanges,
    OrganisationDraft,
    OrganisationService,
)
from cogs.organisations import _render
from cogs.organisations._handlers import DirectoryHandlers
from cogs.organisations._views import ClaimButton, claim_buttons

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

REGION_CHOICES: Final = countries.SUBREGIONS
# Client-side limits of the string options, so Discord tells the member before they send; the service
# checks again (and is what the tests of bad input reach).
REF_MAX: Final = 100  # an autocomplete value, or (part of) a name
DAY_MAX: Final = 32  # "YYYY-MM-DD" with room for stray spaces
Name = app_commands.Range[str, 1, MAX_NAME_LENGTH]
CountryRef = app_commands.Range[str, 1, REF_MAX]
OrgRef = app_commands.Range[str, 1, REF_MAX]
Url = app_commands.Range[str, 1, validation.MAX_URL_LENGTH]
Description = app_commands.Range[str, 1, MAX_DESCRIPTION_LENGTH]
Day = app_commands.Range[str, 1, DAY_MAX]
ORG = CommandText("org")
ADD = CommandText("org.add")
EDIT = CommandText("org.edit")
REMOVE = CommandText("org.remove")
VERIFY = CommandText("org.verify")
UNVERIFY = CommandText("org.unverify")
LIST = CommandText("org.list")
INFO = CommandText("org.info")
JOIN = CommandText("org.join")
LEAVE = CommandText("org.leave")
ME = CommandText("org.me")
EXPORT = CommandText("org.export")
HISTORY = CommandText("org.history")


def _choices(prefix: str, values: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=cmd_str(f"{prefix}.{value}"), value=value) for value in values]


STANDING_CHOICES = _choices("cmd.org.standing", STANDINGS)
LANGUAGE_CHOICES = _choices("cmd.org.languages", LANGUAGES)
REGION_OPTION_CHOICES = _choices("cmd.org.regions", REGION_CHOICES)
EDIT_REGION_CHOICES = _choices("cmd.org.regions", ("auto", *REGION_CHOICES))


class Organisations(commands.Cog):
    # /org mixes member commands (list, info, join...) and moderator ones: moderator_only() enforces,
    # since Discord's default_permissions applies to whole top-level commands only.
    org = ORG.group(guild_only=True)

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot
        self.handlers = DirectoryHandlers(bot)
        self._seeded_guilds: set[int] = set()

    @property
    def service(self) -> OrganisationService:
        return self.bot.services.organisations

    @property
    def modlog_lang(self) -> str:
        """The claim posts are in mod-log: they speak its language (``channel_languages``)."""
        return self.handlers.lang

    # --- life cycle ------------------------------------------------------------------------------

    async def cog_load(self) -> None:
        self.bot.services.timers.register_all(self.handlers.table())

    async def cog_unload(self) -> None:
        self.bot.services.timers.unregister_all(self.handlers.table())

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Seed the organisations listed in config.yml once per guild (idempotent in the service)."""
        seeds = self.bot.config.directory.organisations
        for guild_id in self.bot.config.guild_ids:
            if guild_id in self._seeded_guilds or self.bot.get_guild(guild_id) is None:
                continue
            self._seeded_guilds.add(guild_id)
            if not seeds:
                continue
            try:
                result = await self.service.seed(guild_id, seeds)
            except Exception:
                log.exception("Seeding the configured organisations into guild %s failed", guild_id)
                continue
            for key, reason in result.skipped.items():
                log.warning(
                    "Configured organisation %r not seeded in guild %s: %s taken", key, guild_id, reason
                )

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        await self.handlers.on_member_update(before, after)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        if payload.guild_id in self.bot.config.guild_ids:
            await self.service.forget_member(payload.guild_id, payload.user.id)

    # --- helpers -----------------------------------------------------------------------------------

    def _guild_id(self, interaction: discord.Interaction) -> int:
        if interaction.guild_id is None:
            raise UserFacingError("orgs.errors.guild_only")
        return interaction.guild_id

    def _member(
        self, interaction: discord.Interaction, member: discord.Member | discord.User
    ) -> discord.Member:
        if member.bot:
            raise UserFacingError("orgs.errors.bot_member")
        if not isinstance(member, discord.Member) or member.guild.id != self._guild_id(interaction):
            raise UserFacingError("orgs.errors.not_member")
        return member

    def _lang(self, interaction: discord.Interaction) -> str:
        return self.bot.lang_for(interaction)

    async def org_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._org_choices(interaction, current, include_archived=False)

    async def any_org_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Removed organisations too (their history stays readable)."""
        return await self._org_choices(interaction, current, include_archived=True)

    async def _org_choices(
        self, interaction: discord.Interaction, current: str, *, include_archived: bool
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        lang = self._lang(interaction)
        found = await self.service.search(
            interaction.guild_id, current, limit=AUTOCOMPLETE_CHOICES, include_archived=include_archived
        )
        choices = []
        for o in found:
            label = f"{o.name} · {countries.country_name(o.country, lang)}"
            if not o.active:
                label = self.bot.t(lang, "orgs.ui.archived_label", label=label)
            choices.append(app_commands.Choice(name=clip(label, CHOICE_NAME), value=str(o.id)))
        return choices

    async def country_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return country_choices(current, self._lang(interaction))

    # --- moderators: the directory itself --------------------------------------------------------------

    @ADD.command(org)
    @ADD.options(
        "name",
        "country",
        "website",
        "region",
        "description",
        "description_language",
        "linkedin",
        "joined",
    )
    @app_commands.choices(region=REGION_OPTION_CHOICES, description_language=LANGUAGE_CHOICES)
    @app_commands.autocomplete(country=country_autocomplete)
    @moderator_only()
    async def add(
        self,
        interaction: discord.Interaction,
        name: Name,
        country: CountryRef,
        website: Url,
        region: str | None = None,
        description: Description | None = None,
        description_language: str | None = None,
        linkedin: Url | None = None,
        joined: Day | None = None,
    ) -> None:
        lang = self._lang(interaction)
        organisation = await self.service.add(
            self._guild_id(interaction),
            interaction.user.id,
            OrganisationDraft(
                name=name,
                country=country,
                website=website,
                region=region,
                linkedin=linkedin,
                description=description,
                description_language=description_language or lang,
                joined=joined,
            ),
        )
        await reply(
            interaction,
            self.bot.t(
                lang,
                "orgs.ui.add.done",
                name=organisation.name,
                country=countries.country_name(organisation.country, lang),
                region=_render.region_name(self.bot.catalog, lang, organisation.region),
            ),
        )

    @EDIT.command(org)
    @EDIT.options(
        "org",
        "name",
        "country",
        "region",
        "website",
        "linkedin",
        "description",
        "description_language",
        "joined",
    )
    @app_commands.choices(region=EDIT_REGION_CHOICES, description_language=LANGUAGE_CHOICES)
    @app_commands.autocomplete(org=org_autocomplete, country=country_autocomplete)
    @moderator_only()
    async def edit(
        self,
        interaction: discord.Interaction,
        org: OrgRef,
        name: Name | None = None,
        country: CountryRef | None = None,
        region: str | None = None,
        website: Url | None = None,
        linkedin: Url | None = None,
        description: Description | None = None,
        description_language: str | None = None,
        joined: Day | None = None,
    ) -> None:
        lang = self._lang(interaction)
        guild_id = self._guild_id(interaction)
        organisation = await self.service.resolve(guild_id, org)
        edited = await self.service.edit(
            guild_id,
            organisation.id,
            interaction.user.id,
            OrganisationChanges(
                name=name,
                country=country,
                region=region,
                website=website,
                linkedin=linkedin,
                description=description,
                description_language=description_language or lang,
                joined=joined,
            ),
        )
        changed = await self.service.history(guild_id, edited.id, limit=1)
        fields = _render.field_list(self.bot.catalog, lang, changed.items[0].details.get("changes", {}))
        await reply(interaction, self.bot.t(lang, "orgs.ui.edit.done", name=edited.name, fields=fields))

    @REMOVE.command(org)
    @REMOVE.options("org")
    @app_commands.autocomplete(org=org_autocomplete)
    @moderator_only()
    async def remove(self, interaction: discord.Interaction, org: OrgRef) -> None:
        lang = self._lang(interaction)
        guild_id = self._guild_id(interaction)
        organisation = await self.service.resolve(guild_id, org)
        result = await self.service.remove(guild_id, organisation.id, interaction.user.id)
        await reply(
            interaction,
            self.bot.t(
                lang,
                "orgs.ui.remove.done",
                name=result.organisation.name,
                unlinked=len(result.unlinked),
                cancelled=len(result.cancelled_claims),
            ),
        )

    @VERIFY.command(org)
    @VERIFY.options("member", "org", "standing")
    @app_commands.choices(standing=STANDING_CHOICES)
    @app_commands.autocomplete(org=org_autocomplete)
    @moderator_only()
    async def verify(
        self,
        interaction: discord.Interaction,
        member: discord.Member | discord.User,
        org: OrgRef,
        standing: str,
    ) -> None:
        lang = self._lang(interaction)
        guild_id = self._guild_id(interaction)
        target = self._member(interaction, member)
        organisation = await self.service.resolve(guild_id, org)
        result = await self.service.verify(
            guild_id, organisation.id, target.id, standing, interaction.user.id
        )
        catalog = self.bot.catalog
        params = {
            "user": target.mention,
            "name": result.organisation.name,
            "standing": _render.standing_name(catalog, lang, result.link.standing),
        }
        if result.previous is None:
            text = self.bot.t(lang, "orgs.ui.verify.done", **params)
        else:
            previous = _render.standing_name(catalog, lang, result.previous.standing)
            text = self.bot.t(lang, "orgs.ui.verify.changed", previous=previous, **params)
        await reply(interaction, text)

    @UNVERIFY.command(org)
    @UNVERIFY.options("member")
    @moderator_only()
    async def unverify(self, interaction: discord.Interaction, member: discord.Member | discord.User) -> None:
        lang = self._lang(interaction)
        guild_id = self._guild_id(interaction)
        link, organisation = await self.service.unverify(guild_id, member.id, interaction.user.id)
        await reply(
            interaction,
            self.bot.t(
                lang,
                "orgs.ui.unverify.done",
                user=member.mention,
                name=organisation.name,
                standing=_render.standing_name(self.bot.catalog, lang, link.standing),
            ),
        )

    @EXPORT.command(org)
    @moderator_only()
    async def export(self, interaction: discord.Interaction) -> None:
        lang = self._lang(interaction)
        guild_id = self._guild_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        organisations, counts = await self.service.export(guild_id)
        catalog = self.bot.catalog
        csv_text = _render.export_csv(catalog, lang, organisations, counts)
        markdown = _render.export_markdown(catalog, lang, organisations, self.bot.clock.now().date())
        # matplotlib is CPU-bound: off the event loop, so the gateway and other members are not kept waiting.
        chart = await asyncio.to_thread(_render.export_chart, catalog, lang, organisations)
        active = [o for o in organisations if o.active]
        files = [
            discord.File(io.BytesIO(csv_text.encode("utf-8-sig")), filename="wim-organisations.csv"),
            discord.File(io.BytesIO(markdown.encode("utf-8")), filename="wim-organisations.md"),
            discord.File(io.BytesIO(chart), filename="wim-organisations-by-region.png"),
        ]
        await interaction.followup.send(
            self.bot.t(
                lang, "orgs.ui.export.done", count=len(active), regions=len({o.region for o in active})
            ),
            files=files,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @HISTORY.command(org)
    @HISTORY.options("org")
    @app_commands.autocomplete(org=any_org_autocomplete)
    @moderator_only()
    async def history(self, interaction: discord.Interaction, org: OrgRef) -> None:
        lang = self._lang(interaction)
        guild_id = self._guild_id(interaction)
        organisation = await self.service.resolve(guild_id, org, include_archived=True)
        size = _render.HISTORY_PAGE_SIZE
        first = await self.service.history(guild_id, organisation.id, limit=size)
        pages = _render.pages(first.total, size)
        # The first page, already read, serves the first answer only: the paginator does not keep it
        # alive for its whole timeout (a click back to page 0 reads it again).
        unread = [first]

        async def render(page: int) -> discord.Embed:
            found = (
                unread.pop()
                if page == 0 and unread
                else await self.service.history(guild_id, organisation.id, limit=size, offset=page * size)
            )
            return _render.history_embed(self.bot.catalog, lang, found, page=page)

        await Paginator.send(interaction, self.bot.catalog, lang, render, pages)

    # --- everyone: reading the directory ------------------------------------------------------------

    @LIST.command(org)
    @LIST.options("region", "country")
    @app_commands.choices(region=REGION_OPTION_CHOICES)
    @app_commands.autocomplete(country=country_autocomplete)
    async def list_(
        self, interaction: discord.Interaction, region: str | None = None, country: CountryRef | None = None
    ) -> None:
        lang = self._lang(interaction)
        guild_id = self._guild_id(interaction)
        size = _render.LIST_PAGE_SIZE
        first = await self.service.list_page(guild_id, region=region, country=country, limit=size)
        region_code = None if region is None else countries.region_code(region)
        country_code = None if country is None else countries.country_code(country)
        pages = _render.pages(first.total, size)
        unread = [first]  # page 0 serves the first answer only (as in the history above)

        async def render(page: int) -> discord.Embed:
            found = (
                unread.pop()
                if page == 0 and unread
                else await self.service.list_page(
                    guild_id, region=region, country=country, limit=size, offset=page * size
                )
            )
            return _render.list_embed(
                self.bot.catalog, lang, found, page=page, region=region_code, country=country_code
            )

        await Paginator.send(interaction, self.bot.catalog, lang, render, pages)

    @INFO.command(org)
    @INFO.options("org")
    @app_commands.autocomplete(org=org_autocomplete)
    async def info(self, interaction: discord.Interaction, org: OrgRef) -> None:
        guild_id = self._guild_id(interaction)
        organisation = await self.service.resolve(guild_id, org)
        card = await self.service.card(guild_id, organisation.id)
        await reply(interaction, embed=_render.card_embed(self.bot.catalog, self._lang(interaction), card))

    @ME.command(org)
    async def me(self, interaction: discord.Interaction) -> None:
        lang = self._lang(interaction)
        standing = await self.service.standing(self._guild_id(interaction), interaction.user.id)
        catalog = self.bot.catalog
        if standing.link is not None and standing.organisation is not None:
            text = self.bot.t(
                lang,
                "orgs.ui.me.linked",
                name=discord.utils.escape_markdown(standing.organisation.name),
                country=countries.country_name(standing.organisation.country, lang),
                standing=_render.standing_name(catalog, lang, standing.link.standing),
                when=discord.utils.format_dt(standing.link.verified_at, "D"),
            )
        elif standing.pending is not None and standing.pending_organisation is not None:
            text = self.bot.t(
                lang,
                "orgs.ui.me.pending",
                name=discord.utils.escape_markdown(standing.pending_organisation.name),
                standing=_render.standing_name(catalog, lang, standing.pending.standing),
                when=discord.utils.format_dt(standing.pending.created_at, "R"),
            )
        else:
            text = self.bot.t(lang, "orgs.ui.me.none")
        await reply(interaction, text)

    # --- everyone: claims -----------------------------------------------------------------------------

    @JOIN.command(org)
    @JOIN.options("org", "standing")
    @app_commands.choices(standing=STANDING_CHOICES)
    @app_commands.autocomplete(org=org_autocomplete)
    async def join(self, interaction: discord.Interaction, org: OrgRef, standing: str = "member") -> None:
        lang = self._lang(interaction)
        guild_id = self._guild_id(interaction)
        organisation = await self.service.resolve(guild_id, org)
        claim, organisation = await self.service.claim(
            guild_id, interaction.user.id, organisation.id, standing, lang
        )
        await reply(
            interaction,
            self.bot.t(
                lang,
                "orgs.ui.join.done",
                name=organisation.name,
                standing=_render.standing_name(self.bot.catalog, lang, claim.standing),
            ),
        )

    @LEAVE.command(org)
    async def leave(self, interaction: discord.Interaction) -> None:
        lang = self._lang(interaction)
        result = await self.service.leave(self._guild_id(interaction), interaction.user.id)
        key = "orgs.ui.leave.left" if result.left is not None else "orgs.ui.leave.withdrawn"
        await reply(interaction, self.bot.t(lang, key, name=result.organisation.name))

    async def decide(self, interaction: discord.Interaction, claim_id: int, *, approve: bool) -> None:
        """A click on Approve/Decline in mod-log, from a moderator (``ClaimButton`` checked). The first
        decision counts; a later click (a double click, a second moderator) is told what was decided,
        and the post is brought up to date."""
        lang = self._lang(interaction)
        guild_id = self._guild_id(interaction)
        decision = await self.service.decide(guild_id, claim_id, interaction.user.id, approve=approve)
        catalog = self.bot.catalog
        post = _render.claim_embed(catalog, self.modlog_lang, decision.claim, decision.organisation)
        if not decision.decided_now:
            state = _render.claim_state(catalog, lang, decision.claim)
            await reply(interaction, self.bot.t(lang, "orgs.ui.claim.already", state=state))
            if interaction.message is not None and decision.claim.status != "pending":
                await self.handlers.edit_quietly(interaction.message, claim_id, post)
            return
        decided = claim_buttons(catalog, self.modlog_lang, claim_id, decided=True)
        await interaction.response.edit_message(embed=post, view=decided)
        claim = decision.claim
        key = "orgs.ui.claim.approved_reply" if approve else "orgs.ui.claim.declined_reply"
        await reply(
            interaction,
            self.bot.t(
                lang,
                key,
                user=f"<@{claim.user_id}>",
                name=decision.organisation.name,
                standing=_render.standing_name(catalog, lang, claim.standing),
            ),
        )


PERSISTENT_ITEMS: Final = (ClaimButton,)
