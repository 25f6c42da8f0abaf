"""The three catalogs stay complete and consistent: same keys, same placeholders, valid command names."""

from __future__ import annotations

import re
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import pytest

from bot import i18n
from bot.i18n import LANGUAGES, Catalog, language_for, placeholders

CATALOG = Catalog.load()
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_has_exactly_the_english_keys(lang: str) -> None:
    english = set(CATALOG.messages["en"])
    other = set(CATALOG.messages[lang])
    assert sorted(english - other) == [], f"missing in {lang}"
    assert sorted(other - english) == [], f"only in {lang} (typo or stale key?)"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_placeholders_match_english(lang: str) -> None:
    mismatched = {
        key: (placeholders(template), placeholders(CATALOG.messages[lang][key]))
        for key, template in CATALOG.messages["en"].items()
        if key in CATALOG.messages[lang]
        and placeholders(template) != placeholders(CATALOG.messages[lang][key])
    }
    assert mismatched == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_command_names_and_descriptions_fit_discord_limits(lang: str) -> None:
    for key, text in CATALOG.messages[lang].items():
        if not key.startswith("cmd."):
            continue
        if key.endswith(".name"):
            assert COMMAND_NAME.match(text) and text == text.lower(), (
                f"{lang}:{key} = {text!r} is not a valid name"
            )
        else:  # descriptions and choice names
            assert 1 <= len(text) <= 100, f"{lang}:{key} must be 1-100 characters"


def test_no_empty_translations() -> None:
    empty = [
        f"{lang}:{key}"
        for lang in LANGUAGES
        for key, text in CATALOG.messages[lang].items()
        if not text.strip()
    ]
    assert empty == []


def test_translate_fills_placeholders_and_falls_back_to_english() -> None:
    catalog = Catalog(
        {"en": {"greet": "Hello {name}", "only_en": "Hi"}, "fr": {"greet": "Bonjour {name}"}, "es": {}}
    )
    assert catalog.t("fr", "greet", name="Ada") == "Bonjour Ada"
    assert catalog.t("es", "greet", name="Ada") == "Hello Ada"
    assert catalog.t("fr", "unknown.key") == "unknown.key"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "fr"), ("es-ES", "es"), ("es-419", "es"), ("en-GB", "en"), ("de", "fr"), (None, "fr")],
)
def test_language_from_discord_locale_else_guild_default(locale: str | None, expected: str) -> None:
    assert language_for(locale, "fr") == expected


def test_a_catalog_key_written_twice_is_refused(tmp_path: Path) -> None:
    """PyYAML would keep the second silently, and the first translation would be lost."""
    for lang in LANGUAGES:
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "feature.yml").write_text(
            "feature:\n  created: Created\n  nested:\n    ok: Fine\n", encoding="utf-8"
        )
    assert Catalog.load(tmp_path).t("fr", "feature.nested.ok") == "Fine"
    (tmp_path / "fr" / "feature.yml").write_text(
        "feature:\n  created: Créé\n  nested:\n    ok: Bien\n  created: Créée\n", encoding="utf-8"
    )
    with pytest.raises(
        ValueError,
        match=r"^translation key 'feature\.created' is written twice in fr/feature\.yml, "
        r"on lines 2 and 5",
    ):
        Catalog.load(tmp_path)


def _write_catalogs(root: Path, created: str) -> None:
    for lang in LANGUAGES:
        (root / lang).mkdir(exist_ok=True)
        (root / lang / "feature.yml").write_text(f"feature:\n  created: {created}\n", encoding="utf-8")


def test_parsed_catalogs_are_cached_and_parsed_again_once_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped catalogs are read from ``__pycache__`` at start, as long as they are the same bytes."""
    _write_catalogs(tmp_path, "Created")
    parsed: list[Path] = []
    real = i18n._read_catalogs

    def counted(root: Traversable) -> dict[str, dict[str, str]]:
        parsed.append(Path(str(root)))
        return real(root)

    monkeypatch.setattr(i18n, "_read_catalogs", counted)
    first = i18n._cached_catalogs(tmp_path)
    assert first["fr"] == {"feature.created": "Created"}
    assert len(parsed) == 1
    assert [p.name for p in (tmp_path / "__pycache__").iterdir()] == [i18n._cache_path(tmp_path).name]
    assert i18n._cached_catalogs(tmp_path) == first
    assert len(parsed) == 1  # from the cache
    (tmp_path / "es" / "feature.yml").write_text("feature:\n  created: Creado\n", encoding="utf-8")
    assert i18n._cached_catalogs(tmp_path)["es"] == {"feature.created": "Creado"}
    assert len(parsed) == 2
    # The cache of the files as they were is gone with them.
    assert [p.name for p in (tmp_path / "__pycache__").iterdir()] == [i18n._cache_path(tmp_path).name]
    # A damaged cache file is parsed again, never trusted.
    i18n._cache_path(tmp_path).write_text('{"en": {"feature.created": 3}}', encoding="utf-8")
    assert i18n._cached_catalogs(tmp_path)["en"] == {"feature.created": "Created"}
    assert len(parsed) == 3


def test_a_catalog_key_written_twice_is_refused_even_with_a_cache(tmp_path: Path) -> None:
    _write_catalogs(tmp_path, "Created")
    i18n._cached_catalogs(tmp_path)
    (tmp_path / "fr" / "feature.yml").write_text("feature:\n  created: A\n  created: B\n", encoding="utf-8")
    with pytest.raises(ValueError, match="written twice"):
        i18n._cached_catalogs(tmp_path)


def test_catalogs_load_where_no_cache_can_be_written(tmp_path: Path) -> None:
    _write_catalogs(tmp_path, "Created")
    (tmp_path / "__pycache__").write_text("a file in the way", encoding="utf-8")
    assert i18n._cached_catalogs(tmp_path)["en"] == {"feature.created": "Created"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["__pycache__", *sorted(LANGUAGES)]


def test_the_shipped_catalogs_read_from_the_cache_are_what_parsing_gives() -> None:
    shipped = Path(str(resources.files("bot.locales")))
    assert i18n._cached_catalogs(shipped) == i18n._read_catalogs(shipped)
