"""Time-zone suggestions for autocomplete, shared by every command with a zone option."""

from __future__ import annotations

from typing import Final

from discord import app_commands

from bot.limits import AUTOCOMPLETE_CHOICES
from bot.timeutil import all_zone_names

MAX_TYPED: Final = 64  # longer than any IANA name: nothing would match


def zone_choices(typed: str) -> list[app_commands.Choice[str]]:
    """IANA zones matching what was typed ("paris", "new york", "America/"): name-start matches first,
    then city-start matches, then anywhere; at most 25, as Discord allows."""
    needle = typed.strip().casefold().replace(" ", "_")
    zones = all_zone_names()
    if not needle:
        return [app_commands.Choice(name=zone, value=zone) for zone in zones[:AUTOCOMPLETE_CHOICES]]
    if len(needle) > MAX_TYPED:
        return []

    def rank(zone: str) -> int | None:
        folded = zone.casefold()
        if folded.startswith(needle):
            return 0
        if folded.rsplit("/", 1)[-1].startswith(needle):
            return 1
        if needle in folded:
            return 2
        return None

    ranked = sorted((r, zone) for zone in zones if (r := rank(zone)) is not None)
    return [app_commands.Choice(name=zone, value=zone) for _, zone in ranked[:AUTOCOMPLETE_CHOICES]]
