"""The web hub in headless Chromium (Debian's, through Playwright): each page in English, French and
Spanish at a laptop's and a phone's width, screenshotted (build/screenshots/hub/), with no sideways
scroll, every link followed and none broken, axe-core finding no serious or critical violation (at the
laptop width in each language, at the phone width in English), the
times rewritten into the visitor's zone by the page's script, and the keyboard's skip link first."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, BrowserContext, Page

from bot.clock import FakeClock
from bot.db import Database
from bot.i18n import LANGUAGES, Catalog
from bot.services.consultations import ConsultationService
from bot.services.organisations import OrganisationService
from bot.services.timers import TimerService
from bot.web import WebHub
from tests.browser.page_check import SCREENSHOTS, WIDTHS
from tests.conftest import FIXED_NOW
from tests.web.seed import hub_config, seed

PAGES = {
    "home": "/",
    "organisations": "/organisations",
    "events": "/events",
    "groups": "/groups",
    "group": "/groups/wg1-stem",
    "initiatives": "/initiatives",
    "consultations": "/consultations",
    "digests": "/digests",
    "digest": "/digests/2027-W08",
    "missing": "/no-such-page",
}
AXE = Axe()
SHOTS = SCREENSHOTS / "hub"


class HubThread:
    """The hub over a seeded database, served from its own event loop in a thread."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.base = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        clock = FakeClock(FIXED_NOW)
        config = hub_config(self.directory)
        db = await Database.open(self.directory / "hub.db")
        await seed(db, clock, config)
        timers = TimerService(db, clock)
        consultations = ConsultationService(db, clock, timers, OrganisationService(db, clock, timers, config))
        hub = WebHub(config, db, clock, Catalog.load(), consultations)
        await hub.start()
        self.base = f"http://127.0.0.1:{hub.port}"
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await hub.stop()
        await db.close()

    def __enter__(self) -> HubThread:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the hub did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubThread]:
    with HubThread(tmp_path_factory.mktemp("hub")) as running:
        yield running


@pytest.fixture(scope="module")
def contexts(browser: Browser) -> Iterator[dict[tuple[str, int], BrowserContext]]:
    """One browser context per language and width (its locale, the viewport, the visitor's zone),
    shared by the pages: a context costs about as much as loading a page."""
    opened: dict[tuple[str, int], BrowserContext] = {}
    for lang in LANGUAGES:
        for width in WIDTHS:
            opened[lang, width] = browser.new_context(
                viewport={"width": width, "height": 900},
                locale={"en": "en-GB", "fr": "fr-FR", "es": "es-PE"}[lang],
                timezone_id="America/Lima",
                bypass_csp=True,
            )
    yield opened
    for context in opened.values():
        context.close()


@pytest.fixture(scope="module")
def pages(contexts: dict[tuple[str, int], BrowserContext]) -> dict[tuple[str, int], Page]:
    """One tab per context, reused from page to page: each new tab starts a renderer of its own, which
    costs Chromium more than loading one of these pages. Every test navigates, so none sees another's
    document, focus or script state."""
    return {key: context.new_page() for key, context in contexts.items()}


# The site's own links already requested: the menus and language switches repeat on every page.
LINKS_CHECKED: set[str] = set()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_each_page_in_each_language_and_width(
    pages: dict[tuple[str, int], Page], hub: HubThread, name: str, lang: str, width: int
) -> None:
    page = pages[lang, width]
    errors: list[str] = []

    def record(error: object) -> None:
        errors.append(str(error))

    page.on("pageerror", record)
    try:
        response = page.goto(f"{hub.base}/{lang}{PAGES[name]}", wait_until="load")
        assert response is not None
        assert response.status == (404 if name == "missing" else 200)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
        assert errors == []
        assert page.evaluate("() => document.documentElement.lang") == lang
        scroll = int(page.evaluate("() => document.documentElement.scrollWidth"))
        assert scroll <= width, f"{name} scrolls sideways at {width}px ({scroll}px)"

        # The keyboard's first stop is the skip link, and it leads to the main content.
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "content"

        # Times are rewritten into the visitor's zone (Lima is UTC-5, no daylight saving).
        for shown in page.locator("time[data-local]").all_inner_texts():
            assert not shown.endswith(" UTC") and "2027" in shown, shown
        if name == "events":  # 13:00 UTC is 08:00 in Lima
            assert "08:00" in page.locator("time[data-local]").first.inner_text()

        # Every link of the page answers (the site's own ones; external sites are not fetched).
        hrefs = page.eval_on_selector_all(
            "a[href], link[href]", "els => els.map(e => e.getAttribute('href'))"
        )
        for href in {h.split("#")[0] for h in hrefs if h and h.startswith("/")} - LINKS_CHECKED:
            assert page.request.get(hub.base + href).status == 200, href
            LINKS_CHECKED.add(href)
        for anchor in {h for h in hrefs if h and h.startswith("#")}:
            assert page.locator(anchor).count() == 1, anchor

        # axe-core at the laptop's width in every language, and at the phone's in English (the
        # style sheet's narrow layout; the languages change the words, not the colours).
        if width == WIDTHS[0] or lang == "en":
            results = AXE.run(page)
            serious = [
                f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == []
    finally:
        page.remove_listener("pageerror", record)


def test_the_pages_print(browser: Browser, hub: HubThread) -> None:
    """The print style sheet hides the menus and writes out where the links go."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{hub.base}/en/groups/wg1-stem")
        page.emulate_media(media="print")
        assert page.locator("nav.menu").is_hidden()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(SHOTS / "group-en-print.pdf"))
    finally:
        context.close()
