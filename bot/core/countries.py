"""Country suggestions for autocomplete, shared by every command with a country option (/org, /wg)."""

from __future__ import annotations

from discord import app_commands

from bot import countries
from bot.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, clip


def country_choices(typed: str, lang: str) -> list[app_commands.Choice[str]]:
    """Countries matching what was typed, named in ``lang``, the ISO code as the value."""
    found = countries.search_countries(typed, lang, limit=AUTOCOMPLETE_CHOICES)
    return [app_commands.Choice(name=clip(c.name, CHOICE_NAME), value=c.code) for c in found]
