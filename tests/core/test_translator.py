from __future__ import annotations

import discord
from discord import app_commands

from bot.core.translator import CatalogTranslator
from bot.i18n import Catalog


async def test_command_strings_are_translated_by_key_for_french_and_both_spanish_locales() -> None:
    catalog = Catalog(
        {"en": {"cmd.x.name": "about"}, "fr": {"cmd.x.name": "a-propos"}, "es": {"cmd.x.name": "acerca"}}
    )
    translator = CatalogTranslator(catalog)
    string = app_commands.locale_str("about", key="cmd.x.name")
    context: app_commands.TranslationContextTypes = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.other, None
    )
    assert await translator.translate(string, discord.Locale.french, context) == "a-propos"
    assert await translator.translate(string, discord.Locale.spain_spanish, context) == "acerca"
    assert await translator.translate(string, discord.Locale.latin_american_spanish, context) == "acerca"
    assert await translator.translate(string, discord.Locale.german, context) is None
    untranslated = app_commands.locale_str("about")
    assert await translator.translate(untranslated, discord.Locale.french, context) is None
