"""Per-member preferences shared by every feature: time zone and whether reminders come by DM."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.db import Database


@dataclass(frozen=True)
class MemberSettings:
    guild_id: int
    user_id: int
    timezone: str | None  # IANA name, None = not set (the guild's zone applies)
    dm_reminders: bool  # True unless the member turned reminder DMs off


class MemberSettingsService:
    """``MemberSettingsService(db, clock)``. Errors: ``members.errors.unknown_timezone``."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, guild_id: int, user_id: int) -> MemberSettings:
        """The member's settings; defaults (no zone, DMs on) for a member who never set anything."""
        raise NotImplementedError

    async def set_timezone(self, guild_id: int, user_id: int, timezone: str | None) -> MemberSettings:
        """Save an IANA zone ("Europe/Paris"; None clears it). Raises ``members.errors.unknown_timezone``."""
        raise NotImplementedError

    async def set_dm_reminders(self, guild_id: int, user_id: int, enabled: bool) -> MemberSettings:
        raise NotImplementedError
