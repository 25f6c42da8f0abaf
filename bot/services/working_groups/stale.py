"""Groups that went quiet: a group with no update or summary for ``stale_after_weeks`` is flagged
"Needs attention" and its coordinators nudged once, by a timer armed at its last activity (never a
polling loop); and the report that shows how long each group has been quiet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Config
from bot.db import Database, Transaction
from bot.repositories import working_groups as repo
from bot.services.timers import TimerService
from bot.services.working_groups.model import (
    WG_STALE,
    Group,
    ReportLine,
    StaleCheck,
    local_today,
)


class Staleness:
    """``Staleness(db, clock, timers, config)``."""

    def __init__(self, db: Database, clock: Clock, timers: TimerService, config: Config) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._config = config

    @property
    def stale_after(self) -> timedelta:
        return timedelta(weeks=self._config.working_group_settings.stale_after_weeks)

    async def report(self, guild_id: int) -> list[ReportLine]:
        now = self._clock.now()
        lines = []
        for row in await repo.report(self._db, guild_id, local_today(self._clock, self._config)):
            since = row.last_update_at or row.last_activity_at
            days = max(0, (now - since).days)
            stale = row.status != "completed" and now - row.last_activity_at >= self.stale_after
            lines.append(ReportLine(row=row, days_since_update=days, stale=stale))
        return lines

    async def arm(self, tx: Transaction, guild_id: int, group_id: int, activity_at: datetime) -> None:
        """One pending stale timer per group, due ``stale_after`` after its last activity."""
        await self._timers.cancel_matching(WG_STALE, tx=tx, group_id=group_id)
        await self._timers.schedule(
            WG_STALE, activity_at + self.stale_after, {"group_id": group_id, "guild_id": guild_id}, tx=tx
        )

    async def check_stale(self, group_id: int) -> StaleCheck:
        """Run by the stale timer. A group still quiet is flagged "Needs attention" (once, by the bot)
        and its coordinators are to be nudged, unless this quiet spell was nudged already. A group
        that had activity since is re-armed instead (normally its timer moved already)."""
        group = await self._db.read(repo.get_group_in, group_id)
        if group is None or group.archived or group.status == "completed":
            return StaleCheck(group, nudge=False)
        now = self._clock.now()
        if now - group.last_activity_at < self.stale_after:
            async with self._db.transaction() as tx:
                await self.arm(tx, group.guild_id, group.id, group.last_activity_at)
            return StaleCheck(group, nudge=False)
        if group.nudged_for == group.last_activity_at:
            return StaleCheck(group, nudge=False)
        async with self._db.transaction() as tx:
            if group.status != "needs_attention":
                await repo.set_status(tx, group.id, "needs_attention", None, None, now)
            flagged = await self._db.read(repo.get_group_in, group.id)
        return StaleCheck(
            flagged, nudge=True, coordinators=await self._db.read(repo.coordinators_in, group.id)
        )

    async def mark_nudged(self, group: Group) -> bool:
        """Remember that the nudge for this quiet spell went out; False if it already had."""
        async with self._db.transaction() as tx:
            return await repo.set_nudged_for(tx, group.id, group.last_activity_at)
