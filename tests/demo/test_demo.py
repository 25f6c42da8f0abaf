"""``make demo`` end to end: the tour plays against the real bot and its page reads as Discord would."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.i18n import Catalog
from tests.demo.__main__ import main
from tests.demo.scenes import SCENES

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


def test_the_tour_plays_and_the_page_shows_every_scene_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "demo" / "index.html"
    assert main(["--reader-zone", "America/Lima", "--output", str(output)]) == 0  # 0: no violation
    printed = capsys.readouterr().out

    page = Page()
    page.feed(output.read_text(encoding="utf-8"))
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
    # Channel times in the reader's zone (Lima, UTC-5): the 14:00 Paris call shows at 08:00.
    assert re.search(r"\b08:00\b", text)
    assert "Time moves forward" in text and "(America/Lima)" in text
