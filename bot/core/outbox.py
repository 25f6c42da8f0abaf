"""Adopting a post an earlier outbox attempt made: shared by every feature whose timers post.

A timer that posts and then records the message id can be interrupted between the two: Discord
answered 5xx after creating the message, or the bot was killed while the answer was on its way. The
timer then runs again, and must not post a second time. Discord's history is the witness: before
posting, the handler looks at the channel's recent messages (since the timer was written) for one the
bot posted that carries this post's marker (a button's custom_id, an attachment's name, the rendered
text, a link) and records that one instead. A DM is the same question asked of a DM channel
(``bot.core.dm.send_dm_once``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.core.bot import WimBot
    from bot.services.timers import Timer

# How far back a retry looks for a post an earlier attempt made but could not record: the timer's own
# creation bounds the search too, so this only caps a very busy channel.
ADOPT_SEARCH_LIMIT = 50

log = logging.getLogger(__name__)

Matcher = Callable[[discord.Message], bool]


def may_have_run(bot: WimBot, timer: Timer) -> bool:
    """Whether an earlier run of ``timer`` may have done its Discord part without recording it: a
    retry, or a timer written before this process started (the bot died while running it, with no
    failed attempt to tell). For timers a command runs at once (``TimerService.run_now``)."""
    return timer.attempts > 0 or timer.created_at < bot.started_at


def custom_ids(message: discord.Message) -> set[str]:
    """Every component custom_id of ``message`` (buttons, selects), as Discord returned them."""
    return {
        custom_id
        for row in message.components
        for child in getattr(row, "children", [])
        if (custom_id := getattr(child, "custom_id", None)) is not None
    }


def has_custom_id(wanted: str) -> Matcher:
    """A message carrying a component with this custom_id (``wg:join:12:approve``)."""
    return lambda message: wanted in custom_ids(message)


def has_custom_id_prefix(prefix: str) -> Matcher:
    """A message carrying a component whose custom_id starts with ``prefix`` (``wg:toggle:``)."""
    return lambda message: any(custom_id.startswith(prefix) for custom_id in custom_ids(message))


def has_attachment(filename: str) -> Matcher:
    return lambda message: any(attachment.filename == filename for attachment in message.attachments)


def links_to(url: str) -> Matcher:
    """A message without components whose text holds ``url`` (a reminder line linking to its card)."""
    return lambda message: not message.components and url in message.content


def same_text(content: str | None, embed: discord.Embed | None = None) -> Matcher:
    """A message showing this content and (if given) an embed with this title, description and
    timestamp: for posts without a component, whose rendered text is their marker. Link previews
    Discord adds under a post's URLs are not the bot's embeds and are ignored."""

    def matches(message: discord.Message) -> bool:
        if (message.content or None) != (content or None):
            return False
        # Discord's default type is "rich": only link previews (link, article, image, video) say otherwise.
        embeds = [shown for shown in message.embeds if shown.type in ("rich", None)]
        if embed is None:
            return not embeds
        if len(embeds) != 1:
            return False
        shown = embeds[0]
        return (
            shown.title == embed.title
            and shown.description == embed.description
            and shown.timestamp == embed.timestamp
        )

    return matches


async def find_posted(
    bot: WimBot,
    channel: discord.abc.Messageable,
    matches: Matcher,
    *,
    since: datetime,
    skip: Collection[int] = (),
    limit: int = ADOPT_SEARCH_LIMIT,
) -> discord.Message | None:
    """The oldest message the bot posted in ``channel`` since ``since`` (the bot's clock: a timer's
    ``created_at``) that ``matches``, leaving out the ids in ``skip`` (already recorded for another
    post); None when an earlier attempt posted nothing."""
    async for message in posted(bot, channel, matches, since=since, skip=skip, limit=limit):
        return message
    return None


async def posted(
    bot: WimBot,
    channel: discord.abc.Messageable,
    matches: Matcher,
    *,
    since: datetime,
    skip: Collection[int] = (),
    limit: int = ADOPT_SEARCH_LIMIT,
) -> AsyncIterator[discord.Message]:
    """Every message :func:`find_posted` would consider, oldest first: among the ``limit`` first
    messages of ``channel`` since ``since``, the bot's that ``matches`` and are not in ``skip``."""
    if (
        isinstance(channel, discord.abc.GuildChannel)
        and not channel.permissions_for(channel.guild.me).read_message_history
    ):
        # Posting is allowed without it: the post goes out (as before there was a search) rather than
        # failing for ever on a permission only adopting needs.
        log.warning("Cannot read the history of #%s to find an earlier attempt's post", channel)
        return
    bot_id = bot.user.id if bot.user is not None else None
    async for message in channel.history(limit=limit, after=bot.discord_time(since), oldest_first=True):
        if message.author.id == bot_id and message.id not in skip and matches(message):
            yield message
