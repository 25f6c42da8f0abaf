"""Timer handlers of the events feature: reminders, "starting now", end of check-in, horizon, and
the outbox (post the announcement, mirror to the Events tab; after an edit or a cancellation move the
card, post the cancellation notice and DM who had replied) and the durable announcement refresh.

Built from the feature's parts (``Announcements``, ``EventsTabMirror``), never from the cog, so there
is no import cycle: ``_cog`` imports this module, this module imports only the parts.

Each handler asks ``EventService`` what to do (None = nothing), does the Discord part, then records
what it did, so a retried timer resumes where the last attempt stopped and never posts twice. A
handler raises on failures worth retrying (Discord unavailable); ``TimerService`` backs off and
retries. Problems retrying cannot fix (a deleted channel or role) are reported once to the
mod-log channel and treated as handled, so they never crash-loop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING

import discord
import msgspec

from bot.batching import KeyedBatcher
from bot.core.channels import Report, can_post, postable_channel, text_channel
from bot.core.dm import dm_members
from bot.core.mentions import can_ping
from bot.core.outbox import find_posted, has_custom_id, links_to, may_have_run, posted, same_text
from bot.core.pacing import background
from bot.limits import MESSAGE_CONTENT
from bot.services.events import (
    EVENT_ANNOUNCE,
    EVENT_END,
    EVENT_HORIZON,
    EVENT_MIRROR,
    EVENT_MOVE,
    EVENT_NOTICE,
    EVENT_NOTIFY,
    EVENT_REFRESH,
    EVENT_REMINDER,
    EVENT_START,
    NoticePlan,
    Occurrence,
)
from bot.services.timers import OUTBOX_BACKOFF, HandlerTable, Timer
from cogs.events import _render
from cogs.events._announcements import Announcements, card_of
from cogs.events._mirror import EventsTabMirror
from cogs.events._views import (
    check_in_view,
    closing_check_in_view,
    meeting_link_view,
    reminder_links_view,
    shared_check_in_view,
)

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

# Reminders for one channel falling due within this many seconds share a message. Short enough that a
# lone reminder is barely delayed, long enough to gather the handlers the timer service runs at once.
# A batch leaves once no reminder joined it for REMINDER_BATCH_IDLE seconds (a lone reminder waits
# only that), at most REMINDER_BATCH_WINDOW after its first: 500 reminders whose handlers read the
# database one after the other over most of a second still leave as one message per channel.
REMINDER_BATCH_WINDOW = 1.0
REMINDER_BATCH_IDLE = 0.15
REMINDER_BATCH_MAX_ITEMS = 50
# "Starting now" posts for one channel falling due together share a message, one Check in button per
# event and one "Join" per event with a meeting link (a message holds at most 25 buttons): 100 events
# without links starting at 18:00 in 25 channels are 25 posts.
START_BATCH_WINDOW = 1.0
START_BATCH_IDLE = 0.15
START_BATCH_MAX_ITEMS = 25
# A message holds at most 25 buttons (5 rows of 5): a shared reminder's "Join" buttons stay within it.
MAX_COMPONENTS = 25


class _ReminderPost(msgspec.Struct, frozen=True):
    occurrence: Occurrence
    late: bool
    role: discord.Role | None  # the audience role to ping; None: no ping


class EventTimerHandlers:
    def __init__(self, bot: WimBot, announcements: Announcements, mirror: EventsTabMirror) -> None:
        self.bot = bot
        self.announcements = announcements
        self.mirror = mirror
        self._batcher: KeyedBatcher[int, _ReminderPost, dict[_ReminderPost, int | BaseException]] = (
            KeyedBatcher(
                self._send_reminder_batch,
                window=REMINDER_BATCH_WINDOW,
                idle=REMINDER_BATCH_IDLE,
                max_items=REMINDER_BATCH_MAX_ITEMS,
            )
        )
        self._start_batcher: KeyedBatcher[int, Occurrence, dict[int, int | BaseException]] = KeyedBatcher(
            self._send_start_batch,
            window=START_BATCH_WINDOW,
            idle=START_BATCH_IDLE,
            max_items=START_BATCH_MAX_ITEMS,
        )

    def table(self) -> HandlerTable:
        return {
            EVENT_REMINDER: (self.on_reminder, None),
            EVENT_START: (self.on_start, None),
            EVENT_END: (self.on_end, None),
            EVENT_HORIZON: (self.on_horizon, None),
            EVENT_ANNOUNCE: (self.on_announce, OUTBOX_BACKOFF),
            EVENT_MIRROR: (self.on_mirror, OUTBOX_BACKOFF),
            EVENT_REFRESH: (self.on_refresh, OUTBOX_BACKOFF),
            EVENT_MOVE: (self.on_move, OUTBOX_BACKOFF),
            EVENT_NOTICE: (self.on_notice, OUTBOX_BACKOFF),
            EVENT_NOTIFY: (self.on_notify, OUTBOX_BACKOFF),
        }

    async def close(self) -> None:
        """Send reminders and start posts still gathering into a batch (when the cog unloads)."""
        await self._batcher.close()
        await self._start_batcher.close()

    def _problem(self, occurrence: Occurrence, problem: str, key: str, **params: object) -> Report:
        """A problem with an occurrence for moderators, remembered as ``event:<occurrence>:<problem>``."""
        text = self._t(key, title=occurrence.title, occurrence_id=occurrence.id, **params)
        return f"event:{occurrence.id}:{problem}", text

    async def _channel(
        self, occurrence: Occurrence, *, access_apart: bool = False
    ) -> discord.TextChannel | None:
        """The occurrence's channel if the bot can post there; else None, told to moderators once (not
        worth retrying) unless the bot is not in the guild. With ``access_apart``, missing permissions
        are told apart from a lost channel."""
        guild = self.bot.get_guild(occurrence.guild_id)
        if guild is None:
            return None

        def gone() -> Report:
            return self._problem(occurrence, "channel", "events_ui.reminder.channel_missing")

        def cannot(channel: discord.TextChannel, _missing: list[str]) -> Report:
            key = "events_ui.reminder.no_access"
            return self._problem(occurrence, "access", key, channel=channel.mention)

        channel = text_channel(guild, occurrence.channel_id)
        return await postable_channel(
            self.bot, guild.id, channel, gone=gone, cannot=cannot if access_apart else None
        )

    # --- the outbox -----------------------------------------------------------------------------

    async def on_announce(self, timer: Timer) -> None:
        """Post the announcement card of a new event, once: an earlier attempt's card is adopted."""
        await self.bot.wait_until_ready()
        occurrence = await self.bot.services.events.outbox_occurrence(timer.payload)
        if occurrence is None or occurrence.status != "scheduled" or occurrence.announcement_message_id:
            return
        # /event create checked the channel just before; None means it changed since.
        channel = await self._channel(occurrence)
        if channel is None:
            return
        if may_have_run(self.bot, timer):
            # Discord may have posted it and then failed to answer, or the bot died before recording
            # it (then with no failed attempt to tell): find that card before posting.
            card = await find_posted(self.bot, channel, card_of(occurrence.id), since=timer.created_at)
            if card is not None:
                await self.bot.services.events.set_announcement(occurrence.id, channel.id, card.id)
                return
        await self.announcements.post(channel, occurrence)

    async def on_mirror(self, timer: Timer) -> None:
        """The Events tab shows the occurrence as it is now (created, edited, or deleted once cancelled)."""
        await self.bot.wait_until_ready()
        occurrence = await self.bot.services.events.outbox_occurrence(timer.payload)
        if occurrence is None:
            return
        guild = self.bot.get_guild(occurrence.guild_id)
        if guild is not None:
            with background():  # the Events tab can wait behind the posts of a burst
                await self.mirror.sync(guild, occurrence, retry=may_have_run(self.bot, timer))

    async def on_refresh(self, timer: Timer) -> None:
        """The durable "counts changed" mark: re-render the card with the counts as they are now."""
        await self.bot.wait_until_ready()
        occurrence = await self.bot.services.events.outbox_occurrence(timer.payload)
        if occurrence is not None:
            with background():  # behind the posts of a burst (bot.core.pacing)
                await self.announcements.refresh(occurrence.id, strict=True)

    async def on_move(self, timer: Timer) -> None:
        """/event edit gave an announced occurrence another channel: announce it there, once, and turn
        the old card into a "moved" line."""
        await self.bot.wait_until_ready()
        plan = await self.bot.services.events.move_plan(timer.payload)
        if plan is None:
            return
        occurrence = plan.occurrence
        guild = self.bot.get_guild(occurrence.guild_id)
        if guild is None:
            return
        if not plan.announced and (
            occurrence.status != "scheduled" or occurrence.channel_id == plan.from_channel_id
        ):
            # Cancelled since, or moved back: the old card stays where it is, as the event is now.
            await self.announcements.refresh(occurrence.id, strict=True)
            return
        await self.announcements.move(
            guild,
            occurrence,
            plan.from_channel_id,
            plan.from_message_id,
            adopt_since=timer.created_at if may_have_run(self.bot, timer) else None,
        )

    def _notice_text(self, plan: NoticePlan, lang: str) -> str:
        occurrence = plan.occurrence
        if plan.notice.kind == "cancelled":
            return _render.cancelled_post_text(
                self.bot.catalog, lang, occurrence, series_count=plan.notice.series_count
            )
        return _render.change_notice_text(
            self.bot.catalog, lang, occurrence, self.announcements.url(occurrence)
        )

    async def on_notice(self, timer: Timer) -> None:
        """Post a cancellation notice in the event's channel, once: a retry first looks for the post an
        earlier attempt made (Discord may have posted it and then failed to answer) and adopts it."""
        await self.bot.wait_until_ready()
        events = self.bot.services.events
        plan = await events.notice_plan(timer.payload)
        if plan is None or plan.notice.posted:
            return
        occurrence = plan.occurrence
        guild = self.bot.get_guild(occurrence.guild_id)
        if guild is None:
            return
        channel = text_channel(guild, occurrence.channel_id)
        if channel is None or not can_post(channel):
            # Nowhere to post (the channel went, or the bot may no longer post there): the DMs still go.
            log.info("No cancellation notice for occurrence %s: cannot post in its channel", occurrence.id)
            await events.record_notice_posted(plan.notice.id, None)
            return
        text = self._notice_text(plan, self.announcements.lang(occurrence))
        if may_have_run(self.bot, timer):
            found = await find_posted(self.bot, channel, same_text(text), since=timer.created_at)
            if found is not None:
                await events.record_notice_posted(plan.notice.id, found.id)
                return
        message = await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        await events.record_notice_posted(plan.notice.id, message.id)

    async def on_notify(self, timer: Timer) -> None:
        """DM a notice to the members it is for, each in their language, each DM recorded as it goes:
        a retry DMs only who is still missing (and first checks the DM channels of the few an earlier
        run may have reached without recording it)."""
        await self.bot.wait_until_ready()
        events = self.bot.services.events
        plan = await events.notice_plan(timer.payload)
        if plan is None or not plan.dm_user_ids:
            return
        if plan.notice.kind == "changed" and plan.occurrence.status != "scheduled":
            return  # cancelled since: its cancellation notice says what matters now
        notice_id = plan.notice.id

        async def record(user_id: int, delivered: bool) -> None:
            await events.record_notice_dm(notice_id, user_id, "sent" if delivered else "skipped_closed")

        sent = await dm_members(
            self.bot,
            plan.occurrence.guild_id,
            plan.dm_user_ids,
            lambda lang: self._notice_text(plan, lang),
            on_each=record,
            resume_after=self.bot.discord_time(timer.created_at) if may_have_run(self.bot, timer) else None,
        )
        for user_id in sent.opted_out:
            await events.record_notice_dm(notice_id, user_id, "opted_out")

    # --- reminders and the event itself ---------------------------------------------------------

    @property
    def _lang(self) -> str:
        """Reports to the moderators (mod-log) speak the server's language; posts to an event's
        audience speak the event's (``Announcements.lang``)."""
        return self.bot.config.language

    def _t(self, key: str, **params: object) -> str:
        return self.bot.catalog.t(self._lang, key, **params)

    async def on_reminder(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        events = self.bot.services.events
        plan = await events.reminder_delivery(timer.payload, self.bot.clock.now())
        if plan is None:
            return
        occurrence = plan.occurrence
        lead_seconds = int(plan.lead.total_seconds())
        guild = self.bot.get_guild(occurrence.guild_id)
        if guild is None:
            log.warning(
                "Reminder for occurrence %s: the bot is not in guild %s", occurrence.id, occurrence.guild_id
            )
            return
        # Delivery is at least once: an earlier run may have posted (or DM'd) and then died (a crash,
        # or Discord failing after posting) before recording it. Such a run is a retry, or one of a
        # timer due before this process started: look for what it sent before sending again, since
        # the reminder was first due (a retry's due_at is later than that run: backoff moves it).
        rerun = timer.attempts > 0 or timer.due_at <= self.bot.started_at
        first_due = max(timer.created_at, occurrence.starts_at - plan.lead)
        if plan.post_to_channel:
            message_id = await self._post_reminder(
                guild, plan.occurrence, late=plan.late, posted_since=first_due if rerun else None
            )
            await events.record_reminder_posted(occurrence.id, lead_seconds, message_id)
        # Each member in the language they use Discord in; each DM recorded as it goes, so a retry
        # sends only the missing ones. The meeting link is behind the DM's "Join" button (counted
        # like the channel's); text and button are built once per language, not per member.
        url = self.announcements.url(occurrence)
        catalog = self.bot.catalog
        link = bool(occurrence.link)

        async def record(user_id: int, delivered: bool) -> None:
            await events.record_dm(
                occurrence.id, lead_seconds, user_id, "sent" if delivered else "skipped_closed"
            )

        await dm_members(
            self.bot,
            occurrence.guild_id,
            plan.dm_user_ids,
            lambda lang: _render.reminder_dm_text(
                catalog, lang, occurrence, late=plan.late, url=url, link_button=link
            ),
            view=(lambda lang: meeting_link_view(catalog, lang, occurrence.id)) if link else None,
            on_each=record,
            resume_after=self.bot.discord_time(first_due) if rerun else None,
        )

    async def _post_reminder(
        self,
        guild: discord.Guild,
        occurrence: Occurrence,
        *,
        late: bool,
        posted_since: datetime | None = None,
    ) -> int | None:
        """Post the channel reminder; its message id, or None when it cannot be posted (reported).
        With ``posted_since``, a reminder of this occurrence the bot already posted since then is adopted."""
        channel = await self._channel(occurrence, access_apart=True)
        if channel is None:
            return None
        if posted_since is not None:
            # A line linking to its announcement, or (never announced) the card the reminder became.
            url = self.announcements.url(occurrence)
            marker = card_of(occurrence.id) if occurrence.announcement_message_id is None else links_to(url)
            found = await find_posted(self.bot, channel, marker, since=posted_since)
            if found is not None:
                log.info("Reminder for occurrence %s was already posted (%s)", occurrence.id, found.id)
                return found.id
        role: discord.Role | None = None
        if occurrence.audience_role_id is not None:
            role = guild.get_role(occurrence.audience_role_id)
            if role is not None and not can_ping(role, channel):
                # Posted with the mention anyway (it names whom the event is for), but say once what
                # to change so that its members are really notified.
                # Once per role, whichever event or check noticed it first (the same key everywhere).
                await self.bot.report_once(
                    guild.id,
                    f"ping:{role.id}",
                    self.bot.catalog.t(
                        self._lang,
                        "pings.role_not_pingable",
                        title=occurrence.title,
                        role=role.mention,
                        role_name=role.name,
                    ),
                )
            if role is None:
                await self.bot.report_once(
                    guild.id, *self._problem(occurrence, "role", "events_ui.reminder.role_missing")
                )
        # Reminders due together in one channel leave as one message (see _send_reminder_batch).
        post = _ReminderPost(occurrence, late, role)
        outcome = (await self._batcher.submit(channel.id, post))[post]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def _send_reminder_batch(
        self, channel_id: int, items: list[_ReminderPost]
    ) -> dict[_ReminderPost, int | BaseException]:
        """Post the reminders of one channel that fell due together; for each, its message id or the
        error that kept it from going out (so only that timer is retried, and none posts twice).

        A reminder is a short line linking to the announcement (jump link), with the time and the
        meeting link: never a second card with buttons. Lines due together share as few messages as
        fit, so a burst (every roundtable reminded at 09:00) respects Discord's 5 messages per 5 s per
        channel instead of queueing behind it. An occurrence never announced (a later occurrence of a
        series) gets its card posted with the reminder, which becomes its announcement.
        """
        channel = self.bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)  # checked by every submitter just before
        outcomes: dict[_ReminderPost, int | BaseException] = {}
        announced = [item for item in items if item.occurrence.announcement_message_id is not None]
        alone = [item for item in items if item.occurrence.announcement_message_id is None]
        for item in alone:
            try:
                outcomes[item] = await self._post_one(channel, item)
            except Exception as error:
                outcomes[item] = error
        for chunk in self._chunks(announced):
            roles = list({item.role.id: item.role for item in chunk if item.role is not None}.values())
            links = reminder_links_view(
                self.bot.catalog,
                [
                    (item.occurrence.id, self.announcements.lang(item.occurrence), item.occurrence.title)
                    for item in chunk
                    if item.occurrence.link
                ],
            )
            try:
                message = await channel.send(
                    "\n".join(self._line(item) for item in chunk),
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False, users=False, roles=roles or False
                    ),
                    suppress_embeds=True,
                    view=links if links is not None else discord.utils.MISSING,
                )
            except Exception as error:
                outcomes.update((item, error) for item in chunk)
            else:
                outcomes.update((item, message.id) for item in chunk)
        return outcomes

    def _line(self, item: _ReminderPost) -> str:
        occurrence = item.occurrence
        text = _render.reminder_text(
            self.bot.catalog,
            self.announcements.lang(occurrence),
            occurrence,
            late=item.late,
            role_mention=item.role.mention if item.role else None,
            link_button=True,  # the post's "Join" button carries the meeting link (counted)
        )
        return f"{text} {self.announcements.url(occurrence)}"

    def _chunks(self, items: list[_ReminderPost]) -> list[list[_ReminderPost]]:
        """``items`` in order, grouped so each group's lines fit in one message and its "Join" buttons
        (one per event with a meeting link) within a message's 25 components."""
        chunks: list[list[_ReminderPost]] = []
        length = 0
        buttons = 0
        for item in items:
            line = len(self._line(item)) + 1
            button = 1 if item.occurrence.link else 0
            if not chunks or length + line > MESSAGE_CONTENT or buttons + button > MAX_COMPONENTS:
                chunks.append([])
                length = 0
                buttons = 0
            chunks[-1].append(item)
            length += line
            buttons += button
        return chunks

    async def _post_one(self, channel: discord.TextChannel, item: _ReminderPost) -> int:
        occurrence, role = item.occurrence, item.role
        content = _render.reminder_text(
            self.bot.catalog,
            self.announcements.lang(occurrence),
            occurrence,
            late=item.late,
            role_mention=role.mention if role else None,
            link_button=True,  # the card posted with it has the "Join the meeting" button
        )
        # Only the audience role may be pinged, and only by this post; no role means no ping at all.
        mentions = discord.AllowedMentions(everyone=False, users=False, roles=[role] if role else False)
        # A seeded or later occurrence of a series has no announcement yet: this post becomes it.
        message = await self.announcements.post(
            channel, occurrence, content=content, allowed_mentions=mentions
        )
        await self.bot.services.events.request_mirror(occurrence)  # through the outbox, like create
        return message.id

    async def on_start(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        plan = await self.bot.services.events.start_plan(timer.payload, self.bot.clock.now())
        if plan is None:
            return
        occurrence = plan.occurrence
        channel = await self._channel(occurrence)
        if channel is None:
            return
        if (timer.attempts > 0 or timer.due_at <= self.bot.started_at) and await self._start_post(
            channel, occurrence
        ):
            # An earlier run posted "starting now" and died (or Discord failed after posting) before
            # the timer was marked done: the post is not stored, the Check in button is its marker.
            log.info("The start of occurrence %s was already posted", occurrence.id)
        else:
            # Events starting together in one channel share the post (see _send_start_batch).
            outcome = (await self._start_batcher.submit(channel.id, occurrence))[occurrence.id]
            if isinstance(outcome, BaseException):
                raise outcome
        # After the post, nothing may raise: a retry would post "starting now" twice. The card's
        # refresh waits behind the posts of a burst (bot.core.pacing): members wait for the posts.
        try:
            with background():
                await self.announcements.refresh(occurrence.id)
        except Exception:
            log.exception("Could not show the Check in button on the announcement of %s", occurrence.id)

    def _start_posts(
        self, channel: discord.TextChannel, occurrence: Occurrence
    ) -> AsyncIterator[discord.Message]:
        """The "starting now" posts of ``occurrence`` in ``channel`` (one, or none): not stored, they
        are found by their Check in button among the bot's posts since the start, the card (which
        shows one too) left out."""
        return posted(
            self.bot,
            channel,
            has_custom_id(f"event:checkin:{occurrence.id}"),
            since=occurrence.starts_at,
            skip={occurrence.announcement_message_id} if occurrence.announcement_message_id else (),
        )

    async def _start_post(self, channel: discord.TextChannel, occurrence: Occurrence) -> bool:
        """Whether a "starting now" post of ``occurrence`` is in ``channel``."""
        async for _ in self._start_posts(channel, occurrence):
            return True
        return False

    async def _send_start_batch(
        self, channel_id: int, occurrences: list[Occurrence]
    ) -> dict[int, int | BaseException]:
        """Post "starting now" for the events of one channel that started together; for each
        occurrence id, the message id or the error that kept its post from going out (only that
        timer is retried). One event: its line and its Check in button, as always; several: their
        lines in one message, each with a Check in button naming the event, as few messages as fit.
        An event with a meeting link has it behind a "Join" button (counted), not in its line."""
        channel = self.bot.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)  # checked by every submitter just before
        catalog = self.bot.catalog
        outcomes: dict[int, int | BaseException] = {}
        for chunk in self._start_chunks(occurrences):
            if len(chunk) == 1:
                lang = self.announcements.lang(chunk[0])
                view = check_in_view(catalog, lang, chunk[0].id, link=bool(chunk[0].link))
            else:
                view = shared_check_in_view(
                    catalog,
                    [(item.id, self.announcements.lang(item), item.title, bool(item.link)) for item in chunk],
                )
            content = "\n".join(self._start_line(item) for item in chunk)
            try:
                message = await channel.send(
                    content, view=view, allowed_mentions=discord.AllowedMentions.none()
                )
            except Exception as error:
                outcomes.update((item.id, error) for item in chunk)
            else:
                outcomes.update((item.id, message.id) for item in chunk)
        return outcomes

    def _start_line(self, occurrence: Occurrence) -> str:
        return _render.start_text(
            self.bot.catalog, self.announcements.lang(occurrence), occurrence, link_button=True
        )

    def _start_chunks(self, occurrences: list[Occurrence]) -> list[list[Occurrence]]:
        """``occurrences`` in order, grouped so each group's lines fit in one message and its buttons
        (Check in for each, "Join" for each with a meeting link) within a message's 25 components."""
        chunks: list[list[Occurrence]] = []
        length = 0
        buttons = 0
        for item in occurrences:
            line = len(self._start_line(item)) + 1
            button = 2 if item.link else 1
            if not chunks or length + line > MESSAGE_CONTENT or buttons + button > MAX_COMPONENTS:
                chunks.append([])
                length = 0
                buttons = 0
            chunks[-1].append(item)
            length += line
            buttons += button
        return chunks

    async def on_end(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        plan = await self.bot.services.events.end_plan(timer.payload)
        if plan is None:
            return
        occurrence = plan.occurrence
        await self.announcements.refresh(occurrence.id, checked_in=plan.checked_in)
        guild = self.bot.get_guild(occurrence.guild_id)
        channel = text_channel(guild, occurrence.channel_id) if guild is not None else None
        if channel is None:
            return
        try:
            async for message in self._start_posts(channel, occurrence):
                # A post shared with events starting together keeps their buttons as they are.
                await message.edit(
                    view=closing_check_in_view(
                        message, self.bot.catalog, self.announcements.lang(occurrence), occurrence.id
                    )
                )
        except discord.HTTPException:
            log.warning(
                "Could not disable the Check in button of occurrence %s", occurrence.id, exc_info=True
            )

    async def on_horizon(self, timer: Timer) -> None:
        await self.bot.wait_until_ready()
        guild_id = timer.payload.get("guild_id")
        added = await self.bot.services.events.extend_horizons(
            guild_id if isinstance(guild_id, int) else None
        )
        log.info("Event horizon extended: %d occurrence(s) added", added)

    async def seed_calendar(self, guild: discord.Guild) -> None:
        """Create the configured recurring calendar in ``guild`` (once; restarts find it there)."""
        config = self.bot.config
        if config.calendar and self.bot.user is not None:
            await self._seed(guild)
        # Also arms the guild's daily horizon timer if none is pending (idempotent).
        await self.bot.services.events.extend_horizons(guild.id)

    async def _seed(self, guild: discord.Guild) -> None:
        config = self.bot.config
        assert self.bot.user is not None
        result = await self.bot.services.events.seed_calendar(
            guild.id,
            config.calendar,
            {channel.name: channel.id for channel in guild.text_channels},
            self.bot.roles.audience_ids(guild),  # pinned by id, duplicates refused (bot.core.roles)
            config.language,
            organiser_id=self.bot.user.id,
        )
        for key, reason in result.skipped.items():
            log.warning("Calendar entry %s not created in guild %s: missing %s", key, guild.id, reason)
