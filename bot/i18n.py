"""Translation layer: every user-facing string is looked up by key in the en, fr and es catalogs.

Catalogs live in ``bot/locales/<lang>/<feature>.yml`` as nested mappings; nested keys join with dots
(``events: {created: ...}`` is ``events.created``). Each feature owns its own file, so features
never edit each other's catalogs. Values are ``str.format`` templates with named placeholders.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from importlib import resources
from importlib.abc import Traversable
from typing import Any

from bot import yamlfile

log = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("en", "fr", "es")
FALLBACK = "en"


def _flatten(prefix: str, node: Any, out: dict[str, str], origin: str) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out, origin)
    elif isinstance(node, str):
        if prefix in out:
            raise ValueError(f"translation key {prefix!r} defined twice ({origin})")
        out[prefix] = node
    else:
        raise ValueError(f"translation {prefix!r} in {origin} must be text, not {type(node).__name__}")


def placeholders(template: str) -> set[str]:
    """The named fields of a format template: "Hi {name}" -> {"name"}."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Catalog:
    def __init__(self, messages: dict[str, dict[str, str]]) -> None:
        self.messages = messages

    @classmethod
    def load(cls, root: Traversable | None = None) -> Catalog:
        """Every ``<lang>/*.yml`` under ``root`` (default: the ``bot.locales`` package)."""
        messages: dict[str, dict[str, str]] = {}
        root = root if root is not None else resources.files("bot.locales")
        for lang in LANGUAGES:
            flat: dict[str, str] = {}
            for entry in sorted(root.joinpath(lang).iterdir(), key=lambda e: e.name):
                if entry.name.endswith(".yml"):
                    origin = f"{lang}/{entry.name}"
                    try:
                        data = yamlfile.load(entry.read_text(encoding="utf-8")) or {}
                    except yamlfile.DuplicateKeyError as exc:
                        raise ValueError(
                            f"translation key {exc.path!r} is written twice in {origin}, on lines "
                            f"{exc.first_line} and {exc.second_line}: one of the two translations is lost"
                        ) from None
                    _flatten("", data, flat, origin)
            messages[lang] = flat
        return cls(messages)

    def has(self, key: str, lang: str = FALLBACK) -> bool:
        return key in self.messages.get(lang, {})

    def get(self, lang: str, key: str) -> str | None:
        """The raw template, or None when no catalog has the key."""
        template = self.messages.get(lang, {}).get(key)
        if template is None:
            template = self.messages[FALLBACK].get(key)
        return template

    def t(self, lang: str, key: str, **params: Any) -> str:
        """Translate ``key`` into ``lang`` (falling back to English) and fill its placeholders."""
        template = self.get(lang, key)
        if template is None:
            log.error("Missing translation key %r", key)
            return key
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            log.exception("Bad placeholders for translation %r in %s", key, lang)
            return template


def language_for(locale: str | None, default: str) -> str:
    """Map a Discord locale ("fr", "es-ES", "es-419", "en-GB") to a catalog language."""
    if locale:
        base = str(locale).split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return default if default in LANGUAGES else FALLBACK
