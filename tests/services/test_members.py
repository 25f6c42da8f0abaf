"""Member settings: defaults, validated time zone, DM reminder switch."""

from __future__ import annotations

import asyncio
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


async def stored_languages(db: Database) -> dict[int, str | None]:
    rows = await db.fetchall("SELECT user_id, language FROM member_settings WHERE guild_id = 1")
    return {int(row[0]): row[1] for row in rows}


async def test_remembered_languages_are_written_later_together_in_one_action(
    members: MemberSettingsService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.services.members.LANGUAGE_WRITE_DELAY", 0.01)
    writes: list[dict[tuple[int, int], str]] = []
    real = members_repo.remember_languages

    async def counted(db_: Database, languages: dict[tuple[int, int], str]) -> int:
        writes.append(dict(languages))
        return await real(db_, languages)

    monkeypatch.setattr("bot.repositories.members.remember_languages", counted)
    for user_id in range(2, 52):
        assert await members.remember_language(1, user_id, "fr") is True
    # Not waited for: nothing is stored yet, but every reader already sees them.
    assert await stored_languages(db) == {}
    assert (await members.get(1, 2)).language == "fr"
    assert (await members.dm_profiles(1, [2, 3]))[3].language == "fr"
    assert await members.languages(1, [2, 99]) == {2: "fr"}
    async with asyncio.timeout(5):
        while not writes or members._unwritten:  # noqa: ASYNC110 - the write runs on its own schedule
            await asyncio.sleep(0.01)
        while len(await stored_languages(db)) < 50:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert len(writes) == 1 and len(writes[0]) == 50, "50 new members: one write action"
    assert await members.remember_language(1, 2, "fr") is False  # known: nothing to write
    assert members._unwritten == {}


async def test_a_failed_language_write_is_kept_and_shutdown_writes_the_rest(
    members: MemberSettingsService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.services.members.LANGUAGE_WRITE_DELAY", 3600)  # only close() writes here
    real = members_repo.remember_languages

    async def failing(db_: Database, languages: dict[tuple[int, int], str]) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("bot.repositories.members.remember_languages", failing)
    assert await members.remember_language(1, 2, "es") is True
    assert await members.write_languages() == 0
    assert members._unwritten == {(1, 2): "es"}, "kept for the next try"
    assert await members.remember_language(1, 2, "en") is True  # a newer one replaces it
    monkeypatch.setattr("bot.repositories.members.remember_languages", real)
    await members.close()
    assert await stored_languages(db) == {2: "en"}


async def test_remembered_languages_are_bounded_and_the_least_recent_goes_first(
    members: MemberSettingsService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.services.members.REMEMBERED_LANGUAGES", 3)
    for user_id in (1, 2, 3):
        assert await members.remember_language(1, user_id, "fr") is True
    assert await members.remember_language(1, 1, "fr") is False  # 1 is now the most recent
    assert await members.remember_language(1, 4, "es") is True  # 2, the least recent, is forgotten
    assert len(members._languages) == 3
    assert await members.remember_language(1, 1, "fr") is False
    assert await members.remember_language(1, 3, "fr") is False
    # A forgotten member is new again: written again, which changes nothing stored.
    assert await members.remember_language(1, 2, "fr") is True
    await members.close()
    assert await members.languages(1, [1, 2, 3, 4]) == {1: "fr", 2: "fr", 3: "fr", 4: "es"}
    assert await stored_languages(db) == {1: "fr", 2: "fr", 3: "fr", 4: "es"}
