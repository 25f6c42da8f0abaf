"""Per-member preferences shared by every feature: time zone, whether reminders come by DM, and the
language the member uses Discord in (remembered so DMs sent outside an interaction speak it)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection

from bot import validation
from bot.clock import Clock
from bot.db import Database
from bot.errors import UserFacingError
from bot.i18n import LANGUAGES
from bot.limits import excerpt
from bot.repositories import members as repo
from bot.repositories.members import MemberSettings

__all__ = ["MemberSettings", "MemberSettingsService"]

# Members whose stored language this process remembers (about 0.2 KB each), the most recent first
# out: without a bound it grew with every member who ever clicked. A member beyond it costs one
# write that changes nothing, as after a restart.
REMEMBERED_LANGUAGES = 4096


class MemberSettingsService:
    """``MemberSettingsService(db, clock)``. Errors: ``members.errors.unknown_timezone``."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        # Stored language of the members this process saw or wrote most recently (REMEMBERED_LANGUAGES).
        self._languages: OrderedDict[tuple[int, int], str] = OrderedDict()

    async def get(self, guild_id: int, user_id: int) -> MemberSettings:
        """The member's settings; defaults (no zone, DMs on) for a member who never set anything."""
        return await repo.get(self._db, guild_id, user_id)

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

        Called on every interaction, so a click must not cost more than it needs: the languages
        already stored are remembered in memory (this service is their only writer; the most recent
        ``REMEMBERED_LANGUAGES`` members), so a known member costs nothing, and a member new to this
        process costs one write that changes the row only if the language is new or changed (no read
        first: one trip, grouped with the click's own write).
        Returns whether it wrote.
        Raises ``ValueError`` for a language the catalogs do not have (the caller maps locales).
        """
        if lang not in LANGUAGES:
            raise ValueError(f"not a catalog language: {lang!r}")
        key = (guild_id, user_id)
        known = self._languages
        if known.get(key) == lang:
            known.move_to_end(key)
            return False
        wrote = await repo.remember_language(self._db, guild_id, user_id, lang)
        known[key] = LANGUAGES[LANGUAGES.index(lang)]  # the catalog's own string, not one copy per member
        known.move_to_end(key)
        while len(known) > REMEMBERED_LANGUAGES:
            known.popitem(last=False)
        return wrote

    async def dm_profiles(self, guild_id: int, user_ids: Collection[int]) -> dict[int, MemberSettings]:
        """Every one of these members' settings (language, DM choice) in one query: a DM fan-out reads
        them all at once instead of one query per member. Members without a row get the defaults."""
        return await repo.settings_of(self._db, guild_id, user_ids)

    async def languages(self, guild_id: int, user_ids: Collection[int]) -> dict[int, str]:
        """Remembered languages of these members (those without one are absent: use the guild's)."""
        return await repo.languages(self._db, guild_id, list(user_ids))
