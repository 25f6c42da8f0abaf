"""docs/GLOSSARY.md is the law of the catalogs: the Alliance's words, one per language, no rivals.

The glossary's tables are read as data. For every row of "Alliance terms", wherever an English
catalog value (or English text in config.yml: calendar entries, working groups) uses one of the
English forms, the French and Spanish values of the same key use one of theirs. For every row of
every table, no word listed under "avoid" appears in that language. The Spanish-neutrality and
register tables forbid their words in the Spanish (and French) catalogs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.i18n import LANGUAGES, Catalog

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "GLOSSARY.md"
CATALOG = Catalog.load()


@dataclass(frozen=True)
class Term:
    forms: dict[str, tuple[str, ...]]  # language -> accepted forms, the usual one first
    avoid: dict[str, tuple[str, ...]]  # language -> rival words
    checked: bool  # the usage check applies (the "Alliance terms" table)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _forms(cell: str) -> tuple[str, ...]:
    return () if cell in ("", "—", "-") else tuple(form.strip() for form in cell.split(";") if form.strip())


def _tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Every Markdown table under each ``## heading``, as rows keyed by the header cells."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading, header = "", None
    for line in text.splitlines():
        if line.startswith("## "):
            heading, header = line[3:].strip(), None
        elif line.startswith("|") and heading:
            cells = _cells(line)
            if header is None:
                header = cells
            elif not all(set(cell) <= {"-", ":"} for cell in cells):
                tables.setdefault(heading, []).append(dict(zip(header, cells, strict=True)))
        else:
            header = None
    return tables


TABLES = _tables(GLOSSARY.read_text(encoding="utf-8"))


def _terms() -> list[Term]:
    terms = []
    for heading, checked in (("Alliance terms", True), ("Discord and everyday words", False)):
        for row in TABLES[heading]:
            terms.append(
                Term(
                    forms={lang: _forms(row[lang]) for lang in LANGUAGES},
                    avoid={lang: _forms(row[f"avoid in {lang}"]) for lang in LANGUAGES},
                    checked=checked,
                )
            )
    return terms


TERMS = _terms()


def _translated(node: object, path: str, out: dict[str, dict[str, str]]) -> None:
    """Every ``{en: …, fr: …, es: …}`` text under ``node``, keyed by its path."""
    if isinstance(node, dict):
        if set(LANGUAGES) <= set(node) and all(isinstance(node[lang], str) for lang in LANGUAGES):
            for lang in LANGUAGES:
                out[lang][path] = " ".join(str(node[lang]).split())
            return
        for key, value in node.items():
            _translated(value, f"{path}.{key}", out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            name = value.get("key", index) if isinstance(value, dict) else index
            _translated(value, f"{path}.{name}", out)


def _config_texts() -> dict[str, dict[str, str]]:
    """config.yml's calendar titles and descriptions and the working groups' texts (names, stakes,
    actions, mandates, workplan items, deliverables), as extra catalog entries per language."""
    data = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    texts: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for entry in data.get("calendar") or []:
        for field in ("title", "description"):
            for lang in LANGUAGES:
                texts[lang][f"config.calendar.{entry['key']}.{field}"] = " ".join(
                    str(entry[field][lang]).split()
                )
    _translated(data.get("working_groups") or [], "config.working_groups", texts)
    return texts


TEXTS: dict[str, dict[str, str]] = {
    lang: {**CATALOG.messages[lang], **_config_texts()[lang]} for lang in LANGUAGES
}

# A rival word that is right inside a longer phrase: (language, rival) -> {phrase: why}.
RIVAL_IN_PHRASE: dict[tuple[str, str], dict[str, str]] = {
    ("fr", "chaîne"): {"chaîne d'approvisionnement": "the supply chain, not a Discord channel"},
}

_NOT_WORDS = re.compile(r"\{[^{}]*\}|<[^<>]*>|https?://\S+")


def _plain(text: str) -> str:
    """The words of a value: placeholders, Discord tokens and links removed, one kind of apostrophe."""
    return _NOT_WORDS.sub(" ", text).replace("’", "'").casefold()


def _fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _contains(text: str, phrase: str, *, fold: bool) -> bool:
    haystack, needle = _plain(text), phrase.replace("’", "'").casefold()
    if fold:
        haystack, needle = _fold(haystack), _fold(needle)
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def test_the_glossary_has_the_terms_the_issue_names() -> None:
    english = {form.casefold() for term in TERMS for form in term.forms["en"]}
    for required in (
        "working group",
        "wim leaders",
        "steering committee",
        "secretariat",
        "global wim call",
        "roundtable",
        "rsvp",
        "check-in",
        "date",
        "consultation",
        "organisation representative",
        "moderators",
        "member organisation",
        "organisation directory",
        "coordinator",
        "workplan",
        "deliverable",
        "initiative index",
        "digest",
        "ballot",
        "not started",
        "in progress",
        "needs attention",
        "completed",
    ):
        assert required in english, f"{required!r} is missing from docs/GLOSSARY.md"
    for term in TERMS:
        for lang in LANGUAGES:
            assert term.forms[lang], f"a glossary row has no {lang} form: {term.forms}"


# Values that rightly use a short form instead of the glossary term: (language, key) -> why.
_ONE_WORD = "a subcommand name is one typed word (/gt plan); its description says it in full"
SHORT_FORMS: dict[tuple[str, str], str] = {
    ("fr", "cmd.wg.workplan.name"): _ONE_WORD,
    ("es", "cmd.wg.workplan.name"): _ONE_WORD,
}


def _missing_terms(lang: str) -> list[str]:
    wrong = []
    for term in (term for term in TERMS if term.checked):
        for key, english in TEXTS["en"].items():
            if key not in TEXTS[lang]:
                continue
            if not any(_contains(english, form, fold=True) for form in term.forms["en"]):
                continue
            if not any(_contains(TEXTS[lang][key], form, fold=True) for form in term.forms[lang]):
                wrong.append(f"{key}: {TEXTS[lang][key]!r} should say {term.forms[lang][0]!r}")
    return wrong


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogs_use_the_glossary_term_where_english_does(lang: str) -> None:
    """Compared without accents: command names are written without them."""
    wrong = [line for line in _missing_terms(lang) if (lang, line.split(":", 1)[0]) not in SHORT_FORMS]
    assert wrong == []


def test_the_short_forms_are_still_needed() -> None:
    needed = {(lang, line.split(":", 1)[0]) for lang in ("fr", "es") for line in _missing_terms(lang)}
    assert set(SHORT_FORMS) <= needed, "drop the exceptions that the catalogs no longer need"


def _without_phrases(text: str, lang: str, rival: str) -> str:
    for phrase in RIVAL_IN_PHRASE.get((lang, rival), {}):
        text = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", " ", _plain(text))
    return text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_rival_term_in_a_language(lang: str) -> None:
    """Rivals are matched with their accents ("Complété" is not "complète")."""
    found = [
        f"{key}: {rival!r} in {text!r}"
        for term in TERMS
        for rival in term.avoid[lang]
        for key, text in TEXTS[lang].items()
        if _contains(_without_phrases(text, lang, rival), rival, fold=False)
    ]
    assert found == []


def test_the_config_texts_are_read_and_the_phrase_exceptions_still_needed() -> None:
    assert TEXTS["fr"]["config.working_groups.wg1-stem.name"].startswith("GT1")
    assert "config.working_groups.wg2-workplace.deliverables.1.title" in TEXTS["es"]
    for (lang, rival), phrases in RIVAL_IN_PHRASE.items():
        assert any(_contains(text, rival, fold=False) for text in TEXTS[lang].values()), (lang, rival)
        for phrase in phrases:
            assert any(_contains(text, phrase, fold=False) for text in TEXTS[lang].values()), phrase
            assert not _contains(_without_phrases(phrase, lang, rival), rival, fold=False)
        assert _contains(_without_phrases(f"la {rival} du GT", lang, rival), rival, fold=False)


def test_spanish_is_latin_american_neutral() -> None:
    words = [word for row in TABLES["Spanish: Latin-American-neutral words"] for word in _forms(row["avoid"])]
    assert "pulse" in words and "ordenador" in words
    found = [
        f"{key}: {word!r} in {text!r}"
        for word in words
        for key, text in TEXTS["es"].items()
        if _contains(text, word, fold=False)
    ]
    assert found == []


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_one_register_vous_and_usted(lang: str) -> None:
    [row] = [row for row in TABLES["Register: vous and usted"] if row["language"] == lang]
    words = _forms(row["avoid"])
    assert "tu" in words
    found = [
        f"{key}: {word!r} in {text!r}"
        for word in words
        for key, text in TEXTS[lang].items()
        if _contains(text, word, fold=False)
    ]
    assert found == []


def test_the_checks_catch_what_they_should() -> None:
    """The matcher itself: whole words, placeholders ignored, accents folded only when asked."""
    assert _contains("Choisissez un salon", "salon", fold=False)
    assert not _contains("Choisissez des salonnières", "salon", fold=False)
    assert not _contains("Événement n° {occurrence_id}", "occurrence", fold=False)
    assert _contains("/evenement creer", "événement", fold=True)
    assert not _contains("une adresse complète", "Complété", fold=False)
    assert _contains("Qui s'est enregistré", "enregistré", fold=False)
    assert _contains("Appel mondial WIM", "appel mondial", fold=False)
