"""Direct messages to many members, each in their own language.

``dm_members`` reads every recipient's remembered language and DM setting in ONE query
(``MemberSettingsService.dm_profiles``), renders the text (and its buttons, if any) once per language
and sends it. Members who
turned reminder DMs off are skipped (unless ``respect_opt_out=False``); closed DMs are reported, never
retried. A member the bot never saw gets the guild's language (``config.language``).

Within Discord's limits: opening a DM channel is a request of its own with a tight bucket (10 per
10 s), so each member's DM channel id is kept (``DmChannels``, on the bot) and opened once per run;
later DMs go straight to it. ``dm_members`` sends up to ``DM_CONCURRENCY`` DMs at once, and every
request leaves through the bot's pacer (``bot.core.pacing``), so a DM to a whole working group waits
its turn instead of earning 429s.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
import msgspec

from bot.limits import MESSAGE_CONTENT, clip

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

# How many of a DM channel's latest messages a resumed run looks through (see dm_members).
RESUME_SEARCH_LIMIT = 10
# DMs of one dm_members call in flight at once: enough to fill the pacer, few enough to stay polite.
DM_CONCURRENCY = 8
# DM channel ids kept (about 100 bytes each): every member of a large server, without bound growth.
DM_CHANNELS_KEPT = 20_000


class DmChannels:
    """Member id -> their DM channel id, most recently used kept (a channel id never changes)."""

    def __init__(self, capacity: int = DM_CHANNELS_KEPT) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[int, int] = OrderedDict()
        self._opening: dict[int, asyncio.Future[int]] = {}
        self.opened = 0  # DM channels opened through Discord (the others came from here)

    def get(self, user_id: int) -> int | None:
        channel_id = self._ids.get(user_id)
        if channel_id is not None:
            self._ids.move_to_end(user_id)
        return channel_id

    def put(self, user_id: int, channel_id: int) -> None:
        self._ids[user_id] = channel_id
        self._ids.move_to_end(user_id)
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)

    def forget(self, user_id: int) -> None:
        self._ids.pop(user_id, None)

    async def channel_id(self, bot: WimBot, user_id: int) -> int:
        """The member's DM channel id, opened through Discord only the first time (once, even when
        several DMs to them start together). Raises discord.HTTPException as Discord answers."""
        known = self.get(user_id)
        if known is not None:
            return known
        cached = bot.get_user(user_id)
        if cached is not None and cached.dm_channel is not None:
            self.put(user_id, cached.dm_channel.id)
            return cached.dm_channel.id
        pending = self._opening.get(user_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._opening[user_id] = future
        try:
            data = await bot.http.start_private_message(user_id)
            channel_id = int(data["id"])
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
            raise
        finally:
            del self._opening[user_id]
        self.opened += 1
        self.put(user_id, channel_id)
        future.set_result(channel_id)
        return channel_id


class DmResult(msgspec.Struct, frozen=True):
    """Who got the message, whose DMs are closed (or who left), and who opted out of DMs."""

    sent: tuple[int, ...] = ()
    closed: tuple[int, ...] = ()
    opted_out: tuple[int, ...] = ()


async def send_dm(
    bot: WimBot,
    user_id: int,
    content: str | None,
    *,
    embeds: Sequence[discord.Embed] = (),
    view: discord.ui.View | None = None,
) -> bool:
    """DM a member; False when their DMs are closed or they left (never worth a retry).

    ``embeds`` (at most 10, within Discord's limits: the caller laid them out) go with the content;
    ``view``: persistent buttons (an election's Accept / Decline).
    Other HTTP errors (Discord unavailable) propagate, so a timer handler calling this is retried.
    """
    try:
        channel_id = await bot.dm_channels.channel_id(bot, user_id)
        channel = bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        try:
            extra: dict[str, Any] = {"embeds": list(embeds)} if embeds else {}
            if view is not None:
                extra["view"] = view
            await channel.send(
                clip(content, MESSAGE_CONTENT) if content else None,
                allowed_mentions=discord.AllowedMentions.none(),
                **extra,
            )
        except discord.NotFound:
            bot.dm_channels.forget(user_id)  # the channel is gone: open it again next time
            raise
    except discord.Forbidden as error:
        log.info("Not DMing user %s: %s (code %s)", user_id, error.text, error.code)
        return False
    except discord.NotFound:
        log.info("Not DMing user %s: unknown user", user_id)
        return False
    return True


async def send_dm_once(bot: WimBot, user_id: int, content: str, *, resume_after: datetime | None) -> bool:
    """:func:`send_dm` for a timer whose one DM is its last step: with ``resume_after`` (Discord time,
    when an earlier run may have started: see ``bot.core.outbox.may_have_run``) the member's DM
    channel is checked first, and a DM that run sent before it could finish counts as delivered."""
    if resume_after is not None and await _sent_before(bot, user_id, content, resume_after):
        log.info("DM to user %s was already sent by an earlier run", user_id)
        return True
    return await send_dm(bot, user_id, content)


async def already_sent(bot: WimBot, user_id: int, content: str, *, after: datetime) -> bool:
    """True when the bot's DM channel with that member holds ``content`` from the bot since ``after``
    (Discord time): a DM an earlier run sent before it could record it."""
    user = bot.get_user(user_id) or await bot.fetch_user(user_id)
    channel = user.dm_channel or await user.create_dm()
    wanted = clip(content, MESSAGE_CONTENT)
    bot_id = bot.user.id if bot.user is not None else None
    async for message in channel.history(limit=RESUME_SEARCH_LIMIT, after=after):
        if message.author.id == bot_id and message.content == wanted:
            return True
    return False


async def dm_members(
    bot: WimBot,
    guild_id: int,
    user_ids: Iterable[int],
    render: Callable[[str], str],
    *,
    view: Callable[[str], discord.ui.View | None] | None = None,
    respect_opt_out: bool = True,
    on_each: Callable[[int, bool], Awaitable[None]] | None = None,
    resume_after: datetime | None = None,
) -> DmResult:
    """DM each member ``render(their language)``; one query for every language and DM setting.

    ``view(language)``: the DM's buttons in that language (a reminder's "Join the meeting"), built
    once per language like the text and shared by every DM in it: only persistent ``DynamicItem``
    buttons, which keep no state per message (the click reads the database).

    ``await on_each(user_id, delivered)`` runs after each attempt (a timer handler records each DM
    there, so a retry skips who already got it). The DMs start in the given order, a few at a time,
    each recorded right after it went, so when an earlier run died (a crash, or Discord failing after
    sending) only the first few members still to do may have got theirs unrecorded: with
    ``resume_after`` (Discord time, when that run may have started), their DM channels are checked
    first.
    """
    ids = list(dict.fromkeys(user_ids))
    profiles = await bot.services.members.dm_profiles(guild_id, ids)
    texts: dict[str, str] = {}
    views: dict[str, discord.ui.View | None] = {}
    outcome: dict[int, bool] = {}
    opted_out: list[int] = []
    recipients: list[tuple[int, str, str]] = []
    for user_id in ids:
        profile = profiles[user_id]
        if respect_opt_out and not profile.dm_reminders:
            opted_out.append(user_id)
            continue
        lang = profile.language or bot.config.language
        if lang not in texts:
            texts[lang] = render(lang)
            views[lang] = view(lang) if view is not None else None
        recipients.append((user_id, lang, texts[lang]))
    slots = asyncio.Semaphore(DM_CONCURRENCY)
    # DMs start in the given order, at most DM_CONCURRENCY at once, each recorded (on_each) as soon as
    # it went: after a run that died, only the first DM_CONCURRENCY members still to do can have got
    # theirs unrecorded, so with ``resume_after`` only their DM channels are checked first.
    suspects = (
        {user_id for user_id, _, _ in recipients[:DM_CONCURRENCY]} if resume_after is not None else set()
    )

    async def deliver(user_id: int, lang: str, text: str) -> None:
        async with slots:
            if user_id in suspects and resume_after is not None:
                delivered = await _sent_before(bot, user_id, text, resume_after)
                delivered = delivered or await send_dm(bot, user_id, text, view=views[lang])
            else:
                delivered = await send_dm(bot, user_id, text, view=views[lang])
            outcome[user_id] = delivered
            if on_each is not None:
                await on_each(user_id, delivered)

    # Every DM is attempted even when one fails; the first failure is raised afterwards (a timer
    # handler is then retried, and on_each has recorded who already got theirs).
    results = await asyncio.gather(
        *(deliver(user_id, lang, text) for user_id, lang, text in recipients), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    sent = tuple(user_id for user_id, _, _ in recipients if outcome.get(user_id))
    closed = tuple(user_id for user_id, _, _ in recipients if outcome.get(user_id) is False)
    return DmResult(sent=sent, closed=closed, opted_out=tuple(opted_out))


async def _sent_before(bot: WimBot, user_id: int, content: str, after: datetime) -> bool:
    try:
        return await already_sent(bot, user_id, content, after=after)
    except (discord.Forbidden, discord.NotFound):
        return False  # closed DMs or a member who left: send_dm says so
