"""Command strings keyed into the catalogs, with the English catalog text as Discord's default."""

from __future__ import annotations

import functools

from discord.app_commands import locale_str

from bot.i18n import FALLBACK, Catalog


@functools.cache
def _english() -> dict[str, str]:
    return Catalog.load().messages[FALLBACK]


def cmd_str(key: str) -> locale_str:
    """``locale_str`` for a command name, description, option or choice.

    The default text (what English-speaking members, and Discord itself, see) is the English catalog
    entry, so it never drifts from the translations; a missing key fails at import, not in Discord.
    """
    try:
        return locale_str(_english()[key], key=key)
    except KeyError:
        raise KeyError(f"command string {key!r} is missing from the English catalog") from None
