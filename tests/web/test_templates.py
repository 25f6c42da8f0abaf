"""The templates' catalog keys exist in every language (tests/test_catalog_keys.py reads Python only)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from bot.i18n import LANGUAGES, Catalog

CATALOG = Catalog.load()
KEY = re.compile(r"""\bt\(\s*["']([a-z_.]+)["']""")


def _keys() -> set[str]:
    keys: set[str] = set()
    for entry in resources.files("bot.web").joinpath("templates").iterdir():
        keys.update(KEY.findall(entry.read_text(encoding="utf-8")))
    return keys


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_key_is_in_the_catalog(lang: str) -> None:
    keys = _keys()
    assert len(keys) > 40
    missing = [
        key
        for key in sorted(keys)
        if not key.endswith(".")
        and CATALOG.get(lang, key) is None
        and CATALOG.get(lang, key + ".other") is None
    ]
    assert missing == []
