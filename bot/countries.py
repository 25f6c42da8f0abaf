"""Countries (ISO 3166-1, from pycountry) with their names in en/fr/es and their UN M49 sub-region.

No Discord here: services validate with it, cogs use it for autocomplete and display. Names come
from pycountry's gettext catalogs, so they follow the ISO 3166 maintainers rather than a hand-made
list; the region data is ``bot.m49``.
"""

from __future__ import annotations

import functools
import gettext
import unicodedata
from types import ModuleType

import msgspec

from bot.errors import UserFacingError
from bot.i18n import LANGUAGES
from bot.limits import excerpt
from bot.m49 import SUBREGION_OF, SUBREGIONS

__all__ = [
    "SUBREGIONS",
    "Country",
    "country_code",
    "country_name",
    "fold",
    "region_code",
    "search_countries",
    "subregion_of",
]


class Country(msgspec.Struct, frozen=True):
    code: str  # ISO 3166-1 alpha-2, upper case
    name: str  # in the language asked for


def fold(text: str) -> str:
    """``text`` for comparisons that ignore case, accents and spacing: "Mujeres  en Minería" and
    "mujeres en mineria" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _pycountry() -> ModuleType:
    """pycountry, imported when a country is first asked for: its import is heavy and a start that
    never reads the directory need not pay for it."""
    import pycountry

    return pycountry


@functools.cache
def _translation(lang: str) -> gettext.NullTranslations:
    pycountry = _pycountry()
    if lang == "en":
        return gettext.NullTranslations()
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return gettext.NullTranslations()


@functools.cache
def _names(lang: str) -> dict[str, str]:
    """alpha-2 -> display name in ``lang``: the short common name where ISO has one ("Bolivia"
    rather than "Bolivia, Plurinational State of"), translated when pycountry has it."""
    pycountry = _pycountry()
    translation = _translation(lang)
    names: dict[str, str] = {}
    for country in pycountry.countries:
        common = getattr(country, "common_name", None)
        official = str(country.name)
        name = translation.gettext(official)
        if common is not None:
            translated_common = translation.gettext(str(common))
            if lang == "en" or translated_common != common:
                name = translated_common
        names[str(country.alpha_2)] = name
    return names


@functools.cache
def _alpha3() -> dict[str, str]:
    pycountry = _pycountry()
    return {str(c.alpha_3): str(c.alpha_2) for c in pycountry.countries}


@functools.cache
def _folded_names() -> dict[str, str]:
    """Folded name in any of the three languages -> alpha-2 (for typed names)."""
    pycountry = _pycountry()
    found: dict[str, str] = {}
    for lang in LANGUAGES:
        for code, name in _names(lang).items():
            found.setdefault(fold(name), code)
    for country in pycountry.countries:
        found.setdefault(fold(str(country.name)), str(country.alpha_2))
    return found


def country_code(value: str | None) -> str:
    """The alpha-2 code of a country typed as a code ("pe", "PER") or as its name in en/fr/es
    ("Pérou"). Errors: ``orgs.errors.country_required``, ``orgs.errors.unknown_country``."""
    cleaned = (value or "").strip()
    if not cleaned:
        raise UserFacingError("orgs.errors.country_required")
    upper = cleaned.upper()
    names = _names("en")
    if len(upper) == 2 and upper in names:
        return upper
    if len(upper) == 3 and upper in _alpha3():
        return _alpha3()[upper]
    if len(cleaned) <= 100:
        found = _folded_names().get(fold(cleaned))
        if found is not None:
            return found
    raise UserFacingError("orgs.errors.unknown_country", country=excerpt(cleaned))


def country_name(code: str, lang: str) -> str:
    """The country's name in ``lang`` (English for another language; the code if unknown)."""
    return _names(lang if lang in LANGUAGES else "en").get(code, code)


def subregion_of(code: str) -> str | None:
    """The UN M49 sub-region code of a country ("PE" -> "419"), None where M49 has none (AQ)."""
    return SUBREGION_OF.get(code)


def region_code(value: str | None) -> str:
    """An M49 sub-region code from the list in ``bot.m49``. Error: ``orgs.errors.unknown_region``."""
    cleaned = (value or "").strip()
    if cleaned.isdigit() and len(cleaned) <= 3 and cleaned.zfill(3) in SUBREGIONS:
        return cleaned.zfill(3)
    raise UserFacingError("orgs.errors.unknown_region", region=excerpt(cleaned))


def search_countries(text: str, lang: str, *, limit: int = 25) -> list[Country]:
    """Countries whose name in ``lang`` (or whose code) matches what was typed: code matches and
    name-prefix matches first, then names containing it; alphabetical within each."""
    needle = fold(text)
    names = _names(lang if lang in LANGUAGES else "en")
    ranked: list[tuple[int, str, str]] = []
    for code, name in names.items():
        folded = fold(name)
        if not needle:
            rank = 1
        elif needle == code.casefold():
            rank = 0
        elif folded.startswith(needle):
            rank = 1
        elif f" {needle}" in f" {folded}":
            rank = 2
        elif needle in folded:
            rank = 3
        else:
            continue
        ranked.append((rank, folded, code))
    ranked.sort()
    return [Country(code, names[code]) for _, _, code in ranked[: max(limit, 0)]]
