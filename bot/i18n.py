"""Translation layer: every user-facing string is looked up by key in the en, fr and es catalogs.

Catalogs live in ``bot/locales/<lang>/<feature>.yml`` as nested mappings; nested keys join with dots
(``events: {created: ...}`` is ``events.created``). Each feature owns its own file, so features
never edit each other's catalogs. Values are ``str.format`` templates with named placeholders.

A message whose wording depends on a number holds its forms under ``one`` and ``other`` (CLDR plural
categories): ``t(lang, "events_ui.edit.done", notified=1)`` picks ``events_ui.edit.done.one``. The
number is the ``count`` parameter, else the only whole-number parameter. French counts 0 as "one"
("0 membre prévenu"), English and Spanish do not.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import string
from collections.abc import Mapping
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from bot import yamlfile
from bot.errors import Choices, Term

log = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("en", "fr", "es")
FALLBACK = "en"
PLURAL_FORMS: tuple[str, ...] = ("one", "other")


def plural_form(lang: str, number: int) -> str:
    """The CLDR plural category of a whole number: French says "0 membre", English "0 members"."""
    if lang == "fr":
        return "one" if number in (0, 1) else "other"
    return "one" if number == 1 else "other"


def _plural_number(params: Mapping[str, Any]) -> int | None:
    if isinstance(params.get("count"), int):
        return int(params["count"])
    numbers = [value for value in params.values() if isinstance(value, int) and not isinstance(value, bool)]
    return numbers[0] if len(numbers) == 1 else None


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


def _read_catalogs(root: Traversable) -> dict[str, dict[str, str]]:
    messages: dict[str, dict[str, str]] = {}
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
    return messages


# The parsed catalogs are kept next to them, as Python keeps bytecode: ``__pycache__/catalogs-<digest>
# .json``, the digest of every shipped file's name and bytes (and of this format), so an edited catalog
# is parsed (and checked) again. Reading the cache is an order of magnitude cheaper than parsing the YAML,
# which every start would otherwise do.
_CACHE_FORMAT = b"wim-catalogs-1"


def _catalog_files(root: Path) -> list[tuple[str, Path]]:
    return [
        (f"{lang}/{entry.name}", entry)
        for lang in LANGUAGES
        for entry in sorted(root.joinpath(lang).iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yml")
    ]


def _cache_path(root: Path) -> Path:
    digest = hashlib.sha256(_CACHE_FORMAT)
    for origin, entry in _catalog_files(root):
        data = entry.read_bytes()
        digest.update(f"\0{origin}\0{len(data)}\0".encode())
        digest.update(data)
    return root / "__pycache__" / f"catalogs-{digest.hexdigest()[:32]}.json"


def _cached_catalogs(root: Path) -> dict[str, dict[str, str]]:
    """``_read_catalogs(root)``, from the cache when the files are the ones it was made from."""
    cache = _cache_path(root)
    with contextlib.suppress(OSError, ValueError):
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if isinstance(cached, dict) and all(
            isinstance(flat, dict) and all(isinstance(value, str) for value in flat.values())
            for flat in cached.values()
        ):
            return cached
    messages = _read_catalogs(root)
    temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(exist_ok=True)
        temporary.write_text(json.dumps(messages, ensure_ascii=False), encoding="utf-8")
        temporary.replace(cache)  # atomic: two processes starting together never read half a file
        for stale in cache.parent.glob("catalogs-*.json"):
            if stale != cache:  # made from files that changed since
                stale.unlink(missing_ok=True)
    except OSError:  # a read-only install parses at every start
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    return messages


@functools.cache
def _shipped_messages() -> dict[str, dict[str, str]]:
    """The shipped catalogs, read once per process (the command strings at import and the bot both
    load them), from the cache in ``bot/locales/__pycache__`` unless a catalog file changed."""
    root = resources.files("bot.locales")
    if isinstance(root, Path):
        return _cached_catalogs(root)
    return _read_catalogs(root)  # inside a zip: parsed, no cache


class Catalog:
    def __init__(self, messages: dict[str, dict[str, str]]) -> None:
        self.messages = messages

    @classmethod
    def load(cls, root: Traversable | None = None) -> Catalog:
        """Every ``<lang>/*.yml`` under ``root`` (default: the ``bot.locales`` package, read once)."""
        messages = _shipped_messages() if root is None else _read_catalogs(root)
        return cls({lang: dict(flat) for lang, flat in messages.items()})

    def has(self, key: str, lang: str = FALLBACK) -> bool:
        return key in self.messages.get(lang, {})

    def get(self, lang: str, key: str) -> str | None:
        """The raw template, or None when no catalog has the key."""
        template = self.messages.get(lang, {}).get(key)
        if template is None:
            template = self.messages[FALLBACK].get(key)
        return template

    def _plural(self, lang: str, key: str, params: Mapping[str, Any]) -> str | None:
        """The ``one``/``other`` form of ``key`` for the number in ``params``, if ``key`` has forms."""
        if self.get(lang, f"{key}.other") is None:
            return None
        number = _plural_number(params)
        form = "other" if number is None else plural_form(lang, number)
        return self.get(lang, f"{key}.{form}") or self.get(lang, f"{key}.other")

    def t(self, lang: str, key: str, **params: Any) -> str:
        """Translate ``key`` into ``lang`` (falling back to English) and fill its placeholders.

        ``Term`` and ``Choices`` parameters are translated first."""
        params = self.render_params(lang, params)
        template = self.get(lang, key)
        if template is None:
            template = self._plural(lang, key, params)
        if template is None:
            log.error("Missing translation key %r", key)
            return key
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            log.exception("Bad placeholders for translation %r in %s", key, lang)
            return template

    def render_params(self, lang: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters with every ``Term`` (a catalog key), list of terms (read as "a, b") and ``Choices``
        (choice names) in ``lang``."""
        rendered: dict[str, Any] = {}
        for name, value in params.items():
            if isinstance(value, Term):
                rendered[name] = self.t(lang, value.key)
            elif isinstance(value, Choices):
                rendered[name] = self.choices(lang, value.prefix, value.values)
            elif isinstance(value, list | tuple) and value and all(isinstance(item, Term) for item in value):
                rendered[name] = ", ".join(self.t(lang, item.key) for item in value)
            else:
                rendered[name] = value
        return rendered

    def choice_names(self, lang: str, prefix: str, values: tuple[str, ...] | list[str]) -> list[str]:
        """The translated name of each choice value: ``<prefix>.<value>`` in ``lang``."""
        return [self.t(lang, f"{prefix}.{value}") for value in values]

    def choices(self, lang: str, prefix: str, values: tuple[str, ...] | list[str]) -> str:
        """The choices' translated names, quoted and listed the way ``lang`` lists alternatives:
        "“Going”, “Maybe” or “Can't go”", "« Je participe », « Peut-être » ou « Je ne peux pas »"."""
        names = [self.t(lang, "lists.quoted", item=name) for name in self.choice_names(lang, prefix, values)]
        return self.or_list(lang, names)

    def or_list(self, lang: str, items: list[str]) -> str:
        """ "a, b or c" in English, "a, b ou c" in French, "a, b o c" in Spanish."""
        if not items:
            return ""
        text = items[-1]
        if len(items) > 1:
            text = self.t(lang, "lists.or_last", rest=items[-2], last=text)
        for item in reversed(items[:-2]):
            text = self.t(lang, "lists.or_more", first=item, rest=text)
        return text


def language_for(locale: str | None, default: str) -> str:
    """Map a Discord locale ("fr", "es-ES", "es-419", "en-GB") to a catalog language."""
    if locale:
        base = str(locale).split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return default if default in LANGUAGES else FALLBACK
