"""What the EventService tests share: ids, a config with a calendar, a draft, and small readers.

The shared ``db`` and ``clock`` fixtures come from tests/conftest.py: the clock starts on Monday
2027-03-01 09:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import Config, parse_config
from bot.db import Database
from bot.services.events import (
    EventDraft,
    EventService,
    Occurrence,
)
from bot.services.timers import Timer, TimerService

GUILD = 1000
ORGANISER = 2000
MODERATOR = 2001
MEMBER = 3000
CHANNEL = 4000
LEADERS_ROLE = 5000


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    data: dict[str, Any] = {
        "guild_ids": [GUILD],
        "timezone": "Europe/Paris",
        "reminders": {"default_lead_times": "1d,1h"},
        "events": {"horizon_days": 60, "default_duration_minutes": 90},
        "calendar": [
            {
                "key": "global-wim-call",
                "title": {"en": "Global WIM Call", "fr": "Appel mondial WIM", "es": "Llamada mundial WIM"},
                "description": {"en": "For all", "fr": "Pour toutes", "es": "Para todas"},
                "start": "2027-02-09 13:00",
                "timezone": "UTC",
                "duration_minutes": 90,
                "recurrence": "every_2_months",
            },
            {
                "key": "leaders-roundtable",
                "title": {"en": "Roundtable", "fr": "Table ronde", "es": "Mesa redonda"},
                "description": {"en": "Leaders only", "fr": "Responsables", "es": "Líderes"},
                "start": "2027-01-13 14:00",
                "timezone": "Europe/Paris",
                "recurrence": "monthly",
                "audience_role": "WIM Leaders",
                "channel": "leaders",
            },
            {
                "key": "wim-day",
                "title": {"en": "International WIM Day", "fr": "Journée WIM", "es": "Día WIM"},
                "description": {"en": "15 June", "fr": "15 juin", "es": "15 de junio"},
                "start": "2027-06-15 12:00",
                "timezone": "UTC",
                "recurrence": "yearly",
            },
            {
                "key": "old-launch",
                "title": {"en": "Launch", "fr": "Lancement", "es": "Lanzamiento"},
                "description": {"en": "Past", "fr": "Passé", "es": "Pasado"},
                "start": "2026-12-01 12:00",
                "recurrence": "none",
            },
        ],
    }
    data.update(overrides)
    return parse_config(data, base_dir=tmp_path, environ={})


def draft(**overrides: Any) -> EventDraft:
    values: dict[str, Any] = {
        "guild_id": GUILD,
        "organiser_id": ORGANISER,
        "title": "Global WIM Call",
        "start": "2027-03-10 13:00",
        "timezone": "UTC",
        "channel_id": CHANNEL,
        "duration_minutes": 60,
        "lead_times": "1d,1h,15m",
    }
    values.update(overrides)
    return EventDraft(**values)


async def pending(timers: TimerService, kind: str | None = None) -> list[Timer]:
    found = await timers.upcoming(limit=10_000)
    return [t for t in found if kind is None or t.kind == kind]


async def row_counts(db: Database) -> tuple[int, int, int]:
    series = await db.fetchval("SELECT count(*) FROM event_series")
    occurrences = await db.fetchval("SELECT count(*) FROM event_occurrences")
    timer_rows = await db.fetchval("SELECT count(*) FROM timers")
    return int(series), int(occurrences), int(timer_rows)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def weekly_series(events: EventService) -> list[Occurrence]:
    await events.create_event(draft(start="2027-03-03 13:00", recurrence="weekly", lead_times="1h"))
    page = await events.upcoming(GUILD, days=365, limit=100)
    return list(page.items)
