"""Open a local HTML page in headless Chromium at a given width and measure what a reader would see.

Playwright drives Debian's ``chromium`` (``/usr/bin/chromium``, or ``$CHROMIUM``): Playwright's own
browser download is not reachable from CI, so ``tests/browser/ensure_chromium.sh`` installs Debian's
package (``make test`` runs it). Screenshots go to ``build/screenshots/`` (git-ignored) for a person
to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "screenshots"
WIDTHS = (1280, 390)  # a laptop and a phone
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# What Discord markdown would leave behind if it were not rendered: any backtick (a code block shown
# as inline code leaves two on each side), bold's and underline's pairs.
MARKERS = re.compile(r"`+|\*\*|__")


@dataclass(frozen=True)
class Image:
    alt: str
    complete: bool
    natural_width: int


@dataclass(frozen=True)
class Look:
    """What the page showed at one width."""

    width: int
    scroll_width: int  # the document's: above ``width`` means the page scrolls sideways
    wide: list[str]  # the elements that stick out past the viewport's right edge, for the message
    spilling: list[str]  # boxes whose content spills out of them (over their neighbours)
    images: list[Image]  # every <img>, once loaded
    text: str  # the visible text (innerText)
    screenshot: Path

    def markers(self) -> list[str]:
        """Each raw markdown marker in the visible text, with a little context."""
        return [self.text[max(0, m.start() - 30) : m.end() + 30] for m in MARKERS.finditer(self.text)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for one test module; a conftest imports this fixture to offer it.

    Not for the session: while open, Playwright's sync API keeps an event loop running in this
    thread, and no asyncio test (the e2e suite) could run until it closes.
    """
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"no Chromium at {CHROMIUM}: run tests/browser/ensure_chromium.sh (make test does)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


_WIDE_JS = """(width) => Array.from(document.querySelectorAll('body *'))
  .filter((e) => e.getBoundingClientRect().right > width + 0.5)
  .slice(0, 8)
  .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ': '
    + (e.textContent || '').trim().slice(0, 60))"""

# A box that lets its content out (overflow visible) while the content is wider than the box: what spills
# lies over the box's neighbours (a long URL over the next field). A box that scrolls is no spill.
_SPILLING_JS = """() => Array.from(document.querySelectorAll('body *'))
  .filter((e) => {
    const style = getComputedStyle(e);
    return style.display !== 'inline' && style.overflowX === 'visible' && e.clientWidth > 0
      && e.scrollWidth > e.clientWidth + 1;
  })
  .slice(0, 8)
  .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ('
    + e.scrollWidth + ' > ' + e.clientWidth + '): ' + (e.textContent || '').trim().slice(0, 60))"""

_IMAGES_JS = """() => Array.from(document.images).map((i) => ({
  alt: i.alt, complete: i.complete, natural_width: i.naturalWidth }))"""


def look(browser: Browser, page_path: Path, width: int, name: str) -> Look:
    """Open ``page_path`` at ``width`` CSS pixels, wait for its images, screenshot it whole as
    ``build/screenshots/<name>-<width>.png`` and measure it."""
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        page.wait_for_function("() => Array.from(document.images).every((i) => i.complete)")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        screenshot = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(screenshot), full_page=True)
        return Look(
            width=width,
            scroll_width=int(page.evaluate("() => document.documentElement.scrollWidth")),
            wide=list(page.evaluate(_WIDE_JS, width)),
            spilling=list(page.evaluate(_SPILLING_JS)),
            images=[Image(**item) for item in page.evaluate(_IMAGES_JS)],
            text=str(page.evaluate("() => document.body.innerText")),
            screenshot=screenshot,
        )
    finally:
        context.close()
