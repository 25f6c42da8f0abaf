"""The engagement report's service: periods as moderators type them (local units, quarters, ranges;
bad and future ones refused), and the figures of a seeded window with its charts and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import UserFacingError
from bot.services.consultations import PollDraft
from bot.services.container import Services, build_services
from bot.services.events import EventDraft
from bot.services.organisations import OrganisationDraft
from bot.services.stats.period import parse_period
from tests.services.digest.test_digest import GUILD, MODERATOR, make_config

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("30d", date(2026, 10, 16), date(2026, 11, 15)),
        ("30j", date(2026, 10, 16), date(2026, 11, 15)),
        ("30 días", date(2026, 10, 16), date(2026, 11, 15)),
        ("2sem", date(2026, 11, 1), date(2026, 11, 15)),
        ("6m", date(2026, 5, 15), date(2026, 11, 15)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-T3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-09..2026-10", date(2026, 9, 1), date(2026, 10, 31)),
        ("2026-09-10..2026-09-20", date(2026, 9, 10), date(2026, 9, 20)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 11, 15)),  # still running: ends now
        (None, date(2026, 8, 17), date(2026, 11, 15)),
    ],
)
def test_periods(text: str | None, first: date, last: date) -> None:
    period = parse_period(text, NOW, PARIS)
    assert (period.first_day, period.last_day) == (first, last)
    assert period.end <= NOW


def test_quarters_start_at_local_midnight() -> None:
    period = parse_period("2026-Q3", NOW, PARIS)
    assert period.start == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)  # 00:00 in Paris (summer time)


@pytest.mark.parametrize("text", ["soon", "30x", "0d", "2026-13", "2026-Q5", "2026-10..2026-09", "99999d"])
def test_a_period_it_cannot_read_is_refused_with_examples(text: str) -> None:
    with pytest.raises(UserFacingError) as refused:
        parse_period(text, NOW, PARIS)
    assert refused.value.key == "stats.errors.bad_period"
    assert "2026-Q3" in str(refused.value.params["examples"])


@pytest.mark.parametrize("text", ["2027-Q1", "2026-12", "2027"])
def test_a_future_period_is_refused(text: str) -> None:
    with pytest.raises(UserFacingError) as refused:
        parse_period(text, NOW, PARIS)
    assert refused.value.key == "stats.errors.future_period"


@pytest.fixture
def services(db: Database, clock: FakeClock) -> Services:
    return build_services(make_config(), db, clock)


async def test_the_report_counts_attendance_turnout_groups_growth_and_clicks(
    services: Services, clock: FakeClock
) -> None:
    start = clock.now()
    groups = await services.working_groups.seed(GUILD, make_config().working_groups)
    await services.working_groups.posts.post_update(groups[0].id, "Survey sent", MODERATOR, "en")
    event = await services.events.create_event(
        EventDraft(
            guild_id=GUILD,
            organiser_id=2001,
            title="Global WIM Call",
            start=(clock.now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
            channel_id=4000,
            timezone="UTC",
            duration_minutes=60,
            link="https://meet.example.org/wim",
        )
    )
    for user_id in (3000, 3001, 3002, 3003):
        await services.events.rsvp(event.id, user_id, "going", [], guild_id=GUILD)
    await services.events.meeting_link(event.id, 3000, (), guild_id=GUILD)
    await services.events.meeting_link(event.id, 3000, (), guild_id=GUILD)
    await services.events.meeting_link(event.id, 3001, (), guild_id=GUILD)
    clock.advance(timedelta(hours=1, minutes=5))
    await services.events.check_in(event.id, 3000, [])
    organisation = await services.organisations.add(
        GUILD, 2001, OrganisationDraft(name="WIM Peru", country="PE", website="https://wim.example.pe")
    )
    await services.organisations.verify(GUILD, organisation.id, 3001, "representative", 2001)
    poll = await services.consultations.create(
        PollDraft(
            guild_id=GUILD,
            channel_id=4000,
            creator_id=2001,
            question="Adopt the charter?",
            options="Yes; No",
            closes="1d",
            voters="organisations",
        )
    )
    await services.consultations.vote(poll.id, 3001, [1], [], guild_id=GUILD)
    clock.advance(timedelta(hours=1))
    await services.consultations.close(poll.id, 2001, is_moderator=True, guild_id=GUILD)
    clock.advance(timedelta(days=1))

    period = services.stats.period("7d")
    assert period.start <= start
    report = await services.stats.report(GUILD, period)
    assert [(e.title, e.going, e.checked_in, e.clickers, e.clicks) for e in report.events] == [
        ("Global WIM Call", 4, 1, 2, 3)
    ]
    assert [(s.title, s.events, s.going, s.checked_in) for s in report.series] == [
        ("Global WIM Call", 1, 4, 1)
    ]
    assert [(r.region, r.answered, r.registered) for r in report.regions] == [("419", 1, 1)]
    assert report.consultations == 1 and report.organisations[0].name == "WIM Peru"
    assert report.organisations_total == 1 and report.verified_total == 1
    assert next(g for g in report.groups if g.group_id == groups[0].id).updates == 1

    rendered = await services.stats.render(report, "fr")
    assert [s.key for s in rendered.sections] == [
        "attendance",
        "consultations",
        "working_groups",
        "growth",
        "clicks",
    ]
    assert all(s.chart is not None and s.chart.startswith(PNG) for s in rendered.sections)
    attendance = rendered.sections[0]
    assert "Je participe : 4" in attendance.summary and "Présences : 1 (25 %" not in attendance.summary
    assert "(25%" in attendance.summary
    clicks = rendered.sections[-1]
    assert clicks.summary.startswith("2 membres ont ouvert le lien de réunion de 1 événements (3 clics)")
    rows = list(csv.DictReader(io.StringIO(rendered.csv)))
    figures = {(r["section"], r["metric"]): r["value"] for r in rows if "Global WIM Call" in r["item"]}
    assert figures[("clicks", "unique_members")] == "2" and figures[("clicks", "clicks")] == "3"
    assert figures[("attendance", "going")] == "4" and figures[("attendance", "checked_in")] == "1"


async def test_an_empty_period_has_no_charts_but_the_growth_line(
    services: Services, clock: FakeClock
) -> None:
    report = await services.stats.report(GUILD, services.stats.period("30d"))
    rendered = await services.stats.render(report, "es")
    by_key = {s.key: s for s in rendered.sections}
    assert (
        by_key["attendance"].chart is None
        and by_key["attendance"].summary == "No hay cifras en este periodo."
    )
    assert by_key["clicks"].chart is None
