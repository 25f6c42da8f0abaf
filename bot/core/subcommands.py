"""Commands of one group written in several modules: how a feature's module adds its commands to
the cog's group.

``/wg create`` is a child of /wg itself, not of a sub-group, yet lives in ``cogs/working_groups/
_manage.py``; ``/poll election`` lives in ``cogs/consultations/_elections.py``. A method marked
``@subcommand(CommandText(...))`` there becomes an ``app_commands.Command`` bound to its module's
object (discord.py unwraps a bound method's ``__self__`` as the command's binding) when the cog calls
``add_subcommands`` in its ``__init__``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Final, TypeVar

from discord import app_commands

from bot.core.strings import CommandText

F = TypeVar("F", bound=Callable[..., Coroutine[Any, Any, None]])

_SUBCOMMAND: Final = "__subcommand__"


def subcommand(text: CommandText) -> Callable[[F], F]:
    """Marks a method as ``/<group> <name>``, named and described from ``text``; ``add_subcommands``
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
