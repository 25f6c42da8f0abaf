"""The newsletter's draft from the command line (``python -m bot newsletter``): Markdown and one
self-contained HTML file parsed back with html.parser (inline styles, no script, the consultation's
chart as a PNG data URI), read-only, and the bad inputs (a date it cannot read, a period in the
future or backwards, a language that is not en, fr or es)."""

from __future__ import annotations

import base64
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import FakeClock
from bot.config import load_config
from bot.db import Database
from bot.services.consultations import PollDraft
from bot.services.container import build_services
from bot.services.events import EventDraft
from bot.services.organisations import OrganisationDraft
from bot.services.working_groups import Actor
from tests.test_cli import config_copy

PNG = b"\x89PNG\r\n\x1a\n"


class Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.styled = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "img":
            self.images.append(values)
        if "style" in values:
            self.styled += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture
async def seeded(tmp_path: Path, clock: FakeClock) -> tuple[Path, FakeClock]:
    path = config_copy(tmp_path)
    config = load_config(path)
    guild = config.guild_ids[0]
    db = await Database.open(config.database)
    try:
        services = build_services(config, db, clock)
        groups = await services.working_groups.seed(guild, config.working_groups)
        event = await services.events.create_event(
            EventDraft(
                guild_id=guild,
                organiser_id=2001,
                title="Global WIM Call: critical minerals",
                start=(clock.now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
                channel_id=4000,
                timezone="UTC",
                duration_minutes=60,
            )
        )
        await services.events.rsvp(event.id, 3000, "going", [], guild_id=guild)
        clock.advance(timedelta(hours=1, minutes=5))
        await services.events.check_in(event.id, 3000, [])
        await services.working_groups.posts.post_update(
            groups[0].id, "Mentoring survey sent to 30 WIM organisations", Actor(2001, moderator=True), "en"
        )
        await services.organisations.add(
            guild, 2001, OrganisationDraft(name="WIM Ghana", country="GH", website="https://wim.example.gh")
        )
        poll = await services.consultations.create(
            PollDraft(
                guild_id=guild,
                channel_id=4000,
                creator_id=2001,
                question="Which theme for the June roundtable?",
                options="Safety; Leadership <b>",
                closes="1d",
            )
        )
        await services.consultations.vote(poll.id, 3000, [2], [], guild_id=guild)
        await services.consultations.close(poll.id, 2001, is_moderator=True, guild_id=guild)
        await services.events.create_event(
            EventDraft(
                guild_id=guild,
                organiser_id=2001,
                title="Roundtable: safety",
                start=(clock.now() + timedelta(days=10)).strftime("%Y-%m-%d %H:%M"),
                channel_id=4000,
                timezone="UTC",
            )
        )
        clock.advance(timedelta(days=1))
    finally:
        await db.close()
    return path, clock


def cli(path: Path, clock: FakeClock, *args: str) -> int:
    day = clock.now().date()
    return main(
        [
            "newsletter",
            "--config",
            str(path),
            "--from",
            (day - timedelta(days=5)).isoformat(),
            "--to",
            day.isoformat(),
            *args,
        ],
        clock=clock,
    )


def test_markdown_draft(seeded: tuple[Path, FakeClock], capsys: pytest.CaptureFixture[str]) -> None:
    path, clock = seeded
    database = load_config(path).database
    before = sorted(p.name for p in database.parent.iterdir())
    assert cli(path, clock) == 0
    text = capsys.readouterr().out
    assert text.startswith("# WIM Alliance newsletter")
    for expected in (
        "## Global WIM Calls and roundtables held",
        "**Global WIM Call: critical minerals**",
        "Going: 1 · Checked in: 1",
        "## Working-group progress",
        "Mentoring survey sent to 30 WIM organisations",
        "### Which theme for the June roundtable?",
        "Leadership <b>: 1 ballot (100%)",
        "## New WIM organisations",
        "**WIM Ghana** (Ghana)",
        "## What is coming",
        "**Roundtable: safety**",
        "](data:image/png;base64,",
    ):
        assert expected in text, expected
    assert sorted(p.name for p in database.parent.iterdir()) == before  # read-only: nothing written


def test_html_draft_is_self_contained(
    seeded: tuple[Path, FakeClock], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, clock = seeded
    assert cli(path, clock, "--format", "html", "--language", "fr", "--output", str(tmp_path)) == 0
    (written,) = tmp_path.glob("newsletter-*-fr.html")
    parsed = Parsed()
    parsed.feed(written.read_text(encoding="utf-8"))
    assert "script" not in parsed.tags and "link" not in parsed.tags and "style" not in parsed.tags
    assert parsed.styled > 10  # inline styles
    (image,) = parsed.images
    source = str(image["src"])
    assert source.startswith("data:image/png;base64,")
    assert base64.b64decode(source.split(",", 1)[1]).startswith(PNG)
    text = "".join(parsed.text)
    assert "Lettre d'information de l'Alliance WIM" in text
    assert "Réunions mondiales WIM et tables rondes tenues" in text
    assert "Leadership <b>" in text  # a member's text is escaped, read back as text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2027-13-01", "--to", "2027-03-01"], "cannot read the date"),
        (["--from", "2027-03-01", "--to", "2027-02-01"], "cannot end"),
        (["--from", "2099-01-01", "--to", "2099-02-01"], "has not come yet"),
    ],
)
def test_bad_dates_are_one_line(
    seeded: tuple[Path, FakeClock], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    path, clock = seeded
    assert main(["newsletter", "--config", str(path), *args], clock=clock) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_language_it_does_not_speak_is_refused(seeded: tuple[Path, FakeClock]) -> None:
    path, clock = seeded
    with pytest.raises(SystemExit) as refused:
        cli(path, clock, "--language", "de")
    assert refused.value.code == 2
