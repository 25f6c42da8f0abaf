"""The ``directory`` block: the organisation directory's roles, limits and seeded organisations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import msgspec

from bot import countries, validation
from bot.config._fields import ConfigError, Section, T, checked, slug
from bot.errors import UserFacingError
from bot.i18n import LANGUAGES


class SeedOrganisation(msgspec.Struct, frozen=True):
    """An organisation listed in config.yml, created once per guild (``key`` is its stable id)."""

    key: str
    name: str
    country: str  # ISO 3166-1 alpha-2
    website: str
    region: str | None = None  # UN M49 sub-region code; None = the country's
    linkedin: str | None = None
    description: tuple[tuple[str, str], ...] = ()  # (language, text) pairs, one to three
    joined: date | None = None  # None = the day it is seeded


class DirectoryConfig(msgspec.Struct, frozen=True):
    leaders_role: str = "WIM Leaders"  # given to verified leaders and representatives
    max_representatives: int = 2  # per organisation
    organisations: tuple[SeedOrganisation, ...] = ()


_SEED_ORG_KEYS = ("key", "name", "country", "website", "region", "linkedin", "description", "joined")


def _seed_organisation(path: str, item: Any) -> SeedOrganisation:
    # The same checks as /org add, so a seeded organisation is one a moderator could have typed.
    section = Section(path, item, _SEED_ORG_KEYS)

    def check(key: str, parse: Callable[[], T], expected: str) -> T:
        try:
            return parse()
        except UserFacingError:
            raise ConfigError(section.key(key), expected) from None

    name = section.text("name", max_length=100)
    country = check(
        "country",
        lambda: countries.country_code(section.text("country", max_length=100)),
        f"expected an ISO 3166-1 country code such as PE or ZA, got {section.data.get('country')!r}",
    )
    website = check(
        "website",
        lambda: validation.web_url(section.text("website", max_length=512), field="orgs.fields.website"),
        "expected a web address starting with https://",
    )
    region = None
    if section.has("region"):
        region = check(
            "region",
            lambda: countries.region_code(str(section.data["region"])),
            f"expected a UN M49 sub-region code, one of {', '.join(countries.SUBREGIONS)}",
        )
    elif countries.subregion_of(country) is None:
        raise ConfigError(section.key("region"), f"is required: {country} has no UN M49 sub-region")
    linkedin = None
    if section.has("linkedin"):
        linkedin = check(
            "linkedin",
            lambda: validation.web_url(
                section.text("linkedin", max_length=512), field="orgs.fields.linkedin"
            ),
            "expected a web address starting with https://",
        )
    description: list[tuple[str, str]] = []
    if section.has("description"):
        texts = Section(section.key("description"), section.data["description"], LANGUAGES)
        description = [(lang, texts.text(lang, max_length=500)) for lang in LANGUAGES if texts.has(lang)]
    joined = None
    if section.has("joined"):
        raw = section.data["joined"]
        if isinstance(raw, datetime) or not isinstance(raw, date | str):
            raise ConfigError(section.key("joined"), 'expected a date "YYYY-MM-DD"')
        joined = (
            raw
            if isinstance(raw, date)
            else checked(section.key("joined"), date.fromisoformat, raw, 'expected a date "YYYY-MM-DD"')
        )
    return SeedOrganisation(
        key=slug(section.key("key"), section.raw("key")),
        name=name,
        country=country,
        website=website,
        region=region,
        linkedin=linkedin,
        description=tuple(description),
        joined=joined,
    )


def read_directory(root: Section) -> DirectoryConfig:
    section = root.section("directory", ("leaders_role", "max_representatives", "organisations"))
    seeds: list[SeedOrganisation] = []
    keys: set[str] = set()
    names: set[str] = set()
    for path, item in section.items("organisations"):
        seed = _seed_organisation(path, item)
        if seed.key in keys:
            raise ConfigError(f"{path}.key", f"organisation key {seed.key!r} is used twice")
        if countries.fold(seed.name) in names:
            raise ConfigError(f"{path}.name", f"organisation name {seed.name!r} is used twice")
        keys.add(seed.key)
        names.add(countries.fold(seed.name))
        seeds.append(seed)
    return DirectoryConfig(
        leaders_role=section.text("leaders_role", "WIM Leaders", max_length=100),
        max_representatives=section.integer("max_representatives", 1, 25, default=2),
        organisations=tuple(seeds),
    )
