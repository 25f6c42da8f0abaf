"""Every route of the hub through aiohttp's client on loopback: the pages in three languages, the
language from Accept-Language, 404 and 400 pages in the visitor's language, and the headers."""

from __future__ import annotations

import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from yarl import URL

from bot.i18n import LANGUAGES, Catalog
from bot.web import negotiate

CATALOG = Catalog.load()
PAGES = (
    "/",
    "/organisations",
    "/events",
    "/groups",
    "/groups/wg1-stem",
    "/initiatives",
    "/consultations",
    "/digests",
    "/digests/2027-W08",
)
Client = TestClient[web.Request, web.Application]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
async def test_every_page_renders_in_each_language(client: Client, lang: str, path: str) -> None:
    response = await client.get(f"/{lang}{path}")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Content-Language"] == lang
    html = await response.text()
    assert f'<html lang="{lang}">' in html
    assert len(html.encode()) < 100_000
    assert html.count("<h1>") == 1
    assert '<main id="content"' in html and 'href="#content"' in html
    assert CATALOG.t(lang, "web.skip") in html
    # No catalog key or template syntax left in the page.
    assert not re.search(r"\bweb\.[a-z_]+\.[a-z_]+", html)
    assert "{{" not in html and "{%" not in html
    # The language switch links the same page in the other languages.
    for other in LANGUAGES:
        assert f'href="/{other}{path}"' in html


async def test_the_pages_show_the_public_material(client: Client) -> None:
    organisations = await (await client.get("/en/organisations")).text()
    assert "Women in Mining Peru" in organisations and "Peru" in organisations
    assert "Latin America and the Caribbean" in organisations
    assert "<svg" in organisations and 'role="img"' in organisations
    french = await (await client.get("/fr/organisations")).text()
    assert "Amérique latine et Caraïbes" in french or "Amérique latine" in french

    events = await (await client.get("/en/events")).text()
    assert "Global WIM Call" in events
    assert '<time datetime="2027-03-10T13:00:00Z" data-local>2027-03-10 13:00 UTC</time>' in events
    assert "https://hub.example.org/calendar.ics" in events

    group = await (await client.get("/es/groups/wg1-stem")).text()
    for shown in (
        "STEM and education (es)",
        "Map mentoring programmes (es)",
        "White paper on STEM (es)",
        "March meeting",
        "Outline",
        "STEM roundtable",
        "Mentoring Peru",
        "/wg/wg1-stem/calendar.ics",
    ):
        assert shown in group, shown

    results = await (await client.get("/en/consultations")).text()
    assert "Should the Alliance hold a Global WIM Summit in 2027?" in results
    assert "100%" in results and "2 ballots" in results

    digest = await (await client.get("/en/digests/2027-W08")).text()
    assert "<strong>Global WIM Call</strong>" in digest
    assert '<a href="https://discord.com/channels/1/2/3">Announcement</a>' in digest
    assert "<time datetime=" in digest


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("es-PE", "es"),
        ("de-DE,de;q=0.9,es;q=0.5,fr;q=0.4", "es"),
        ("de", "en"),
        ("", "en"),
        ("en;q=0.2, fr;q=0.9", "fr"),
        ("garbage;;q=x,,,", "en"),
    ],
)
def test_accept_language_chooses_the_language(header: str, expected: str) -> None:
    assert negotiate(header, "en") == expected


async def test_the_root_sends_the_visitor_to_their_language(client: Client) -> None:
    response = await client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"}, allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/es/"
    assert response.headers["Vary"] == "Accept-Language"
    response = await client.get("/fr", allow_redirects=False)
    assert response.status == 301 and response.headers["Location"] == "/fr/"


@pytest.mark.parametrize(
    ("path", "header", "lang"),
    [
        ("/fr/nowhere", None, "fr"),
        ("/nowhere", "es", "es"),
        ("/en/groups/wg9-secret", None, "en"),  # a private group is as unknown as a missing one
        ("/es/groups/NOT_A_KEY", None, "es"),
        ("/fr/digests/2027-W09", None, "fr"),  # a week whose post is not complete
        ("/en/digests/../../etc/passwd", None, "en"),
        ("/wg/wg9-secret/calendar.ics", "fr", "fr"),
        ("/static/missing.css", None, "en"),
    ],
)
async def test_unknown_paths_are_a_404_page_in_the_visitors_language(
    client: Client, path: str, header: str | None, lang: str
) -> None:
    response = await client.get(path, headers={"Accept-Language": header} if header else {})
    assert response.status == 404
    html = await response.text()
    assert f'<html lang="{lang}">' in html
    assert CATALOG.t(lang, "web.errors.not_found") in html


@pytest.mark.parametrize(
    "query",
    ["q=" + "x" * 300, "a=%ZZ", "a=%ff%fe", "&&&", "x"],
)
async def test_oversized_or_malformed_queries_are_a_400(client: Client, query: str) -> None:
    response = await client.get(URL(f"/fr/events?{query}", encoded=True))
    assert response.status == 400
    html = await response.text()
    assert CATALOG.t("fr", "web.errors.bad_request") in html


async def test_a_short_readable_query_is_ignored(client: Client) -> None:
    response = await client.get("/en/events?utm_source=newsletter")
    assert response.status == 200


async def test_the_pages_carry_validators_and_safe_headers(client: Client) -> None:
    response = await client.get("/en/groups")
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"].endswith("GMT")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = await client.get("/en/groups", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304


async def test_static_files_and_robots(client: Client) -> None:
    css = await client.get("/static/hub.css")
    assert css.status == 200 and css.content_type == "text/css"
    assert "@media print" in await css.text()
    script = await client.get("/static/hub.js")
    assert script.status == 200 and "data-local" in await script.text()
    assert (await client.get("/robots.txt")).status == 200


async def test_writes_are_refused(client: Client) -> None:
    assert (await client.post("/en/events", data=b"x")).status == 405
