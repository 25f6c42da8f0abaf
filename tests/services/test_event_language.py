"""An event's language: stored with it, validated, and taken from the channel when seeding."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import Choices, UserFacingError
from bot.i18n import Catalog
from bot.services.events import EventService
from bot.services.timers import TimerService
from tests.services.events.helpers import CHANNEL, GUILD, LEADERS_ROLE, draft, make_config, row_counts


@pytest.fixture
def service(db: Database, clock: FakeClock, tmp_path: Path) -> EventService:
    return EventService(db, clock, TimerService(db, clock), make_config(tmp_path))


async def test_create_stores_the_language_of_the_public_posts(service: EventService) -> None:
    first = await service.create_event(draft(title="Table ronde des responsables", language="fr"))
    assert first.language == "fr"
    assert (await service.get_occurrence(first.id)).language == "fr"
    unset = await service.create_event(draft(title="No language given"))
    assert unset.language is None  # decided at posting time: the channel's, else the server's


async def test_an_unknown_language_is_refused_and_nothing_is_written(
    service: EventService, db: Database
) -> None:
    before = await row_counts(db)
    with pytest.raises(UserFacingError) as caught:
        await service.create_event(draft(language="de"))
    assert caught.value.key == "events.errors.bad_language"
    assert caught.value.params["choices"] == Choices("languages", ("en", "fr", "es"))
    assert await row_counts(db) == before
    text = Catalog.load().t("fr", caught.value.key, **caught.value.params)
    assert text == "Je ne parle pas la langue « de ». Choisissez « Anglais », « Français » ou « Espagnol »."


async def test_seeding_into_a_channel_with_its_own_language_uses_it(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    settings = make_config(tmp_path, channel_languages={"leaders": "fr"})
    events = EventService(db, clock, TimerService(db, clock), settings)
    channels = {"announcements": CHANNEL, "leaders": CHANNEL + 1}
    await events.seed_calendar(GUILD, settings.calendar, channels, {"WIM Leaders": LEADERS_ROLE}, "en")
    page = await events.upcoming(GUILD, days=400, limit=100)
    by_key = {o.source_key: o for o in page.items}
    assert by_key["leaders-roundtable"].title == "Table ronde"
    assert by_key["leaders-roundtable"].language == "fr"
    assert by_key["global-wim-call"].title == "Global WIM Call"
    assert by_key["global-wim-call"].language == "en"
