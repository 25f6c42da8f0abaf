"""Timer handlers of polls: the outbox that posts to Discord, the durable tally refresh, the close.

Each handler asks ``ConsultationService`` what is still to do (None: nothing), does the Discord part,
then records it, so a retried timer never posts twice. Before posting, a handler looks in the channel
for the post an earlier attempt made (``bot.core.outbox.find_posted``: the poll by its first
component's custom_id, the results by their chart's file name, the reminder by its text, the
moderators' list by its Nudge button) and records that one instead; it searches on every attempt,
the first included, since a bot killed between Discord's answer and the record leaves the timer
pending with no failed attempt to tell. A channel that is gone or closed to the bot is told to
moderators once and the timer ends: retrying would not bring it back.

* ``poll.post``: the poll message with its components;
* ``poll.refresh``: the tally and turnout on it, at most every 2 s (the service's pending mark);
  once closed, its components disabled;
* ``poll.close``: closes at the deadline, then runs the results and the refresh at once;
* ``poll.results``: the results with their chart, once;
* ``poll.remind``: 24 hours before the deadline, in the poll's channel; in organisation mode the
  moderators get the WIM organisations that have not answered, with a Nudge button;
* ``poll.nudge``: DMs one organisation's representatives, each in their own language.

Elections (``ElectionTimers``), the same way:

* ``election.announce``: the call for nominations in the election's channel (adopted by its text);
* ``election.nomination``: the nominee's DM with Accept / Decline, in their own language (adopted
  by its Accept button's custom_id in their DM channel);
* ``election.nominations_close``: closes nominations (``Elections.close_nominations``,
  candidates named as the server shows them), then posts the ranked ballot at once (``poll.post``),
  or, too few candidates, runs ``election.short``;
* ``election.short``: tells the moderators in mod-log, with the Extend button (adopted by it).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.core.channels import (
    POST_EMBEDS,
    Report,
    permission_list,
    post_language,
    postable_channel,
    text_channel,
)
from bot.core.dm import dm_members, send_dm
from bot.core.guild_members import member_of
from bot.core.outbox import find_posted, has_attachment, has_custom_id, may_have_run, same_text
from bot.core.pacing import background
from bot.errors import NotFound
from bot.services.consultations import (
    ELECTION_ANNOUNCE,
    ELECTION_NOMINATION,
    ELECTION_NOMINATIONS_CLOSE,
    ELECTION_SHORT,
    POLL_CLOSE,
    POLL_NUDGE,
    POLL_POST,
    POLL_REFRESH,
    POLL_REMIND,
    POLL_RESULTS,
    ConsultationService,
    Election,
    NudgeTarget,
    Poll,
)
from bot.services.timers import OUTBOX_BACKOFF, HandlerTable, Timer
from cogs.consultations import _chart, _render
from cogs.consultations._views import extend_view, marker, nomination_view, nudge_view, poll_view

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

POST_FILES = (*POST_EMBEDS, "attach_files")
NONE = discord.AllowedMentions.none()


class PollTimers:
    def __init__(self, bot: WimBot) -> None:
        self.bot = bot

    @property
    def service(self) -> ConsultationService:
        return self.bot.services.consultations

    def table(self) -> HandlerTable:
        return {
            POLL_POST: (self.on_post, OUTBOX_BACKOFF),
            POLL_REFRESH: (self.on_refresh, OUTBOX_BACKOFF),
            POLL_CLOSE: (self.on_close, OUTBOX_BACKOFF),
            POLL_RESULTS: (self.on_results, OUTBOX_BACKOFF),
            POLL_REMIND: (self.on_remind, None),
            POLL_NUDGE: (self.on_nudge, OUTBOX_BACKOFF),
        }

    # --- where and in which language -------------------------------------------------------------

    @property
    def guild_lang(self) -> str:
        return self.bot.config.language

    async def _channel(
        self, poll: Poll, channel_id: int | None = None, needed: tuple[str, ...] = POST_EMBEDS
    ) -> discord.TextChannel | None:
        """The poll's channel if the bot can post there; else moderators are told once, and None."""
        await self.bot.wait_until_ready()
        guild = self.bot.get_guild(poll.guild_id)
        if guild is None:
            return None
        lang = self.guild_lang

        def gone() -> Report:
            text = self.bot.t(lang, "consultations_ui.log.channel_gone", question=poll.question, id=poll.id)
            return f"poll:{poll.id}:channel", text

        def cannot(channel: discord.TextChannel, missing: list[str]) -> Report:
            text = self.bot.t(
                lang,
                "consultations_ui.log.cannot_post",
                question=poll.question,
                channel=channel.mention,
                permissions=permission_list(self.bot, lang, missing),
            )
            return f"poll:{poll.id}:access:{','.join(missing)}", text

        channel = text_channel(guild, channel_id or poll.channel_id)
        return await postable_channel(self.bot, guild.id, channel, gone=gone, cannot=cannot, needed=needed)

    def lang(self, poll: Poll, channel: discord.abc.GuildChannel | None) -> str:
        """A poll's public posts speak its own language, else the channel's, else the server's."""
        return post_language(self.bot.config, channel, poll.language)

    # --- the poll message ------------------------------------------------------------------------

    async def on_post(self, timer: Timer) -> None:
        poll = await self.service.poll_to_post(int(timer.payload["poll_id"]))
        if poll is None:
            return
        channel = await self._channel(poll)
        if channel is None:
            return
        message = await find_posted(self.bot, channel, has_custom_id(marker(poll)), since=timer.created_at)
        if message is None:
            tally = await self.service.tally(poll.id)
            lang = self.lang(poll, channel)
            message = await channel.send(
                embed=_render.poll_embed(self.bot.catalog, lang, tally),
                view=poll_view(self.bot.catalog, lang, tally.poll, disabled=not tally.poll.is_open),
                allowed_mentions=NONE,
            )
        await self.service.record_posted(poll.id, channel.id, message.id)

    async def on_refresh(self, timer: Timer) -> None:
        """The durable "ballots changed" mark: the poll message with the counts as they are now."""
        await self.bot.wait_until_ready()
        try:
            tally = await self.service.tally(int(timer.payload["poll_id"]))
        except NotFound:
            return  # the poll is gone: nothing to show
        poll = tally.poll
        if poll.message_id is None:
            return  # not posted yet: the post renders the counts as they are then
        guild = self.bot.get_guild(poll.guild_id)
        channel = text_channel(guild, poll.channel_id) if guild is not None else None
        if channel is None:
            return
        lang = self.lang(poll, channel)
        with background():  # a tally can wait behind the answers of a burst of clicks
            try:
                await channel.get_partial_message(poll.message_id).edit(
                    embed=_render.poll_embed(self.bot.catalog, lang, tally),
                    view=poll_view(self.bot.catalog, lang, poll, disabled=not poll.is_open),
                    allowed_mentions=NONE,
                )
            except discord.NotFound:
                log.info("The message of poll %s is gone; nothing to refresh", poll.id)

    # --- the close and its results -----------------------------------------------------------------

    async def on_close(self, timer: Timer) -> None:
        poll_id = int(timer.payload["poll_id"])
        result = await self.service.close_due(poll_id)
        if result is None:
            return
        # Written by the close with it; run now so the results follow the deadline at once (the
        # dispatcher retries them if Discord fails).
        timers = self.bot.services.timers
        await timers.run_now(POLL_RESULTS, poll_id=poll_id)
        await timers.run_now(POLL_REFRESH, poll_id=poll_id)

    async def on_results(self, timer: Timer) -> None:
        poll_id = int(timer.payload["poll_id"])
        tally = await self.service.results_to_post(poll_id)
        if tally is None:
            return
        poll = tally.poll
        channel = await self._channel(poll, needed=POST_FILES)
        if channel is None:
            return
        name = _chart.filename(tally)
        message = await find_posted(self.bot, channel, has_attachment(name), since=timer.created_at)
        if message is None:
            lang = self.lang(poll, channel)
            png = await _chart.render_async(self.bot.catalog, lang, tally)
            message = await channel.send(
                self.bot.t(
                    lang,
                    "consultations_ui.results.election_closed_post"
                    if poll.election_id is not None
                    else "consultations_ui.results.closed_post",
                    question=poll.question,
                ),
                embed=_render.results_embed(self.bot.catalog, lang, tally, final=True).set_image(
                    url=f"attachment://{name}"
                ),
                file=discord.File(io.BytesIO(png), filename=name),
                allowed_mentions=NONE,
            )
        await self.service.record_results_posted(poll.id, channel.id, message.id)

    # --- the reminder and the nudges -----------------------------------------------------------------

    async def on_remind(self, timer: Timer) -> None:
        poll_id = int(timer.payload["poll_id"])
        unanswered = await self.service.reminder_to_post(poll_id)
        if unanswered is None:
            return
        poll = unanswered.poll
        channel = await self._channel(poll)
        if channel is None:
            return
        if poll.by_organisation and unanswered.organisations:
            await self._post_unanswered(timer, poll, unanswered.organisations)
        tally = await self.service.tally(poll.id)
        content = _render.reminder_text(self.bot.catalog, self.lang(poll, channel), tally)
        message = await find_posted(self.bot, channel, same_text(content), since=timer.created_at)
        if message is None:
            message = await channel.send(content, allowed_mentions=NONE)
        await self.service.record_reminder_posted(poll.id, channel.id, message.id)

    async def _post_unanswered(self, timer: Timer, poll: Poll, targets: Sequence[NudgeTarget]) -> None:
        """The moderators' list of WIM organisations that have not answered, with the Nudge button."""
        lang = self.bot.config.channel_language(self.bot.config.channels.mod_log)
        channel = self.bot.mod_log_channel(poll.guild_id)
        if channel is None:
            log.warning("No mod-log channel for the unanswered list of poll %s", poll.id)
            return
        if await find_posted(
            self.bot, channel, has_custom_id(f"poll:nudge:{poll.id}"), since=timer.created_at
        ):
            return
        await channel.send(
            _render.unanswered_text(self.bot.catalog, lang, poll, targets),
            view=nudge_view(self.bot.catalog, lang, poll.id),
            allowed_mentions=NONE,
        )

    async def on_nudge(self, timer: Timer) -> None:
        """DM the representatives of one WIM organisation that has not answered, each in their own
        language. Nothing when the poll closed or the organisation answered meanwhile. A retry first
        looks in their DM channels for the same text (``resume_after``): never twice."""
        await self.bot.wait_until_ready()
        delivery = await self.service.nudge_delivery(
            int(timer.payload["poll_id"]), int(timer.payload["organisation_id"])
        )
        if delivery is None:
            return
        poll, target = delivery
        rerun = timer.attempts > 0 or timer.created_at < self.bot.started_at
        catalog = self.bot.catalog
        result = await dm_members(
            self.bot,
            poll.guild_id,
            target.representative_ids,
            lambda lang: _render.nudge_dm(catalog, lang, poll, target),
            # Asked for by a moderator about the organisation's own ballot: not an opt-out reminder.
            respect_opt_out=False,
            resume_after=self.bot.discord_time(timer.created_at) if rerun else None,
        )
        if result.closed:
            log.info("Poll %s: nudge DMs closed for %s", poll.id, list(result.closed))


class ElectionTimers:
    """The timer handlers of elections (see the module's docstring)."""

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot

    @property
    def service(self) -> ConsultationService:
        return self.bot.services.consultations

    def table(self) -> HandlerTable:
        return {
            ELECTION_ANNOUNCE: (self.on_announce, OUTBOX_BACKOFF),
            ELECTION_NOMINATION: (self.on_nomination, OUTBOX_BACKOFF),
            ELECTION_NOMINATIONS_CLOSE: (self.on_nominations_close, OUTBOX_BACKOFF),
            ELECTION_SHORT: (self.on_short, OUTBOX_BACKOFF),
        }

    async def _election(self, timer: Timer) -> Election | None:
        try:
            return await self.service.elections.get(int(timer.payload["election_id"]))
        except NotFound:
            return None

    async def _channel(self, election: Election) -> discord.TextChannel | None:
        """The election's channel if the bot can post there; else moderators are told once."""
        await self.bot.wait_until_ready()
        guild = self.bot.get_guild(election.guild_id)
        if guild is None:
            return None
        lang = self.bot.config.language

        def gone() -> Report:
            text = self.bot.t(
                lang, "consultations_ui.election.log_channel_gone", title=election.title, id=election.id
            )
            return f"election:{election.id}:channel", text

        def cannot(channel: discord.TextChannel, missing: list[str]) -> Report:
            text = self.bot.t(
                lang,
                "consultations_ui.election.log_cannot_post",
                title=election.title,
                channel=channel.mention,
                permissions=permission_list(self.bot, lang, missing),
            )
            return f"election:{election.id}:access:{','.join(missing)}", text

        channel = text_channel(guild, election.channel_id)
        return await postable_channel(self.bot, guild.id, channel, gone=gone, cannot=cannot)

    async def on_announce(self, timer: Timer) -> None:
        election = await self._election(timer)
        if election is None or election.status not in ("nominating", "short"):
            return  # gone, or already voting: the ballot itself is the news
        channel = await self._channel(election)
        if channel is None:
            return
        lang = post_language(self.bot.config, channel, election.language)
        content = _render.election_call(self.bot.catalog, lang, election)
        if await find_posted(self.bot, channel, same_text(content), since=timer.created_at) is None:
            await channel.send(content, allowed_mentions=NONE)

    async def on_nomination(self, timer: Timer) -> None:
        """DM the nominee, in their remembered language, the nomination with Accept / Decline. A
        retry first looks in their DM channel for the buttons an earlier run sent: never twice."""
        await self.bot.wait_until_ready()
        nomination_id = int(timer.payload["nomination_id"])
        pending = await self.service.elections.nomination_to_send(nomination_id)
        if pending is None:
            return  # answered meanwhile, or gone
        nomination, election = pending
        user_id = nomination.nominee_id
        if may_have_run(self.bot, timer) and await self._already_sent(user_id, nomination_id, timer):
            return
        try:
            organisation = await self.bot.services.organisations.get(
                election.guild_id, nomination.organisation_id, include_archived=True
            )
            organisation_name = organisation.name
        except NotFound:
            organisation_name = "?"
        profiles = await self.bot.services.members.dm_profiles(election.guild_id, [user_id])
        lang = profiles[user_id].language or self.bot.config.language
        catalog = self.bot.catalog
        delivered = await send_dm(
            self.bot,
            user_id,
            _render.nomination_dm(catalog, lang, election, organisation_name),
            view=nomination_view(catalog, lang, nomination_id),
        )
        if not delivered:
            # The nomination stays pending and the DM is tried again while nominations are open: once
            # moderators have asked the nominee to open their DMs, the buttons reach them.
            await self.service.elections.dm_again_later(nomination_id)
            text = _render.unreachable_text(
                catalog,
                self.bot.config.language,
                "consultations_ui.nomination.log_unreachable",
                election,
                user_id,
                self.bot.discord_time(election.nominations_close_at),
            )
            await self.bot.report_once(election.guild_id, f"election:nomination:{nomination_id}:dm", text)

    async def _already_sent(self, user_id: int, nomination_id: int, timer: Timer) -> bool:
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            channel = user.dm_channel or await user.create_dm()
            wanted = has_custom_id(f"election:nomination:{nomination_id}:approve")
            return await find_posted(self.bot, channel, wanted, since=timer.created_at) is not None
        except (discord.Forbidden, discord.NotFound):
            return False  # closed DMs or a member who left: send_dm says so

    async def on_nominations_close(self, timer: Timer) -> None:
        election = await self._election(timer)
        if election is None:
            return
        await self.bot.wait_until_ready()
        names = await self._names(election)
        outcome = await self.service.elections.close_nominations(election.id, names)
        if outcome is None:
            return
        timers = self.bot.services.timers
        if outcome.poll is not None:
            # The ranked ballot among the accepted candidates; the dispatcher retries it if Discord fails.
            await timers.run_now(POLL_POST, poll_id=outcome.poll.id)
        elif outcome.election.status == "short":
            await timers.run_now(ELECTION_SHORT, election_id=election.id)

    async def _names(self, election: Election) -> dict[int, str]:
        """The accepted candidates' names as the server shows them (the ballot's option labels)."""
        guild = self.bot.get_guild(election.guild_id)
        names: dict[int, str] = {}
        if guild is None:
            return names
        for nomination in await self.service.elections.nominations(election.id):
            if nomination.status != "accepted":
                continue
            try:
                member = await member_of(guild, nomination.nominee_id)
            except discord.HTTPException:
                member = None
            if member is None:
                continue  # left the server (or Discord failed): the ballot names them by id
            names[nomination.nominee_id] = member.display_name
        return names

    async def on_short(self, timer: Timer) -> None:
        """Fewer accepted candidates than seats: the moderators' notice with the Extend button."""
        election = await self._election(timer)
        if election is None or election.status != "short":
            return  # extended meanwhile
        await self.bot.wait_until_ready()
        channel = self.bot.mod_log_channel(election.guild_id)
        if channel is None:
            log.warning("No mod-log channel for the notice of election %s", election.id)
            return
        wanted = has_custom_id(f"election:extend:{election.id}")
        if await find_posted(self.bot, channel, wanted, since=timer.created_at) is not None:
            return
        candidates = sum(
            1 for n in await self.service.elections.nominations(election.id) if n.status == "accepted"
        )
        lang = self.bot.config.channel_language(self.bot.config.channels.mod_log)
        await channel.send(
            _render.election_short(self.bot.catalog, lang, election, candidates),
            view=extend_view(self.bot.catalog, lang, election.id),
            allowed_mentions=NONE,
        )
