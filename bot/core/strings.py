"""Command strings keyed into the catalogs, with the English catalog text as Discord's default."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from discord import app_commands
from discord.app_commands import locale_str

from bot.i18n import FALLBACK, LANGUAGES, Catalog

T = TypeVar("T")


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


def language_choices() -> list[app_commands.Choice[str]]:
    """The bot's languages as command choices: names from ``languages.<code>`` (core.yml), so each
    member reads them in their own language ("Anglais, Français, Espagnol"); values are the codes."""
    return [app_commands.Choice(name=cmd_str(f"languages.{code}"), value=code) for code in LANGUAGES]


class CommandText:
    """Every keyed string of one command, from its path given once.

    ``CREATE = CommandText("event.create")`` then::

        @CREATE.command(event_group)          # name and description: cmd.event.create.{name,description}
        @CREATE.options("title", "start")     # rename + describe: cmd.event.create.options.<option>.*
        @app_commands.choices(recurrence=CREATE.choices(RECURRENCES))  # cmd.event.create.choices.<value>
        async def create(...): ...

    ``CommandText("about").command()`` makes a top-level command; ``CommandText("event").group()`` a group.
    Every key must exist in the English catalog (checked at import, like ``cmd_str``).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.prefix = f"cmd.{path}"

    @property
    def name(self) -> locale_str:
        return cmd_str(f"{self.prefix}.name")

    @property
    def description(self) -> locale_str:
        return cmd_str(f"{self.prefix}.description")

    def option_name(self, option: str) -> locale_str:
        return cmd_str(f"{self.prefix}.options.{option}.name")

    def option_description(self, option: str) -> locale_str:
        return cmd_str(f"{self.prefix}.options.{option}.description")

    def options(self, *options: str) -> Callable[[T], T]:
        """``app_commands.rename`` + ``app_commands.describe`` for these options, in one decorator."""
        names = {option: self.option_name(option) for option in options}
        descriptions = {option: self.option_description(option) for option in options}

        def decorator(func: T) -> T:
            return app_commands.rename(**names)(app_commands.describe(**descriptions)(func))

        return decorator

    def choices(self, values: Iterable[str]) -> list[app_commands.Choice[str]]:
        """Choices named from ``cmd.<path>.choices.<value>``; the values stay stable ids."""
        return [
            app_commands.Choice(name=cmd_str(f"{self.prefix}.choices.{value}"), value=value)
            for value in values
        ]

    def command(
        self, group: app_commands.Group | None = None, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], app_commands.Command[Any, ..., Any]]:
        """``group.command(name=..., description=...)`` (or a top-level ``app_commands.command``)."""
        if group is None:
            return app_commands.command(name=self.name, description=self.description, **kwargs)
        return group.command(name=self.name, description=self.description, **kwargs)

    def group(self, **kwargs: Any) -> app_commands.Group:
        """A top-level ``app_commands.Group`` named and described from the catalog."""
        return app_commands.Group(name=self.name, description=self.description, **kwargs)
