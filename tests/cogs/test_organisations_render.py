"""Directory embeds and exports: within Discord's limits for the longest inputs the service accepts, in
every language; exports grouped as the public page needs them and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot import countries
from bot.clock import FakeClock
from bot.config import parse_config
from bot.db import Database
from bot.i18n import LANGUAGES, Catalog
from bot.limits import EMBED_DESCRIPTION, EMBED_FIELD_VALUE, EMBED_TOTAL
from bot.repositories.organisations import HistoryEntry
from bot.services.organisations import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    DirectoryPage,
    HistoryPage,
    Link,
    Organisation,
    OrganisationCard,
    OrganisationDraft,
    OrganisationService,
    StandingCounts,
)
from bot.services.timers import TimerService
from cogs.organisations import _render

CATALOG = Catalog.load()
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LONG_URL = "https://example.org/" + "a" * (512 - len("https://example.org/"))


def make_org(n: int = 1, **overrides: Any) -> Organisation:
    values: dict[str, Any] = {
        "id": n,
        "guild_id": 1,
        "name": "W" * MAX_NAME_LENGTH,
        "country": "CD",
        "region": "202",
        "region_is_set": False,
        "website": LONG_URL,
        "linkedin": "https://www.linkedin.com/company/" + "x" * 470,
        "descriptions": tuple((lang, "é" * MAX_DESCRIPTION_LENGTH) for lang in LANGUAGES),
        "joined_on": date(2021, 6, 15),
        "status": "active",
        "source_key": None,
        "created_at": NOW,
        "updated_at": NOW,
        "archived_at": None,
    }
    values.update(overrides)
    return Organisation(**values)


def total_length(embed: discord.Embed) -> int:
    return len(embed)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_full_list_page_of_the_longest_names_and_urls_fits(lang: str) -> None:
    items = tuple(make_org(n, region=region) for n, region in enumerate(countries.SUBREGIONS[:10]))
    counts = dict.fromkeys(countries.SUBREGIONS, 999)
    embed = _render.list_embed(CATALOG, lang, DirectoryPage(items, 5000, counts), page=3)
    assert len(embed.description or "") <= EMBED_DESCRIPTION
    assert all(len(field.value or "") <= EMBED_FIELD_VALUE for field in embed.fields)
    assert total_length(embed) <= EMBED_TOTAL
    assert embed.footer.text == CATALOG.t(lang, "orgs.ui.list.footer", page=4, pages=500, count=5000)


def test_list_headings_follow_regions_and_names_are_escaped() -> None:
    items = (
        make_org(1, name="WIM *Ghana*", country="GH", website="https://wimghana.org"),
        make_org(2, name="WIM Peru", country="PE", region="419", website="https://wimperu.org"),
    )
    embed = _render.list_embed(CATALOG, "fr", DirectoryPage(items, 2, {"202": 1, "419": 1}), page=0)
    description = embed.description or ""
    assert description.index("Afrique subsaharienne") < description.index("Amérique latine et Caraïbes")
    assert "WIM \\*Ghana\\*" in description and "· Ghana" in description
    assert [f.name for f in embed.fields] == ["Organisations par région"]


def test_an_empty_directory_says_so() -> None:
    embed = _render.list_embed(CATALOG, "es", DirectoryPage((), 0, {}), page=0)
    assert embed.description == "Por ahora el directorio está vacío."


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_card_with_many_leaders_fits_and_says_how_many_more(lang: str) -> None:
    leaders = tuple(
        Link(1, 10**18 + n, 1, "representative" if n < 2 else "leader", 9, NOW) for n in range(200)
    )
    card = OrganisationCard(make_org(), leaders, StandingCounts(member=5000, leader=198, representative=2))
    embed = _render.card_embed(CATALOG, lang, card)
    assert total_length(embed) <= EMBED_TOTAL
    leaders_field = embed.fields[6]
    assert len(leaders_field.value or "") <= EMBED_FIELD_VALUE
    value = leaders_field.value or ""
    shown = value.count("<@")
    assert 0 < shown < 198 and value.endswith(
        CATALOG.t(lang, "orgs.ui.more", count=198 - shown)
    )  # 198 leaders


def test_card_shows_the_description_in_the_readers_language_else_english() -> None:
    organisation = make_org(descriptions=(("en", "In English"), ("es", "En español")))
    card = OrganisationCard(organisation, (), StandingCounts())
    assert _render.card_embed(CATALOG, "es", card).description == "En español"
    assert _render.card_embed(CATALOG, "fr", card).description == "In English"


def test_csv_round_trips_and_defuses_formulas() -> None:
    organisations = [
        make_org(1, name='=HYPERLINK("http://evil")', country="PE", region="419", website="https://a.org"),
        make_org(2, name='WIM, "quoted"\nname', status="archived", archived_at=NOW, website="https://b.org"),
    ]
    text = _render.export_csv(CATALOG, "es", organisations, {1: StandingCounts(member=3, leader=1)})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["name"].startswith("'=") and rows[0]["country"] == "Perú"
    assert rows[0]["region"] == "América Latina y el Caribe"
    assert [rows[0][c] for c in _render.CSV_COLUMNS[-4:]] == ["4", "3", "1", "0"]
    assert [rows[1][c] for c in _render.CSV_COLUMNS[-4:]] == ["0", "0", "0", "0"]
    assert rows[1]["name"] == 'WIM, "quoted"\nname' and rows[1]["status"] == "archived"
    assert list(rows[0]) == list(_render.CSV_COLUMNS)


def test_markdown_groups_by_region_then_country_and_leaves_out_archived() -> None:
    organisations = [
        make_org(1, name="WIM Canada", country="CA", region="021", website="https://c.org", linkedin=None),
        make_org(2, name="Zeta [Peru]", country="PE", region="419", website="https://z.org", linkedin=None),
        make_org(3, name="Alpha Peru", country="PE", region="419", website="https://a.org", linkedin=None),
        make_org(4, name="Old WIM", country="CL", region="419", status="archived", archived_at=NOW),
    ]
    markdown = _render.export_markdown(CATALOG, "en", organisations, date(2027, 3, 1))
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings[1:] == [
        "## Latin America and the Caribbean",
        "### Peru",
        "## Northern America",
        "### Canada",
    ]
    assert markdown.index("Alpha Peru") < markdown.index("Zeta \\[Peru\\]")
    assert "- [Zeta \\[Peru\\]](<https://z.org>)" in markdown
    assert "Old WIM" not in markdown and "3 organisations as of 2027-03-01" in markdown


def test_the_chart_is_a_png() -> None:
    organisations = [make_org(1, region="419"), make_org(2, region="419"), make_org(3, region="202")]
    data = _render.export_chart(CATALOG, "fr", organisations)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_history_names_actors_and_what_changed() -> None:
    entries = (
        HistoryEntry(
            3, 1, 42, NOW, "edited", None, {"changes": {"website": ["a", "b"], "description_fr": [None, "x"]}}
        ),
        HistoryEntry(2, 1, 42, NOW, "verified", 77, {"standing": "representative", "previous": None}),
        HistoryEntry(1, 1, 0, NOW, "seeded", None, {}),
    )
    embed = _render.history_embed(CATALOG, "en", HistoryPage(make_org(), entries, 3), page=0)
    lines = (embed.description or "").splitlines()
    assert "<@42>: changed Website, Description (fr)" in lines[0]
    assert "verified <@77> as representative" in lines[1]
    assert "the configuration: added it from the configuration" in lines[2]


def test_an_empty_directory_still_exports_a_chart_and_a_page() -> None:
    assert _render.export_chart(CATALOG, "en", []).startswith(b"\x89PNG")
    markdown = _render.export_markdown(CATALOG, "es", [], date(2027, 3, 1))
    assert "0 organizaciones (datos al 2027-03-01)" in markdown
    assert "0 organisation (état au 2027-03-01)" in _render.export_markdown(
        CATALOG, "fr", [], date(2027, 3, 1)
    )


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [
        ("en", 1, "1 organisation"),
        ("en", 2, "2 organisations"),
        ("fr", 0, "0 organisation"),
        ("es", 1, "1 organización"),
    ],
)
def test_counts_agree_in_number(lang: str, count: int, expected: str) -> None:
    items = tuple(make_org(n) for n in range(count))
    embed = _render.list_embed(
        CATALOG, lang, DirectoryPage(items, count, {"202": count} if count else {}), page=0
    )
    assert (embed.footer.text or "").endswith(expected)


async def test_the_csv_counts_are_the_cards_total_on_seeded_data(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    """Every standing, a verified and an unverified claim, a member who left, an archived organisation:
    each CSV row's ``verified_total`` is the number the card shows as "Total", in every language."""
    guild, mod = 1000, 2001
    config = parse_config({"guild_ids": [guild], "directory": {}}, base_dir=tmp_path)
    service = OrganisationService(db, clock, TimerService(db, clock), config)

    def org(name: str, country: str) -> OrganisationDraft:
        return OrganisationDraft(name=name, country=country, website="https://wim.example.org")

    peru = await service.add(guild, mod, org("WIM Peru", "PE"))
    chile = await service.add(guild, mod, org("WIM Chile", "CL"))
    ghana = await service.add(guild, mod, org("WIM Ghana", "GH"))
    await service.verify(guild, peru.id, 1, "representative", mod)
    await service.verify(guild, peru.id, 2, "leader", mod)
    await service.verify(guild, peru.id, 3, "member", mod)
    await service.verify(guild, peru.id, 4, "member", mod)
    verified, _ = await service.claim(guild, 5, peru.id, "leader", "es")
    await service.decide(guild, verified.id, mod, approve=True)
    await service.claim(guild, 6, peru.id, "member", "es")  # pending: not verified
    declined, _ = await service.claim(guild, 7, peru.id, "member", "fr")
    await service.decide(guild, declined.id, mod, approve=False)
    await service.leave(guild, 4)  # /org leave
    await service.verify(guild, chile.id, 8, "member", mod)
    await service.forget_member(guild, 8)  # left the server
    await service.verify(guild, chile.id, 9, "leader", mod)
    await service.verify(guild, ghana.id, 10, "member", mod)
    await service.remove(guild, ghana.id, mod)

    organisations, counts = await service.export(guild)
    for lang in LANGUAGES:
        rows = {
            r["name"]: r
            for r in csv.DictReader(io.StringIO(_render.export_csv(CATALOG, lang, organisations, counts)))
        }
        for organisation in (peru, chile):
            card = await service.card(guild, organisation.id)
            shown = _render.card_embed(CATALOG, lang, card).fields[-1].value
            row = rows[organisation.name]
            assert shown == CATALOG.t(
                lang,
                "orgs.ui.card.members_value",
                total=int(row["verified_total"]),
                members=int(row["verified_as_member"]),
                leaders=int(row["verified_as_leader"]),
                representatives=int(row["verified_as_representative"]),
            )
        assert rows["WIM Ghana"]["status"] == "archived" and rows["WIM Ghana"]["verified_total"] == "0"
    assert [rows["WIM Peru"][c] for c in _render.CSV_COLUMNS[-4:]] == ["4", "1", "2", "1"]
    assert [rows["WIM Chile"][c] for c in _render.CSV_COLUMNS[-4:]] == ["1", "0", "1", "0"]
