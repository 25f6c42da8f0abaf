"""Slash command names and descriptions in French and Spanish, from the same catalogs as messages."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import Catalog

# Discord locales we publish translations for, and the catalog language each one reads.
DISCORD_LOCALES: dict[discord.Locale, str] = {
    discord.Locale.french: "fr",
    discord.Locale.spain_spanish: "es",
    discord.Locale.latin_american_spanish: "es",
}


class CatalogTranslator(app_commands.Translator):
    """Translates ``locale_str(default, key="cmd....")`` through the catalogs.

    Strings without a ``key`` extra stay untranslated (Discord then shows the default).
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        lang = DISCORD_LOCALES.get(locale)
        if key is None or lang is None:
            return None
        return self.catalog.messages[lang].get(key)
