"""The consultations' section of the weekly digest: open consultations (closing soon flagged first),
the results of those closed in the window, left out when there is neither; registered at order 30."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.services.consultations import PollDraft
from bot.services.container import Services, build_services
from tests.services.digest.test_digest import GUILD, make_config, text_of

CHANNEL = 4000


@pytest.fixture
def services(db: Database, clock: FakeClock) -> Services:
    return build_services(make_config(), db, clock)


def draft(question: str, closes: str) -> PollDraft:
    return PollDraft(
        guild_id=GUILD,
        channel_id=CHANNEL,
        creator_id=2001,
        question=question,
        options="Safety; Leadership; Diversity",
        closes=closes,
    )


async def test_the_section_sits_between_working_groups_and_the_directory(services: Services) -> None:
    keys = services.digest.section_keys
    assert keys.index("working_groups") < keys.index("consultations") < keys.index("directory")


async def test_open_closing_soon_and_closed_results(services: Services, clock: FakeClock) -> None:
    since = clock.now()
    later = await services.consultations.create(draft("Which city for the 2028 summit?", "10d"))
    soon = await services.consultations.create(draft("Which theme for the June roundtable?", "2d"))
    closed = await services.consultations.create(draft("Adopt the mentoring charter?", "1d"))
    for user_id, choice in ((3000, 2), (3001, 2), (3002, 1)):
        await services.consultations.vote(closed.id, user_id, [choice], [], guild_id=GUILD)
    await services.consultations.vote(soon.id, 3000, [1], [], guild_id=GUILD)
    clock.advance(timedelta(hours=1))
    await services.consultations.close(closed.id, 2001, is_moderator=True, guild_id=GUILD)
    clock.advance(timedelta(minutes=1))

    digest = await services.digest.build(GUILD, since, clock.now(), "en")
    section = next(s for s in digest.sections if s.key == "consultations")
    assert section.title == "Consultations and results"
    first, second, result = section.items
    # Soonest deadline first; the one within three days flagged.
    assert first.startswith("⏳ **Which theme for the June roundtable?**: closing soon")
    assert "Ballots: 1" in first and f"<t:{int(soon.closes_at.timestamp())}:R>" in first
    assert second.startswith("🗳️ **Which city for the 2028 summit?**: open until")
    assert f"<t:{int(later.closes_at.timestamp())}:f>" in second
    assert result == "✅ **Adopt the mentoring charter?** is closed: Leadership · 3 ballots"

    spanish = text_of((await services.digest.build(GUILD, since, clock.now(), "es")).messages)
    assert "Consultas y resultados" in spanish and "está cerrada: Leadership · 3 votos" in spanish

    # A later window: the closed one is no longer news; the open ones still are.
    again = await services.digest.build(GUILD, clock.now(), clock.now() + timedelta(hours=1), "en")
    items = next(s for s in again.sections if s.key == "consultations").items
    assert len(items) == 2 and not any("mentoring charter" in item for item in items)


async def test_no_consultation_leaves_the_section_out(services: Services, clock: FakeClock) -> None:
    digest = await services.digest.build(GUILD, clock.now() - timedelta(days=7), clock.now(), "fr")
    assert "consultations" not in [section.key for section in digest.sections]
