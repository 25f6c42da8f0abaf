"""``make demo`` end to end: the tour plays against the real bot and its page reads as Discord would."""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser

from bot.i18n import Catalog
from tests.browser.page_check import CHROMIUM, WIDTHS, look
from tests.demo.__main__ import main
from tests.demo.scenes import SCENES, hub

pytestmark = pytest.mark.e2e


class Page(HTMLParser):
    """The page's text (outside <style>), its scene sections and every attribute value."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.scenes: list[str] = []
        self.headings: list[str] = []
        self.attributes: list[str] = []
        self._skip = 0
        self._heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attributes += [value for value in values.values() if value]
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "section" and values.get("data-scene"):
            self.scenes.append(str(values["data-scene"]))
        self._heading = tag == "h2"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        if tag == "h2":
            self._heading = False

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._heading:
            self.headings.append(data)


@dataclass(frozen=True)
class Demo:
    page: Path
    printed: str  # what the tour printed: the transcript as text


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """One play of the tour (about ten seconds) for every test of this module."""
    output = tmp_path_factory.mktemp("demo") / "index.html"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["--reader-zone", "America/Lima", "--output", str(output)])
    assert code == 0, printed.getvalue()[-2000:]  # 0: no violation
    return Demo(output, printed.getvalue())


def test_the_tour_plays_and_the_page_shows_every_scene_rendered(demo: Demo) -> None:
    printed = demo.printed
    page = Page()
    page.feed(demo.page.read_text(encoding="utf-8"))
    page.close()
    text = "\n".join(page.text)  # one line per text node: for looking for leftovers
    flat = "".join(page.text)  # as a reader reads it: for phrases that span markup
    assert page.scenes == [scene.key for scene in SCENES]
    for number, scene in enumerate(SCENES, start=1):
        assert f"{number}. {scene.title}" in page.headings
        assert f"=== {number}. {scene.title} ===" in printed

    # Nothing left for a reader to decode: no timestamp tokens, no catalog keys, no raw mentions.
    for where in (text, " ".join(page.attributes), printed):
        assert "<t:" not in where
        assert not re.search(r"<(@&?|#)\d+>", where)
    keys = {key for messages in Catalog.load().messages.values() for key in messages}
    prefixes = {key.split(".")[0] + "." for key in keys}
    leaked = [key for key in keys if key in text]
    leaked += [prefix for prefix in prefixes if re.search(rf"\b{re.escape(prefix)}[a-z_]", text)]
    assert leaked == []

    # What the tour promises, as each member saw it.
    text = flat
    assert "Only visible to Claire" in text and "Only visible to Lucía" in text
    assert "Direct message to Margaux" in text and "Direct message to Valentina" in text
    assert "Rappel : **Global WIM Call**" not in text  # markdown became markup
    assert "Rappel" in text and "Recordatorio" in text and "Reminder" in text
    assert "es solo para miembros de @WIM Leaders" in text  # the polite refusal, in Lucía's Spanish
    assert "wim-event-1.ics" in text and "BEGIN:VCALENDAR" not in text  # the file, linked not dumped
    assert any(value.startswith("data:") and ";base64," in value for value in page.attributes)
    # Channel times in the reader's zone (Lima): the call, set in Paris time, shows at Lima's time.
    when = re.search(r"Global WIM Call for (\w+ \d+ \w+ \d{4} at \d\d:\d\d) Paris time", text)
    assert when is not None
    paris = datetime.strptime(when.group(1), "%A %d %B %Y at %H:%M").replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert f"{paris.astimezone(ZoneInfo('America/Lima')):%H:%M}" in text
    assert "Time moves forward" in text and "(America/Lima)" in text
    # The calendar file's narration says what the file holds.
    assert "The file gives the start in UTC (DTSTART:" in text or "keeps the organiser's zone" in text
    # The report shows progress: something done, one group flagged, not all of them.
    assert re.search(r"WG2 – Inclusive Workplace Design\W+In progress\W+Workplan 1/2 · outputs 1/2", text), (
        text[text.find("Working groups: progress") :][:1500]
    )
    assert (
        "Needs attention: WG1 – Attracting and Retaining STEM Women to Mining\n"
        in "\n".join(page.text) + "\n"
    )
    # The web hub, served by the bot during the tour: its feed without the leaders-only roundtable,
    # answered 304 when polled again, and its pages pictured next to the page (when there is a Chromium).
    assert "without the leaders-only roundtable" in text and "answered 304 Not Modified" in text
    pictures = [demo.page.parent / "hub" / f"{name}.png" for _, name, _, _ in hub.PAGES]
    if CHROMIUM.exists():
        assert all(p.read_bytes().startswith(b"\x89PNG") for p in pictures)
        assert {f"hub/{p.name}" for p in pictures} <= set(page.attributes)
    else:
        assert "No pictures of the hub: there is no Chromium" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_reads_in_a_browser_on_a_laptop_and_a_phone(
    demo: Demo, browser: Browser, width: int
) -> None:
    seen = look(browser, demo.page, width, "demo")
    assert seen.scroll_width <= width, seen.wide  # no sideways scrolling
    assert seen.spilling == []  # no text over its neighbour (a long URL over the next field)
    # The PNG charts show as images, loaded: the working groups' report and the directory's export.
    assert {i.alt for i in seen.images} >= {"wg-report.png", "wim-organisations-by-region.png"}
    assert {i.alt for i in seen.images} >= {f"{name}.png" for _, name, _, _ in hub.PAGES}  # the web hub
    assert all(i.complete and i.natural_width > 0 for i in seen.images), seen.images
    assert seen.markers() == []  # no backtick, ** or __ left in what a reader sees
