"""Direct messages to members."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.limits import MESSAGE_CONTENT, clip

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)


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
