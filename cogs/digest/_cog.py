"""The ``DigestCog``: /digest preview, send, subscribe, unsubscribe, and the digest's timers."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.core.channels import ensure_can_post, jump_url
from bot.core.checks import moderator_only
from bot.core.replies import reply
from bot.core.strings import CommandText
from bot.errors import UserFacingError
from bot.services.digest import DIGEST_POST, DigestService
from bot.services.digest.sections import timestamp
from cogs.digest import _render
from cogs.digest._handlers import DigestHandlers

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

DIGEST = CommandText("digest")
PREVIEW = CommandText("digest.preview")
SEND = CommandText("digest.send")
SUBSCRIBE = CommandText("digest.subscribe")
UNSUBSCRIBE = CommandText("digest.unsubscribe")
NEWSLETTER = CommandText("digest.newsletter")


class DigestCog(commands.Cog, name="Digest"):
    digest = DIGEST.group(guild_only=True)

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot
        self.handlers = DigestHandlers(bot)
        self._armed: set[int] = set()

    @property
    def service(self) -> DigestService:
        return self.bot.services.digest

    # --- life cycle ------------------------------------------------------------------------------------

    async def cog_load(self) -> None:
        self.bot.services.timers.register_all(self.handlers.table())
        # Before the timers start, so a digest missed while the bot was down runs (or is skipped) at once.
        for guild_id in self.bot.config.guild_ids:
            await self.service.arm(guild_id)

    async def cog_unload(self) -> None:
        self.bot.services.timers.unregister_all(self.handlers.table())

    # --- helpers -----------------------------------------------------------------------------------------

    def _guild_id(self, interaction: discord.Interaction) -> int:
        if interaction.guild_id is None:
            raise UserFacingError("errors.guild_only")
        return interaction.guild_id

    # --- commands ------------------------------------------------------------------------------------------

    @PREVIEW.command(digest)
    async def preview(self, interaction: discord.Interaction) -> None:
        """The digest as it would be posted now, in the member's language, only for them."""
        guild_id = self._guild_id(interaction)
        lang = self.bot.lang_for(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        digest = await self.service.preview(guild_id, lang)
        for index, message in enumerate(digest.messages):
            await reply(
                interaction,
                self.bot.t(lang, "digest.preview.note") if index == 0 else None,
                embeds=_render.embeds(message),
                ephemeral=True,
            )

    @SEND.command(digest)
    @moderator_only()
    async def send(self, interaction: discord.Interaction) -> None:
        """This week's digest now; it counts as this week's, so the scheduled one does not follow."""
        guild_id = self._guild_id(interaction)
        lang = self.bot.lang_for(interaction)
        channel = self.handlers.digest_channel(guild_id)
        if channel is None:
            raise UserFacingError("digest.errors.no_channel", channel=self.bot.config.channels.digest)
        ensure_can_post(channel)  # before anything is written: nothing half-done for a bad channel
        await interaction.response.defer(ephemeral=True, thinking=True)
        week = await self.service.send_now(guild_id, interaction.user.id)
        posted = await self.bot.services.timers.run_now(DIGEST_POST, guild_id=guild_id, week=week)
        plan = await self.service.post_plan(guild_id, week, lang) if posted else None
        first = next((part.message_id for part in plan.parts if part.message_id), None) if plan else None
        if first is None:
            await reply(interaction, self.bot.t(lang, "digest.send.pending"))
            return
        link = jump_url(guild_id, channel.id, first)
        await reply(interaction, self.bot.t(lang, "digest.send.done", link=link))

    @SUBSCRIBE.command(digest)
    async def subscribe(self, interaction: discord.Interaction) -> None:
        guild_id = self._guild_id(interaction)
        lang = self.bot.lang_for(interaction)
        new = await self.service.subscribe(guild_id, interaction.user.id)
        when = timestamp(self.service.next_slot(), "F")
        await reply(
            interaction,
            self.bot.t(lang, "digest.subscribe.done" if new else "digest.subscribe.already", when=when),
        )

    @UNSUBSCRIBE.command(digest)
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        guild_id = self._guild_id(interaction)
        lang = self.bot.lang_for(interaction)
        removed = await self.service.unsubscribe(guild_id, interaction.user.id)
        await reply(
            interaction,
            self.bot.t(lang, "digest.unsubscribe.done" if removed else "digest.unsubscribe.already"),
        )

    @NEWSLETTER.command(digest)
    @NEWSLETTER.options("start", "end")
    @moderator_only()
    async def newsletter(
        self,
        interaction: discord.Interaction,
        start: discord.app_commands.Range[str, 1, 10],
        end: discord.app_commands.Range[str, 1, 10],
    ) -> None:
        """The bi-monthly newsletter's draft, as the command line makes it: Markdown and HTML files."""
        guild_id = self._guild_id(interaction)
        lang = self.bot.lang_for(interaction)
        service = self.bot.services.newsletter
        first, last = service.dates(start, end)  # a date it cannot read is told before anything is done
        await interaction.response.defer(ephemeral=True, thinking=True)
        drafts = await service.drafts(guild_id, first, last, lang)
        await reply(
            interaction,
            self.bot.t(lang, "digest.newsletter.done", first=first.isoformat(), last=last.isoformat()),
            files=[discord.File(io.BytesIO(draft.data), filename=draft.filename) for draft in drafts],
        )
