"""Per-member preferences shared by every feature: time zone, whether reminders come by DM, and the
language the member uses Discord in (remembered so DMs sent outside an interaction speak it)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Collection

import msgspec.structs

from bot import validation
from bot.batching import DelayedRun
from bot.clock import Clock
from bot.db import Database
from bot.errors import UserFacingError
from bot.i18n import LANGUAGES
from bot.limits import excerpt
from bot.repositories import members as repo
from bot.repositories.members import MemberSettings

__all__ = ["MemberSettings", "MemberSettingsService"]

log = logging.getLogger(__name__)

# Members whose stored language this process remembers, the most recent first
# out: without a bound it grew with every member who ever clicked. A member beyond it costs one
# write that changes nothing, as after a restart.
REMEMBERED_LANGUAGES = 4096
# Seconds a new or changed language waits before it is written, with the others of that moment.
LANGUAGE_WRITE_DELAY = 1.0


class MemberSettingsService:
    """``MemberSettingsService(db, clock)``. Errors: ``members.errors.unknown_timezone``."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        # Stored language of the members this process saw or wrote most recently (REMEMBERED_LANGUAGES).
        self._languages: OrderedDict[tuple[int, int], str] = OrderedDict()
        # New or changed languages not yet written (see remember_language), and their write.
        self._unwritten: dict[tuple[int, int], str] = {}
        self._writes = DelayedRun(self.write_languages, name="member-languages")

    async def get(self, guild_id: int, user_id: int) -> MemberSettings:
        """The member's settings; defaults (no zone, DMs on) for a member who never set anything."""
        return self._with_unwritten(guild_id, await repo.get(self._db, guild_id, user_id))

    async def set_timezone(self, guild_id: int, user_id: int, timezone: str | None) -> MemberSettings:
        """Save an IANA zone ("Europe/Paris", any case; None or "" clears it).

        Checked by ``bot.validation.zone_name`` before anything is written. Raises
        ``members.errors.unknown_timezone`` (quoting a short excerpt of the input).
        """
        name: str | None = None
        if timezone is not None and timezone.strip():
            try:
                name = validation.zone_name(timezone)
            except UserFacingError:
                raise UserFacingError(
                    "members.errors.unknown_timezone", timezone=excerpt(timezone.strip())
                ) from None
        async with self._db.transaction() as tx:
            await repo.set_timezone(tx, guild_id, user_id, name)
            return await repo.get(tx, guild_id, user_id)

    async def set_dm_reminders(self, guild_id: int, user_id: int, enabled: bool) -> MemberSettings:
        """Turn reminder DMs on or off for this member (channel reminders are unaffected)."""
        async with self._db.transaction() as tx:
            await repo.set_dm_reminders(tx, guild_id, user_id, enabled)
            return await repo.get(tx, guild_id, user_id)

    async def remember_language(self, guild_id: int, user_id: int, lang: str) -> bool:
        """Remember the member's language ("en", "fr" or "es") from their latest interaction.

        Called on every interaction, so it never waits for the database: the languages already
        known are kept in memory (this service is their only writer; the most recent
        ``REMEMBERED_LANGUAGES`` members), a known member costs nothing, and a new or changed one is
        written ``LANGUAGE_WRITE_DELAY`` later together with the others of that moment, in one write
        action (a 1,000-click burst of new members: one action, not 1,000). Best effort by design: a
        crash in that second loses only what the member's next interaction tells again; until then
        their DMs speak the guild's language. Returns whether the language was new or changed.
        Raises ``ValueError`` for a language the catalogs do not have (the caller maps locales).
        """
        if lang not in LANGUAGES:
            raise ValueError(f"not a catalog language: {lang!r}")
        key = (guild_id, user_id)
        known = self._languages
        if known.get(key) == lang:
            known.move_to_end(key)
            return False
        language = LANGUAGES[LANGUAGES.index(lang)]  # the catalog's own string, not one copy per member
        known[key] = language
        known.move_to_end(key)
        while len(known) > REMEMBERED_LANGUAGES:
            known.popitem(last=False)
        self._unwritten[key] = language
        self._writes.request(LANGUAGE_WRITE_DELAY)
        return True

    async def write_languages(self) -> int:
        """Write the languages remembered since the last write, in one action; how many rows changed.
        On failure they are kept and tried again ``LANGUAGE_WRITE_DELAY`` later."""
        batch, self._unwritten = self._unwritten, {}
        if not batch:
            return 0
        try:
            return await repo.remember_languages(self._db, batch)
        except Exception:
            for key, language in batch.items():
                self._unwritten.setdefault(key, language)  # a newer one stays
            self._writes.request(LANGUAGE_WRITE_DELAY)
            log.warning("Could not store %d member language(s); trying again", len(batch), exc_info=True)
            return 0

    async def close(self) -> None:
        """Write what is still unwritten (at shutdown, before the database closes)."""
        await self._writes.close()
        await self.write_languages()

    def _with_unwritten(self, guild_id: int, settings: MemberSettings) -> MemberSettings:
        language = self._unwritten.get((guild_id, settings.user_id))
        return settings if language is None else msgspec.structs.replace(settings, language=language)

    async def dm_profiles(self, guild_id: int, user_ids: Collection[int]) -> dict[int, MemberSettings]:
        """Every one of these members' settings (language, DM choice) in one query: a DM fan-out reads
        them all at once instead of one query per member. Members without a row get the defaults."""
        found = await repo.settings_of(self._db, guild_id, user_ids)
        return {user_id: self._with_unwritten(guild_id, settings) for user_id, settings in found.items()}

    async def languages(self, guild_id: int, user_ids: Collection[int]) -> dict[int, str]:
        """Remembered languages of these members (those without one are absent: use the guild's)."""
        ids = list(user_ids)
        found = await repo.languages(self._db, guild_id, ids)
        for user_id in ids:
            if (language := self._unwritten.get((guild_id, user_id))) is not None:
                found[user_id] = language
        return found
