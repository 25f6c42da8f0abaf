"""Direct messages to many members, each in their own language.

``dm_members`` reads every recipient's remembered language and DM setting in ONE query
(``MemberSettingsService.dm_profiles``), renders the text once per language and sends it. Members who
turned reminder DMs off are skipped (unless ``respect_opt_out=False``); closed DMs are reported, never
retried. A member the bot never saw gets the guild's language (``config.language``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.limits import MESSAGE_CONTENT, clip

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

# How many of a DM channel's latest messages a resumed run looks through (see dm_members).
RESUME_SEARCH_LIMIT = 10


@dataclass(frozen=True)
class DmResult:
    """Who got the message, whose DMs are closed (or who left), and who opted out of DMs."""

    sent: tuple[int, ...] = ()
    closed: tuple[int, ...] = ()
    opted_out: tuple[int, ...] = ()


async def send_dm(bot: WimBot, user_id: int, content: str) -> bool:
    """DM a member; False when their DMs are closed or they left (never worth a retry).

    Other HTTP errors (Discord unavailable) propagate, so a timer handler calling this is retried.
    """
    try:
        user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        await user.send(clip(content, MESSAGE_CONTENT), allowed_mentions=discord.AllowedMentions.none())
    except discord.Forbidden as error:
        log.info("Not DMing user %s: %s (code %s)", user_id, error.text, error.code)
        return False
    except discord.NotFound:
        log.info("Not DMing user %s: unknown user", user_id)
        return False
    return True


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
    respect_opt_out: bool = True,
    on_each: Callable[[int, bool], Awaitable[None]] | None = None,
    resume_after: datetime | None = None,
) -> DmResult:
    """DM each member ``render(their language)``; one query for every language and DM setting.

    ``await on_each(user_id, delivered)`` runs after each attempt (a timer handler records each DM
    there, so a retry skips who already got it). The DMs go one at a time in the given order, each
    recorded right after it went, so when an earlier run died (a crash, or Discord failing after
    sending) only the first member still to do may have got it unrecorded: with ``resume_after``
    (Discord time, when that run may have started), that member's DM channel is checked first.
    """
    ids = list(dict.fromkeys(user_ids))
    profiles = await bot.services.members.dm_profiles(guild_id, ids)
    texts: dict[str, str] = {}
    sent: list[int] = []
    closed: list[int] = []
    opted_out: list[int] = []
    for user_id in ids:
        profile = profiles[user_id]
        if respect_opt_out and not profile.dm_reminders:
            opted_out.append(user_id)
            continue
        lang = profile.language or bot.config.language
        if lang not in texts:
            texts[lang] = render(lang)
        if resume_after is not None and await _sent_before(bot, user_id, texts[lang], resume_after):
            delivered = True
        else:
            delivered = await send_dm(bot, user_id, texts[lang])
        resume_after = None  # only the first member sent to can have been sent to unrecorded
        (sent if delivered else closed).append(user_id)
        if on_each is not None:
            await on_each(user_id, delivered)
    return DmResult(sent=tuple(sent), closed=tuple(closed), opted_out=tuple(opted_out))


async def _sent_before(bot: WimBot, user_id: int, content: str, after: datetime) -> bool:
    try:
        return await already_sent(bot, user_id, content, after=after)
    except (discord.Forbidden, discord.NotFound):
        return False  # closed DMs or a member who left: send_dm says so
