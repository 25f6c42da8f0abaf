"""The ``Consultations`` cog: the /poll commands and the entry points of the poll's components.

Discord glue only: each command parses its options, checks what only Discord can know (the member's
roles, the channel, whether it is a working group's channel they coordinate), calls
``ConsultationService`` and renders. The service checks every input before writing and raises
``UserFacingError`` for what the member can fix; the tree's error handler shows it, ephemeral, in
the member's language.

A poll is posted where /poll create was used: moderators anywhere the bot can post, a working
group's coordinators in their own group's channel. Its public posts speak the poll's language (the
``language`` option), else the channel's, else the server's; replies speak the member's.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Final

import discord
import msgspec.structs
from discord import app_commands
from discord.ext import commands

from bot.core.channels import ensure_can_post, post_language
from bot.core.checks import coordinator_or_moderator, moderator_only
from bot.core.replies import reply
from bot.core.strings import CommandText, language_choices
from bot.core.subcommands import add_subcommands
from bot.errors import PermissionDenied, UserFacingError
from bot.limits import CHOICE_NAME, clip
from bot.services.consultations import (
    KINDS,
    MAX_OPTIONS,
    MAX_QUESTION_LENGTH,
    POLL_NUDGE,
    POLL_POST,
    POLL_REFRESH,
    POLL_RESULTS,
    RESULTS,
    VOTERS,
    ConsultationService,
    Poll,
    PollDraft,
)
from cogs.consultations import _chart, _render
from cogs.consultations._elections import ElectionCommands
from cogs.consultations._handlers import ElectionTimers, PollTimers
from cogs.consultations._views import (
    OPTIONS_TEXT_MAX,
    PERSISTENT_ITEMS,
    comment_modal,
    options_modal,
    ranking_view,
)

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

POLL = CommandText("poll")
CREATE = CommandText("poll.create")
RESULTS_CMD = CommandText("poll.results")
CLOSE = CommandText("poll.close")
LIST = CommandText("poll.list")
EXPORT = CommandText("poll.export")

CLOSES_MAX: Final = 40  # "2027-03-15 18:00", or "1sem 2j 6h", with room for stray spaces
QUORUM_MAX: Final = 10  # "100000" or "100%"
POLL_REF_MAX: Final = 100  # an autocomplete value, or part of a question

Question = app_commands.Range[str, 1, MAX_QUESTION_LENGTH]
Options = app_commands.Range[str, 0, OPTIONS_TEXT_MAX]
Closes = app_commands.Range[str, 1, CLOSES_MAX]
MaxChoices = app_commands.Range[int, 1, MAX_OPTIONS]
Quorum = app_commands.Range[str, 0, QUORUM_MAX]
PollRef = app_commands.Range[str, 1, POLL_REF_MAX]


def _role_ids(user: discord.Member | discord.User) -> list[int]:
    return [role.id for role in user.roles] if isinstance(user, discord.Member) else []


class Consultations(commands.Cog):
    # /poll holds member commands (results, list) beside moderators' ones: moderator_only() and the
    # coordinators' check enforce, docs/commands.md says who may use each.
    poll = POLL.group(guild_only=True)

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot
        self.handlers = PollTimers(bot)
        self.election_handlers = ElectionTimers(bot)
        # /poll election, nominate, extend (``_elections.py``), after the poll's own commands.
        self.elections = ElectionCommands(self)
        add_subcommands(self.poll, self.elections)

    # --- life cycle ----------------------------------------------------------------------------

    async def cog_load(self) -> None:
        self.bot.services.timers.register_all({**self.handlers.table(), **self.election_handlers.table()})

    async def cog_unload(self) -> None:
        self.bot.services.timers.unregister_all({**self.handlers.table(), **self.election_handlers.table()})

    # --- shared helpers ------------------------------------------------------------------------

    @property
    def service(self) -> ConsultationService:
        return self.bot.services.consultations

    def guild_of(self, interaction: discord.Interaction) -> discord.Guild:
        if interaction.guild is None:
            raise UserFacingError("errors.guild_only")
        return interaction.guild

    async def _poll_id(self, interaction: discord.Interaction, value: str) -> int:
        """The poll a ``poll`` option names: the autocomplete value, or typed text that matches the
        question of exactly one poll."""
        guild = self.guild_of(interaction)
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 18:
            return int(text)
        found = await self.service.search(guild.id, text, limit=2) if text else []
        if len(found) != 1:
            raise UserFacingError("consultations.errors.unknown_poll")
        return found[0].id

    async def _poll(self, interaction: discord.Interaction, value: str) -> Poll:
        return await self.service.get(
            await self._poll_id(interaction, value), guild_id=self.guild_of(interaction).id
        )

    async def zone_of(self, interaction: discord.Interaction) -> str:
        settings = await self.bot.services.members.get(self.guild_of(interaction).id, interaction.user.id)
        return settings.timezone or self.bot.config.timezone

    async def _may_create_here(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        """Moderators anywhere; a coordinator in the channel of a working group they coordinate."""
        if self.bot.is_moderator(interaction.user):
            return
        groups = self.bot.services.working_groups
        for group in await groups.groups(channel.guild.id):
            if group.channel_id == channel.id and interaction.user.id in await groups.coordinators(group.id):
                return
        raise PermissionDenied("consultations_ui.errors.not_group_channel")

    # --- autocomplete ------------------------------------------------------------------------------

    async def poll_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        lang = self.bot.lang_for(interaction)
        found = await self.service.search(interaction.guild.id, current[:POLL_REF_MAX], limit=25)
        choices = []
        for poll in found:
            state = "open" if poll.is_open else "closed"
            suffix = f" · #{poll.id} · {self.bot.t(lang, f'consultations_ui.autocomplete.{state}')}"
            name = clip(poll.question, CHOICE_NAME - len(suffix)) + suffix
            choices.append(app_commands.Choice(name=name[:CHOICE_NAME], value=str(poll.id)))
        return choices

    # --- /poll create ----------------------------------------------------------------------------

    @CREATE.command(poll)
    @CREATE.options(
        "question",
        "options",
        "closes",
        "kind",
        "max_choices",
        "voters",
        "audience",
        "anonymous",
        "results",
        "comments",
        "quorum",
        "language",
    )
    @app_commands.choices(
        kind=CREATE.choices(KINDS),
        voters=CREATE.choices(VOTERS),
        results=CREATE.choices(RESULTS),
        language=language_choices(),
    )
    @coordinator_or_moderator()
    async def create(
        self,
        interaction: discord.Interaction,
        question: Question,
        closes: Closes,
        options: Options | None = None,
        kind: str = "single",
        max_choices: MaxChoices | None = None,
        voters: str = "members",
        audience: discord.Role | None = None,
        anonymous: bool = False,
        results: str = "live",
        comments: bool = False,
        quorum: Quorum | None = None,
        language: str | None = None,
    ) -> None:
        guild = self.guild_of(interaction)
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("consultations_ui.errors.text_channel_only")
        await self._may_create_here(interaction, channel)
        # Before anything is written: a poll nobody can see posted is worse than no poll.
        ensure_can_post(channel)
        draft = PollDraft(
            guild_id=guild.id,
            channel_id=channel.id,
            creator_id=interaction.user.id,
            question=question,
            options=options or "",
            closes=closes,
            timezone=await self.zone_of(interaction),
            kind=kind,
            max_choices=max_choices,
            voters=voters,
            audience_role_id=None if audience is None or audience.is_default() else audience.id,
            anonymous=anonymous,
            results=results,
            comments=comments,
            quorum=quorum or None,
            language=post_language(self.bot.config, channel, language),
        )
        if options is None or not options.strip():
            lang = self.bot.lang_for(interaction)

            async def submit(answer: discord.Interaction, typed: str) -> None:
                await self._create(answer, msgspec.structs.replace(draft, options=typed))

            await interaction.response.send_modal(options_modal(self.bot.catalog, lang, submit))
            return
        await self._create(interaction, draft)

    async def _create(self, interaction: discord.Interaction, draft: PollDraft) -> None:
        lang = self.bot.lang_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        # The outbox: the poll, its options and its timers commit together; the post runs at once
        # here, and if Discord fails the timer retries and posts exactly once.
        poll = await self.service.create(draft)
        await self.bot.services.timers.run_now(POLL_POST, poll_id=poll.id)
        poll = await self.service.get(poll.id)
        url = _render.poll_url(poll)
        if url is not None:
            text = self.bot.t(lang, "consultations_ui.create.done", question=poll.question, url=url)
        else:
            text = self.bot.t(
                lang,
                "consultations_ui.create.pending",
                question=poll.question,
                channel=f"<#{poll.channel_id}>",
            )
        await reply(interaction, text)

    # --- /poll results, close, list, export ----------------------------------------------------------

    @RESULTS_CMD.command(poll)
    @RESULTS_CMD.options("poll")
    @app_commands.autocomplete(poll=poll_autocomplete)
    async def results(self, interaction: discord.Interaction, poll: PollRef) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._poll(interaction, poll)
        await interaction.response.defer(ephemeral=True, thinking=True)
        tally = await self.service.tally(
            found.id, viewer_is_moderator=self.bot.is_moderator(interaction.user), guild_id=found.guild_id
        )
        embed = _render.results_embed(self.bot.catalog, lang, tally)
        if tally.hidden:
            await reply(interaction, embed=embed)
            return
        name = _chart.filename(tally)
        png = await _chart.render_async(self.bot.catalog, lang, tally)
        embed.set_image(url=f"attachment://{name}")
        await reply(interaction, embed=embed, file=discord.File(io.BytesIO(png), filename=name))

    @CLOSE.command(poll)
    @CLOSE.options("poll")
    @app_commands.autocomplete(poll=poll_autocomplete)
    async def close(self, interaction: discord.Interaction, poll: PollRef) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._poll(interaction, poll)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.close(
            found.id,
            interaction.user.id,
            is_moderator=self.bot.is_moderator(interaction.user),
            guild_id=found.guild_id,
        )
        if not result.closed_now:
            await reply(
                interaction, self.bot.t(lang, "consultations_ui.close.already", question=found.question)
            )
            return
        timers = self.bot.services.timers
        await timers.run_now(POLL_RESULTS, poll_id=found.id)
        await timers.run_now(POLL_REFRESH, poll_id=found.id)
        text = self.bot.t(
            lang, "consultations_ui.close.done", question=found.question, channel=f"<#{found.channel_id}>"
        )
        await reply(interaction, text)

    @LIST.command(poll)
    async def list_(self, interaction: discord.Interaction) -> None:
        guild = self.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        states = await self.service.open_polls(guild.id, interaction.user.id, limit=25)
        await reply(interaction, embed=_render.list_embed(self.bot.catalog, lang, states))

    @EXPORT.command(poll)
    @EXPORT.options("poll")
    @app_commands.autocomplete(poll=poll_autocomplete)
    @moderator_only()
    async def export(self, interaction: discord.Interaction, poll: PollRef) -> None:
        lang = self.bot.lang_for(interaction)
        found = await self._poll(interaction, poll)
        await interaction.response.defer(ephemeral=True, thinking=True)
        exported = await self.service.export(found.id, guild_id=found.guild_id)
        csv_file = discord.File(io.BytesIO(exported.csv.encode("utf-8")), filename=f"poll-{found.id}.csv")
        key = "done_anonymous" if found.anonymous else "done"
        await reply(
            interaction,
            self.bot.t(lang, f"consultations_ui.export.{key}", question=found.question),
            file=csv_file,
        )
        name = _chart.filename(exported.tally)
        png = await _chart.render_async(self.bot.catalog, lang, exported.tally)
        await reply(
            interaction,
            self.bot.t(lang, "consultations_ui.export.chart", question=found.question),
            file=discord.File(io.BytesIO(png), filename=name),
        )

    # --- the components' entry points ----------------------------------------------------------------

    async def cast_vote(self, interaction: discord.Interaction, poll_id: int, positions: list[int]) -> None:
        """A click on a poll: record or replace the ballot (one database action) and confirm privately
        what is now recorded. The poll message's tally follows through its pending refresh."""
        guild = self.guild_of(interaction)
        receipt = await self.service.vote(
            poll_id, interaction.user.id, positions, _role_ids(interaction.user), guild_id=guild.id
        )
        lang = self.bot.lang_for(interaction)
        await reply(interaction, _render.receipt_text(self.bot.catalog, lang, receipt, interaction.user.id))

    async def open_ranking(self, interaction: discord.Interaction, poll_id: int) -> None:
        guild = self.guild_of(interaction)
        poll = await self.service.get(poll_id, guild_id=guild.id)
        if not poll.is_open:
            raise UserFacingError("consultations.errors.poll_closed", question=poll.question)
        lang = self.bot.lang_for(interaction)
        await interaction.response.send_message(
            _render.ranking_text(self.bot.catalog, lang, poll, ()),
            view=ranking_view(self.bot.catalog, lang, poll, ()),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def rank_step(
        self, interaction: discord.Interaction, poll_id: int, ranking: tuple[int, ...]
    ) -> None:
        """The voter's ranking so far, shown again with the next choice (nothing is recorded yet)."""
        poll = await self.service.get(poll_id, guild_id=self.guild_of(interaction).id)
        known = {o.position for o in poll.options}
        cleaned = tuple(dict.fromkeys(p for p in ranking if p in known))
        lang = self.bot.lang_for(interaction)
        await interaction.response.edit_message(
            content=_render.ranking_text(self.bot.catalog, lang, poll, cleaned),
            view=ranking_view(self.bot.catalog, lang, poll, cleaned),
        )

    async def confirm_ranking(
        self, interaction: discord.Interaction, poll_id: int, ranking: tuple[int, ...]
    ) -> None:
        guild = self.guild_of(interaction)
        receipt = await self.service.vote(
            poll_id, interaction.user.id, list(ranking), _role_ids(interaction.user), guild_id=guild.id
        )
        lang = self.bot.lang_for(interaction)
        await interaction.response.edit_message(
            content=_render.receipt_text(self.bot.catalog, lang, receipt, interaction.user.id), view=None
        )

    async def open_comment(self, interaction: discord.Interaction, poll_id: int) -> None:
        guild = self.guild_of(interaction)
        ballot = await self.service.my_ballot(poll_id, interaction.user.id, guild_id=guild.id)
        if ballot is None:
            raise UserFacingError("consultations_ui.errors.vote_first")
        lang = self.bot.lang_for(interaction)
        choices = list(ballot.choices)

        async def submit(answer: discord.Interaction, typed: str) -> None:
            receipt = await self.service.vote(
                poll_id, answer.user.id, choices, _role_ids(answer.user), guild_id=guild.id, comment=typed
            )
            await reply(answer, _render.receipt_text(self.bot.catalog, lang, receipt, answer.user.id))

        await interaction.response.send_modal(comment_modal(self.bot.catalog, lang, ballot.comment, submit))

    async def nudge(self, interaction: discord.Interaction, poll_id: int) -> None:
        """The moderators' Nudge: each unanswered WIM organisation not nudged today gets its
        representatives DMed (``poll.nudge`` timers, run at once)."""
        guild = self.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.service.nudge(poll_id, interaction.user.id, guild_id=guild.id)
        if result.nudged:
            await self.bot.services.timers.run_now(POLL_NUDGE, poll_id=poll_id)
        await reply(interaction, _render.nudge_reply(self.bot.catalog, lang, result))


__all__ = ["PERSISTENT_ITEMS", "Consultations"]
