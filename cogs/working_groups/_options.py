"""What the /wg command modules share: the choice lists, the parsing of typed options, and how a
module's commands join the cog's /wg group.

``/wg create`` and ``/wg status`` are children of /wg itself, not of a sub-group, yet live in
``_manage.py`` and ``_work.py``: a method marked ``@subcommand(CommandText(...))`` there becomes an
``app_commands.Command`` bound to its module's object (discord.py unwraps a bound method's
``__self__`` as the command's binding) when the cog calls ``add_subcommands``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Final, TypeVar

from discord import app_commands

from bot.core.strings import CommandText, cmd_str
from bot.errors import NotFound
from bot.services.working_groups import DELIVERABLE_KINDS, INITIATIVE_KINDS, STATUSES, Texts

F = TypeVar("F", bound=Callable[..., Coroutine[Any, Any, None]])

_SUBCOMMAND: Final = "__wg_subcommand__"


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


def subcommand(text: CommandText) -> Callable[[F], F]:
    """Marks a method as ``/wg <name>``, named and described from ``text``; ``add_subcommands``
    makes the command. The option decorators (``text.options``, ``autocomplete``, ``choices``,
    checks) go below it, as under ``group.command``."""

    def mark(func: F) -> F:
        setattr(func, _SUBCOMMAND, text)
        return func

    return mark


def add_subcommands(group: app_commands.Group, owner: object) -> None:
    """Add ``owner``'s ``@subcommand`` methods to ``group``, in the order the class defines them
    (the order Discord and docs/commands.md list them in)."""
    for attr, value in vars(type(owner)).items():
        text = getattr(value, _SUBCOMMAND, None)
        if not isinstance(text, CommandText):
            continue
        command: app_commands.Command[Any, ..., Any] = app_commands.Command(
            name=text.name, description=text.description, callback=getattr(owner, attr), parent=group
        )
        group.add_command(command)
