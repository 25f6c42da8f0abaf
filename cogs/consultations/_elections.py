"""Elections of Steering Committee officers: /poll election, /poll nominate, /poll extend, and the
entry points of the nominee's Accept / Decline and the moderators' Extend.

The commands join the cog's /poll group (``bot.core.subcommands``): an election is a consultation
of the WIM organisations whose options are the accepted candidates. The service decides everything
(who may nominate whom, how many, the deadlines); this module parses, checks what only Discord
knows (the channel, the member's zone) and renders.

* ``/poll election`` (moderators): the election and its call for nominations in this channel.
* ``/poll nominate`` (a verified representative of a WIM organisation): one of its verified leaders;
  the nominee gets a DM with Accept / Decline (``election.nomination``, run at once).
* ``/poll extend`` (moderators), or the Extend button under the mod-log notice of an election short
  of candidates: nominations reopen until the new deadline.

At the close of nominations the ranked ballot is posted by the poll machinery; its results (every
round, the quota, transfer and tie rules) are posted at the close and in /poll export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, cast

import discord
from discord import app_commands

from bot.core.channels import ensure_can_post, post_language
from bot.core.checks import moderator_only
from bot.core.replies import reply
from bot.core.strings import CommandText, language_choices
from bot.core.subcommands import subcommand
from bot.errors import UserFacingError
from bot.limits import CHOICE_NAME, clip
from bot.services.consultations import (
    ELECTION_ANNOUNCE,
    ELECTION_NOMINATION,
    MAX_QUESTION_LENGTH,
    ConsultationService,
    Election,
    ElectionDraft,
)
from bot.services.consultations.model import MAX_NOMINATIONS, MAX_SEATS
from cogs.consultations import _render
from cogs.consultations._views import CLOSES_TEXT_MAX, extend_modal, nomination_view

if TYPE_CHECKING:
    from bot.core.bot import WimBot
    from cogs.consultations._cog import Consultations

ELECTION = CommandText("poll.election")
NOMINATE = CommandText("poll.nominate")
EXTEND = CommandText("poll.extend")

#: An autocomplete value, or part of a title.
ELECTION_REF_MAX: Final = 100
#: Elections a member may nominate in; and those moderators may extend (``short``: closed with too
#: few candidates).
NOMINATING: Final = ("nominating",)
EXTENDABLE: Final = ("nominating", "short")

Title = app_commands.Range[str, 1, MAX_QUESTION_LENGTH]
Seats = app_commands.Range[int, 1, MAX_SEATS]
MaxNominations = app_commands.Range[int, 1, MAX_NOMINATIONS]
Closes = app_commands.Range[str, 1, CLOSES_TEXT_MAX]
ElectionRef = app_commands.Range[str, 1, ELECTION_REF_MAX]


async def _choices(
    interaction: discord.Interaction, current: str, statuses: tuple[str, ...]
) -> list[app_commands.Choice[str]]:
    if interaction.guild is None:
        return []
    bot = cast("WimBot", interaction.client)  # discord.py types it Client
    found = await bot.services.consultations.elections.search(
        interaction.guild.id, current[:ELECTION_REF_MAX], statuses=statuses, limit=25
    )
    choices = []
    for election in found:
        suffix = f" · #{election.id}"
        name = clip(election.title, CHOICE_NAME - len(suffix)) + suffix
        choices.append(app_commands.Choice(name=name[:CHOICE_NAME], value=str(election.id)))
    return choices


async def nominating_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return await _choices(interaction, current, NOMINATING)


async def extendable_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return await _choices(interaction, current, EXTENDABLE)


class ElectionCommands:
    """/poll election, nominate, extend (added to /poll by the cog, in this order) and the clicks."""

    def __init__(self, cog: Consultations) -> None:
        self.cog = cog
        self.bot = cog.bot

    @property
    def service(self) -> ConsultationService:
        return self.bot.services.consultations

    async def _election(
        self, interaction: discord.Interaction, value: str, statuses: tuple[str, ...]
    ) -> Election:
        """The election an ``election`` option names: the autocomplete value, or typed text matching
        the title of exactly one election in ``statuses``."""
        guild = self.cog.guild_of(interaction)
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 18:
            return await self.service.elections.get(int(text), guild_id=guild.id)
        found = (
            await self.service.elections.search(guild.id, text, statuses=statuses, limit=2) if text else []
        )
        if len(found) != 1:
            raise UserFacingError("consultations.errors.unknown_election")
        return found[0]

    # --- /poll election ----------------------------------------------------------------------------

    @subcommand(ELECTION)
    @ELECTION.options("title", "seats", "nominations", "voting", "max_nominations", "language")
    @app_commands.choices(language=language_choices())
    @moderator_only()
    async def election(
        self,
        interaction: discord.Interaction,
        title: Title,
        seats: Seats,
        nominations: Closes,
        voting: Closes,
        max_nominations: MaxNominations = 2,
        language: str | None = None,
    ) -> None:
        guild = self.cog.guild_of(interaction)
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("consultations_ui.errors.text_channel_only")
        # Before anything is written: the call for nominations and the ballot are posted here.
        ensure_can_post(channel)
        lang = self.bot.lang_for(interaction)
        draft = ElectionDraft(
            guild_id=guild.id,
            channel_id=channel.id,
            creator_id=interaction.user.id,
            title=title,
            seats=seats,
            nominations_close=nominations,
            voting_closes=voting,
            timezone=await self.cog.zone_of(interaction),
            max_nominations=max_nominations,
            language=post_language(self.bot.config, channel, language),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        created = await self.service.elections.create(draft)
        posted = await self.bot.services.timers.run_now(ELECTION_ANNOUNCE, election_id=created.id)
        await reply(interaction, _render.election_created(self.bot.catalog, lang, created, posted))

    # --- /poll nominate ----------------------------------------------------------------------------

    @subcommand(NOMINATE)
    @NOMINATE.options("election", "member")
    @app_commands.autocomplete(election=nominating_autocomplete)
    async def nominate(
        self, interaction: discord.Interaction, election: ElectionRef, member: discord.Member
    ) -> None:
        guild = self.cog.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        found = await self._election(interaction, election, NOMINATING)
        await interaction.response.defer(ephemeral=True, thinking=True)
        nomination = await self.service.elections.nominate(
            found.id, interaction.user.id, member.id, guild_id=guild.id
        )
        # The outbox: the nomination and its DM's timer committed together; the DM goes now.
        await self.bot.services.timers.run_now(ELECTION_NOMINATION, nomination_id=nomination.id)
        unreachable = await self.service.elections.awaiting_retry(nomination.id)
        await reply(
            interaction,
            _render.nominated_reply(
                self.bot.catalog,
                lang,
                found,
                member.id,
                retry_closes=self.bot.discord_time(found.nominations_close_at) if unreachable else None,
            ),
        )

    # --- /poll extend ------------------------------------------------------------------------------

    @subcommand(EXTEND)
    @EXTEND.options("election", "duration")
    @app_commands.autocomplete(election=extendable_autocomplete)
    @moderator_only()
    async def extend(self, interaction: discord.Interaction, election: ElectionRef, duration: Closes) -> None:
        found = await self._election(interaction, election, EXTENDABLE)
        await self._extend(interaction, found.id, duration)

    async def _extend(self, interaction: discord.Interaction, election_id: int, duration: str) -> None:
        guild = self.cog.guild_of(interaction)
        lang = self.bot.lang_for(interaction)
        extended = await self.service.elections.extend(
            election_id, duration, await self.cog.zone_of(interaction), guild_id=guild.id
        )
        await reply(interaction, _render.election_extended(self.bot.catalog, lang, extended))

    # --- the buttons' entry points -----------------------------------------------------------------

    async def open_extend(self, interaction: discord.Interaction, election_id: int) -> None:
        """The Extend button under the mod-log notice: a form for the new close of nominations."""
        lang = self.bot.lang_for(interaction)
        await self.service.elections.get(election_id, guild_id=self.cog.guild_of(interaction).id)

        async def submit(answer: discord.Interaction, typed: str) -> None:
            await self._extend(answer, election_id, typed)

        await interaction.response.send_modal(extend_modal(self.bot.catalog, lang, submit))

    async def answer(self, interaction: discord.Interaction, nomination_id: int, *, accept: bool) -> None:
        """The nominee's Accept / Decline in their DM: decided once; a later click learns what was
        decided. The DM keeps its text, with the answer below and the buttons disabled."""
        lang = self.bot.lang_for(interaction)
        answer = await self.service.elections.answer(nomination_id, interaction.user.id, accept=accept)
        outcome = _render.nomination_answered(self.bot.catalog, lang, answer)
        if not answer.answered_now:
            await reply(interaction, outcome)
            return
        before = interaction.message.content if interaction.message is not None else ""
        await interaction.response.edit_message(
            content=clip(f"{before}\n\n{outcome}" if before else outcome, 2000),
            view=nomination_view(self.bot.catalog, lang, nomination_id, disabled=True),
            allowed_mentions=discord.AllowedMentions.none(),
        )
