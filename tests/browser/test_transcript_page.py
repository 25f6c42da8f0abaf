"""The transcript page (tests/demo/transcript.py) in Chromium, at a laptop's and a phone's width, on a
small transcript holding each thing that once broke it: a code block (the working groups' report), long
URLs in inline fields (/org info), a PNG chart, a calendar file with long lines, bold and underline."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.page_check import WIDTHS, look
from tests.demo.transcript import (
    Action,
    FileShown,
    Narration,
    Persona,
    Post,
    Reader,
    SceneLog,
    Transcript,
    render_html,
)

GRACE = Persona("grace", "Grace", "Secretariat", "en-GB", "Europe/London", "#eb459e")
AT = datetime(2027, 1, 5, 14, 0, tzinfo=UTC)
TABLE_ROW = "wg1-stem         Needs attention          0/4       0/2       0     29 ⚠"
TABLE = "\n".join(
    [
        "Group            Status              Workplan   Outputs    Late   Days",
        "-" * 70,
        TABLE_ROW,
        "wg2-workplace    In progress              1/2       1/2       0     14",
    ]
)
LONG_URL = "https://www.linkedin.com/company/example-wim-peru-mujeres-en-mineria-del-peru-asociacion-civil"


def png(width: int, height: int) -> bytes:
    """A real PNG: horizontal bands of colour, like a bar chart."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + (bytes((88, 101, 242)) if (y // 10) % 2 else bytes((35, 165, 90))) * width
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "BEGIN:VEVENT",
        "SUMMARY:Global WIM Call: the working groups' first outcomes and the Global WIM Summit, all regions",
        "DTSTART:20261209T090000Z",
        "DTEND:20261209T103000Z",
        f"URL:https://meet.example.org/global-wim-call/{'x' * 120}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
).encode()


def _post(**kwargs: object) -> Post:
    fields: dict[str, object] = {
        "kind": "ephemeral",
        "where": "#general",
        "author": "WIM Alliance Bot",
        "content": "",
        "embeds": (),
        "components": (),
        "files": (),
        "at": AT,
        "viewer": GRACE,
    }
    fields.update(kwargs)
    return Post(**fields)  # type: ignore[arg-type]


def transcript() -> Transcript:
    scene = SceneLog("everything", "Every element", "One of each thing the page shows.")
    scene.entries += [
        Narration("Grace looks at the report and a card."),
        Action(GRACE, "used /org add in #general", f"name: Mujeres en Minería Perú linkedin: {LONG_URL}"),
        _post(
            embeds=(
                {
                    "title": "Working groups: progress",
                    "description": f"```\n{TABLE}\n```\nNeeds attention: **wg1-stem**\n"
                    "__Legend__: done/total.",
                },
            ),
            files=(FileShown("wg-report.png", "application/octet-stream", png(480, 120)),),
        ),
        _post(
            embeds=(
                {
                    "title": "Mujeres en Minería Perú",
                    "fields": [
                        {"name": "Country", "value": "Peru", "inline": True},
                        {
                            "name": "Website",
                            "value": "https://www.example.org/wim-peru-" + "a" * 40,
                            "inline": True,
                        },
                        {"name": "LinkedIn", "value": LONG_URL, "inline": True},
                    ],
                },
            ),
        ),
        _post(
            content="```text\nplain block, typed with its language\n```\n"
            "**Global WIM Call** as a calendar file.",
            files=(FileShown("wim-event-1.ics", "text/calendar", ICS),),
        ),
    ]
    return Transcript(Reader("UTC"), scenes=[scene])


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("transcript") / "index.html"
    path.write_text(render_html(transcript(), title="Elements", intro="Each element once.", cast=[GRACE]))
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_every_element_fits_renders_and_leaves_no_markdown(browser: Browser, page: Path, width: int) -> None:
    seen = look(browser, page, width, "transcript-elements")
    assert seen.scroll_width <= width, seen.wide
    assert seen.spilling == []
    assert [(i.alt, i.complete) for i in seen.images] == [("wg-report.png", True)]
    assert all(i.natural_width == 480 for i in seen.images)
    assert seen.markers() == []
    assert TABLE_ROW in seen.text  # the code block keeps its columns
    assert "plain block, typed with its language" in seen.text and "```text" not in seen.text
    assert "DTSTART:20261209T090000Z" in seen.text  # the calendar file's telling lines
