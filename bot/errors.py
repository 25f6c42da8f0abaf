"""Errors a user can fix. Raised by services, rendered by the command tree's error handler."""

from __future__ import annotations

from typing import Any


class Term(str):
    """A catalog key passed as an error parameter, shown translated: ``field=Term("events.fields.title")``
    reads "Title" to an English member and "Titre" to a French one."""

    __slots__ = ()

    @property
    def key(self) -> str:
        return str(self)


class Choices:
    """The translated names of a fixed set of choices, as an error parameter: ``choices=Choices(
    "events_ui.recurrence", RECURRENCES)`` reads "“Does not repeat”, “Every week” or “Every year”"
    in English and "« Ne se répète pas », « Chaque semaine » ou « Chaque année »" in French. Each
    name is the catalog entry ``<prefix>.<value>``; the values themselves are never shown."""

    __slots__ = ("prefix", "values")

    def __init__(self, prefix: str, values: tuple[str, ...] | list[str]) -> None:
        self.prefix = prefix
        self.values = tuple(values)

    def __repr__(self) -> str:
        return f"Choices({self.prefix!r}, {self.values!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Choices) and (self.prefix, self.values) == (other.prefix, other.values)

    def __hash__(self) -> int:
        return hash((self.prefix, self.values))


class UserFacingError(Exception):
    """Something the user can fix: shown ephemerally, translated into their language.

    ``key`` is a translation key; ``params`` fill its placeholders (``Term`` and ``Choices`` values
    are translated first). Quote a member's input only through ``bot.limits.excerpt`` so the reply
    stays short.
    """

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"UserFacingError({self.key!r}, {self.params!r})"


class NotFound(UserFacingError):
    """An id the user gave does not exist (or is no longer usable)."""


class PermissionDenied(UserFacingError):
    """The user lacks the role or permission this action needs."""
