"""The section reader and the scalar checks every block parser of the configuration shares.

Each check takes the key path of the value it reads, so an error names it (``calendar[1].start``) and
says what is expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import time
from typing import Any, TypeVar

import msgspec

from bot.i18n import LANGUAGES
from bot.timeutil import get_zone

# Stable ids end up in the database and in custom_ids: keep them short, lowercase and URL-safe.
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ConfigError(ValueError):
    """The configuration is invalid. ``str(error)`` is "key.path: what is expected"."""

    def __init__(self, key: str, expected: str) -> None:
        super().__init__(f"{key}: {expected}")
        self.key = key
        self.expected = expected


class Localized(msgspec.Struct, frozen=True):
    en: str
    fr: str
    es: str

    def get(self, lang: str) -> str:
        """The text in ``lang``; English for a language the bot does not speak."""
        return str(getattr(self, lang)) if lang in LANGUAGES else self.en


T = TypeVar("T")


def type_name(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


class Section:
    """A mapping under validation: knows its key path, refuses unknown keys, names errors."""

    def __init__(self, path: str, data: Any, allowed: tuple[str, ...]) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(path or "(top level)", f"expected a mapping of keys, got {type_name(data)}")
        for key in data:
            if not isinstance(key, str):
                raise ConfigError(self._join(path, str(key)), "keys must be text")
            if key not in allowed:
                raise ConfigError(
                    self._join(path, key), f"unknown key; expected one of: {', '.join(allowed)}"
                )
        self.path = path
        self.data = data

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def key(self, name: str) -> str:
        return self._join(self.path, name)

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def raw(self, name: str) -> Any:
        if name not in self.data or self.data[name] is None:
            raise ConfigError(self.key(name), "is required")
        return self.data[name]

    def text(self, name: str, default: str | None = None, *, max_length: int = 200) -> str:
        if default is not None and not self.has(name):
            return default
        return text(self.key(name), self.raw(name), max_length=max_length)

    def optional_text(self, name: str, *, max_length: int = 200) -> str | None:
        if not self.has(name):
            return None
        return text(self.key(name), self.data[name], max_length=max_length)

    def integer(self, name: str, low: int, high: int, default: int | None = None) -> int:
        if default is not None and not self.has(name):
            return default
        return integer(self.key(name), self.raw(name), low, high)

    def section(self, name: str, allowed: tuple[str, ...], *, required: bool = False) -> Section:
        if not self.has(name):
            if required:
                raise ConfigError(self.key(name), "is required")
            return Section(self.key(name), {}, allowed)
        return Section(self.key(name), self.data[name], allowed)

    def items(self, name: str) -> list[tuple[str, Any]]:
        """A list value as (key path, item) pairs; missing means empty."""
        if not self.has(name):
            return []
        value = self.data[name]
        if not isinstance(value, list):
            raise ConfigError(self.key(name), f"expected a list, got {type_name(value)}")
        return [(f"{self.key(name)}[{index}]", item) for index, item in enumerate(value)]


def text(path: str, value: Any, *, max_length: int = 200) -> str:
    if not isinstance(value, str):
        raise ConfigError(path, f"expected text, got {type_name(value)}")
    stripped = value.strip()
    if not stripped:
        raise ConfigError(path, "expected non-empty text")
    if len(stripped) > max_length:
        raise ConfigError(path, f"expected at most {max_length} characters, got {len(stripped)}")
    return stripped


def integer(path: str, value: Any, low: int, high: int) -> int:
    # bool is an int in Python; "yes" in YAML is never a number the user meant.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(path, f"expected a whole number from {low} to {high}, got {type_name(value)}")
    if not low <= value <= high:
        raise ConfigError(path, f"expected a whole number from {low} to {high}, got {value}")
    return value


def checked(path: str, parse: Callable[[str], T], value: str, expected: str) -> T:
    try:
        return parse(value)
    except ValueError:
        raise ConfigError(path, f"{expected}, got {value!r}") from None


def zone_name(path: str, value: Any) -> str:
    name = text(path, value, max_length=64)
    checked(path, get_zone, name, "expected an IANA time zone such as Europe/Paris or America/Lima")
    return name


def localized(path: str, value: Any, *, max_length: int) -> Localized:
    section = Section(path, value, LANGUAGES)
    texts = {lang: section.text(lang, max_length=max_length) for lang in LANGUAGES}
    return Localized(**texts)


def slug(path: str, value: Any) -> str:
    key = text(path, value, max_length=40)
    if not KEY_PATTERN.match(key):
        raise ConfigError(
            path, f"expected lowercase letters, digits and dashes (like global-wim-call), got {key!r}"
        )
    return key


def clock_time(path: str, value: Any) -> time:
    # YAML 1.1 reads an unquoted 09:00 as the sexagesimal number 540: say to quote it.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ConfigError(path, 'expected a quoted "HH:MM" time such as "09:00"')
    written = text(path, value, max_length=5)
    match = TIME_PATTERN.match(written)
    if match is None:
        raise ConfigError(path, f'expected a 24-hour "HH:MM" time such as "09:00", got {written!r}')
    return time(int(match.group(1)), int(match.group(2)))


def choice(path: str, value: Any, allowed: tuple[str, ...]) -> str:
    chosen = text(path, value, max_length=40)
    if chosen not in allowed:
        raise ConfigError(path, f"expected one of {', '.join(allowed)}, got {chosen!r}")
    return chosen


def optional_localized(section: Section, name: str, *, max_length: int) -> Localized | None:
    return (
        localized(section.key(name), section.data[name], max_length=max_length) if section.has(name) else None
    )
