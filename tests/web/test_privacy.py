"""No private material on the hub: a database full of it (tests/web/seed.py marks each piece with
SECRET, or is a member's Discord id), every route requested by an anonymous visitor in every
language, every link of every page followed; none of it appears in any response."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.i18n import LANGUAGES
from tests.web.seed import MEMBER_IDS, Seeded

Client = TestClient[web.Request, web.Application]
ROUTES = (
    "/",
    "/calendar.ics",
    "/wg/wg1-stem/calendar.ics",
    "/wg/wg9-secret/calendar.ics",
    "/robots.txt",
    *(
        f"/{lang}{path}"
        for lang in LANGUAGES
        for path in (
            "/",
            "/organisations",
            "/events",
            "/groups",
            "/groups/wg1-stem",
            "/groups/wg9-secret",
            "/initiatives",
            "/consultations",
            "/digests",
            "/digests/2027-W08",
            "/digests/2027-W09",
        )
    ),
)
FORBIDDEN = re.compile("|".join(["secret", *map(str, MEMBER_IDS), r"<@", "wg9"]), re.IGNORECASE)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and value.startswith("/"):
                self.links.append(value)


async def test_no_private_material_on_any_route(client: Client, seeded: Seeded) -> None:
    seen: set[str] = set()
    queue = list(ROUTES)
    leaks: list[str] = []
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = await client.get(path)
        assert response.status in (200, 404), path
        text = (await response.read()).decode("utf-8")
        leaks.extend(
            f"{path}: {m.group(0)!r} in …{text[max(0, m.start() - 40) : m.end() + 40]}…"
            for m in FORBIDDEN.finditer(text)
        )
        if response.content_type == "text/html":
            parser = _Links()
            parser.feed(text)
            queue.extend(link.split("#")[0] for link in parser.links)
    assert leaks == []
    assert len(seen) > len(ROUTES)  # the pages' own links were followed too


async def test_the_public_material_is_there(client: Client, seeded: Seeded) -> None:
    """The privacy test would pass on an empty site: the seeded public rows are shown."""
    organisations = await (await client.get("/en/organisations")).text()
    assert organisations.count('rel="external noopener"') == 3  # the three active organisations
    assert "Women in Mining UK" in organisations
    groups = await (await client.get("/en/groups")).text()
    assert "STEM and education" in groups
    results = await (await client.get("/en/consultations")).text()
    assert results.count("<section") == 1
