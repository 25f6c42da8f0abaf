"""The command tree's single error handler, shared by buttons, selects and modals.

What the user caused (``UserFacingError``, failed checks) is shown ephemerally in their language.
Anything else is logged with its traceback under a short error id, and the user gets a generic
reply quoting that id so a report can be matched to the log.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.core.checks import NotModerator
from bot.core.replies import reply
from bot.errors import UserFacingError
from bot.i18n import LANGUAGES

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)


def translated_params(bot: WimBot, lang: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Error parameters with every ``Term`` (a catalog key, such as a field name), list of terms ("View
    Channel, Embed Links") and ``Choices`` (the names of a fixed set of choices) in ``lang``."""
    return bot.catalog.render_params(lang, params)


def _user_message(bot: WimBot, lang: str, error: BaseException) -> str | None:
    """The translated text for an error the user can fix, or None for a bug."""
    t = bot.catalog.t
    if isinstance(error, UserFacingError):
        return t(lang, error.key, **translated_params(bot, lang, error.params))
    if isinstance(error, NotModerator):
        return t(lang, "errors.not_moderator")
    if isinstance(error, app_commands.NoPrivateMessage):
        return t(lang, "errors.guild_only")
    if isinstance(error, app_commands.CommandOnCooldown):
        return t(lang, "errors.cooldown", seconds=round(error.retry_after))
    if isinstance(error, app_commands.BotMissingPermissions):
        return t(lang, "errors.bot_missing_permissions", permissions=", ".join(error.missing_permissions))
    if isinstance(error, app_commands.MissingPermissions):
        return t(lang, "errors.not_moderator")
    if isinstance(error, app_commands.TransformerError):
        return t(lang, "errors.not_found")
    if isinstance(error, discord.Forbidden):
        return t(lang, "errors.bot_missing_permissions", permissions=error.text or "?")
    return None


async def handle_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the interaction about ``error``: translated for user errors, an error id for bugs."""
    bot: WimBot = interaction.client  # type: ignore[assignment]  # typed Client; the tree runs in a WimBot
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    lang = bot.lang_for(interaction)
    message = _user_message(bot, lang, error)
    if message is None:
        error_id = secrets.token_hex(4)
        command = interaction.command.qualified_name if interaction.command else None
        custom_id = interaction.data.get("custom_id") if interaction.data else None
        log.error(
            "Unexpected error %s in interaction (command=%s, custom_id=%s, user=%s, guild=%s)",
            error_id,
            command,
            custom_id,
            interaction.user.id,
            interaction.guild_id,
            exc_info=error,
        )
        message = bot.catalog.t(lang, "errors.generic", error_id=error_id)
    try:
        await reply(interaction, message, ephemeral=True)
    except discord.HTTPException:
        # The interaction expired or was answered elsewhere; the log above keeps the trail.
        log.warning("Could not deliver the error reply for interaction %s", interaction.id, exc_info=True)


@asynccontextmanager
async def reporting_errors(interaction: discord.Interaction) -> AsyncIterator[None]:
    """Wrap a component callback so its errors reach the user like a command's would.

    discord.py only logs exceptions raised in a DynamicItem callback, leaving the click unanswered.
    """
    try:
        yield
    except Exception as error:
        await handle_interaction_error(interaction, error)


def interaction_language(interaction: discord.Interaction) -> str | None:
    """The catalog language of the member's Discord client ("fr" for fr, "es" for es-419), or None
    when it is none of the catalogs' (a German member keeps the guild's language)."""
    if interaction.locale is None:
        return None
    lang = str(interaction.locale).split("-")[0].lower()
    return lang if lang in LANGUAGES else None


async def remember_language(interaction: discord.Interaction) -> None:
    """Remember, once per interaction, the language the member uses Discord in, so what the bot sends
    them later outside any interaction (reminder DMs, change notices) speaks it.

    Wired by ``WimBot`` as an ``on_interaction`` listener: every command, button, select and modal in
    a guild passes here, so no handler does it by hand. Autocomplete is skipped (it fires per keystroke).
    Best effort: the member's action never fails because of it; the service writes only on a change.
    """
    if interaction.guild_id is None or interaction.type == discord.InteractionType.autocomplete:
        return
    lang = interaction_language(interaction)
    if lang is None:
        return
    bot: WimBot = interaction.client  # type: ignore[assignment]  # typed Client; the tree runs in a WimBot
    try:
        await bot.services.members.remember_language(interaction.guild_id, interaction.user.id, lang)
    except Exception:
        log.warning("Could not remember the language of member %s", interaction.user.id, exc_info=True)


class WimTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await handle_interaction_error(interaction, error)
