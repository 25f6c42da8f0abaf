"""What the /wg command modules share: the choice lists and the parsing of typed options.

``/wg create`` and ``/wg status`` are children of /wg itself, not of a sub-group, yet live in
``_manage.py`` and ``_work.py``: they are marked with ``bot.core.subcommands.subcommand`` and the cog
calls ``add_subcommands``.
"""

from __future__ import annotations

from typing import Final

from discord import app_commands

from bot.core.strings import cmd_str
from bot.errors import NotFound
from bot.services.working_groups import DELIVERABLE_KINDS, INITIATIVE_KINDS, STATUSES, Texts

__all__ = [
    "INITIATIVE_CHOICES",
    "KIND_CHOICES",
    "STATUS_CHOICES",
    "blank",
    "parse_id",
    "texts",
]


def _choices(values: tuple[str, ...], prefix: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=cmd_str(f"{prefix}.{value}"), value=value) for value in values]


STATUS_CHOICES: Final = _choices(STATUSES, "cmd.wg.choices.status")
KIND_CHOICES: Final = _choices(DELIVERABLE_KINDS, "cmd.wg.choices.kind")
INITIATIVE_CHOICES: Final = _choices(INITIATIVE_KINDS, "cmd.wg.choices.initiative")


def blank(value: str | None) -> str | None:
    """None for an option left out or only spaces."""
    return None if value is None or not value.strip() else value


def parse_id(value: str, error: str) -> int:
    """An autocomplete value (a row id); anything else typed by hand is ``NotFound(error)``."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    raise NotFound(error)


def texts(lang: str, value: str | None) -> Texts:
    return Texts({lang: value.strip()} if value and value.strip() else {})
