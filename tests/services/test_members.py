"""Member settings: defaults, validated time zone, DM reminder switch."""

from __future__ import annotations

import sqlite3

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import UserFacingError
from bot.repositories import members as members_repo
from bot.services.members import MemberSettings, MemberSettingsService


@pytest.fixture
def members(db: Database, clock: FakeClock) -> MemberSettingsService:
    return MemberSettingsService(db, clock)


async def test_defaults_for_a_member_who_never_set_anything(
    members: MemberSettingsService, db: Database
) -> None:
    assert await members.get(1, 2) == MemberSettings(guild_id=1, user_id=2, timezone=None, dm_reminders=True)
    assert await db.fetchval("SELECT count(*) FROM member_settings") == 0


async def test_set_and_clear_timezone(members: MemberSettingsService) -> None:
    saved = await members.set_timezone(1, 2, " America/Lima ")
    assert saved.timezone == "America/Lima"
    assert (await members.get(1, 2)).timezone == "America/Lima"
    assert (await members.get(1, 3)).timezone is None  # another member
    assert (await members.get(9, 2)).timezone is None  # the same member in another guild
    assert (await members.set_timezone(1, 2, None)).timezone is None


async def test_empty_timezone_clears_it(members: MemberSettingsService) -> None:
    await members.set_timezone(1, 2, "Asia/Manila")
    assert (await members.set_timezone(1, 2, "  ")).timezone is None


@pytest.mark.parametrize("name", ["Mars/Base", "../../etc/passwd", "Europe/", "localtime"])
async def test_unknown_timezone_is_refused(members: MemberSettingsService, name: str) -> None:
    with pytest.raises(UserFacingError) as caught:
        await members.set_timezone(1, 2, name)
    assert caught.value.key == "members.errors.unknown_timezone"
    assert caught.value.params == {"timezone": name}
    assert (await members.get(1, 2)).timezone is None


async def test_dm_reminders_switch_keeps_the_timezone(members: MemberSettingsService) -> None:
    await members.set_timezone(1, 2, "Africa/Johannesburg")
    off = await members.set_dm_reminders(1, 2, False)
    assert off == MemberSettings(1, 2, timezone="Africa/Johannesburg", dm_reminders=False)
    assert (await members.set_dm_reminders(1, 2, True)).dm_reminders is True
    assert (await members.get(1, 2)).timezone == "Africa/Johannesburg"


async def test_remember_language_writes_only_when_it_changes_and_keeps_other_settings(
    members: MemberSettingsService, db: Database
) -> None:
    await members.set_timezone(1, 2, "Europe/Paris")
    await members.set_dm_reminders(1, 2, False)
    assert (await members.get(1, 2)).language is None
    assert await members.remember_language(1, 2, "fr") is True
    assert await members.remember_language(1, 2, "fr") is False  # same language: nothing written
    assert await members.get(1, 2) == MemberSettings(
        1, 2, timezone="Europe/Paris", dm_reminders=False, language="fr"
    )
    assert await members.remember_language(1, 2, "es") is True
    assert (await members.get(1, 2)).language == "es"
    # A member seen for the first time gets a row with the defaults and their language.
    assert await members.remember_language(1, 3, "en") is True
    assert await members.get(1, 3) == MemberSettings(1, 3, timezone=None, dm_reminders=True, language="en")
    assert (await members.get(9, 2)).language is None  # the same member in another guild
    assert await members.languages(1, [2, 3, 4]) == {2: "es", 3: "en"}
    assert await members.languages(1, []) == {}


async def test_remember_language_refuses_a_language_without_catalog(
    members: MemberSettingsService, db: Database
) -> None:
    with pytest.raises(ValueError, match="not a catalog language"):
        await members.remember_language(1, 2, "de")
    assert await db.fetchval("SELECT count(*) FROM member_settings") == 0
    # The column's CHECK backs this up for any other writer.
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO member_settings (guild_id, user_id, language) VALUES (1, 2, 'de')")


async def test_remember_language_costs_no_database_trip_once_known(
    members: MemberSettingsService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await members.remember_language(1, 2, "fr") is True
    assert await members.remember_language(1, 3, "es") is True

    async def no_trip(*args: object) -> None:
        raise AssertionError("the database was asked again")

    monkeypatch.setattr("bot.repositories.members.get", no_trip)
    monkeypatch.setattr("bot.repositories.members.remember_language", no_trip)
    assert await members.remember_language(1, 2, "fr") is False
    assert await members.remember_language(1, 3, "es") is False
    monkeypatch.undo()
    # A change is still written. A new process (service) does not read first: its one write
    # changes nothing when the stored language is the same.
    assert await members.remember_language(1, 2, "en") is True
    fresh = MemberSettingsService(db, members._clock)
    monkeypatch.setattr("bot.repositories.members.get", no_trip)
    assert await fresh.remember_language(1, 2, "en") is False
    monkeypatch.undo()
    assert await fresh.languages(1, [2, 3]) == {2: "en", 3: "es"}


async def test_remembered_languages_are_bounded_and_the_least_recent_goes_first(
    members: MemberSettingsService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.services.members.REMEMBERED_LANGUAGES", 3)
    for user_id in (1, 2, 3):
        assert await members.remember_language(1, user_id, "fr") is True
    assert await members.remember_language(1, 1, "fr") is False  # 1 is now the most recent
    assert await members.remember_language(1, 4, "es") is True  # 2, the least recent, is forgotten
    assert len(members._languages) == 3
    trips: list[int] = []
    real = members_repo.remember_language

    async def counted(db_: Database, guild_id: int, user_id: int, lang: str) -> bool:
        trips.append(user_id)
        return await real(db_, guild_id, user_id, lang)

    monkeypatch.setattr("bot.repositories.members.remember_language", counted)
    assert await members.remember_language(1, 1, "fr") is False
    assert await members.remember_language(1, 3, "fr") is False
    assert trips == []
    # A forgotten member costs one write again, which changes nothing.
    assert await members.remember_language(1, 2, "fr") is False
    assert trips == [2]
    assert await members.languages(1, [1, 2, 3, 4]) == {1: "fr", 2: "fr", 3: "fr", 4: "es"}
