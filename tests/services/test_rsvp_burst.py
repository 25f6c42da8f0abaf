"""A burst of RSVP clicks through EventService: grouped commits keep every answer and the counts right.

Fixtures as in test_events.py (real SQLite with every migration, a FakeClock).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import PermissionDenied
from bot.services.events import EVENT_REFRESH, EventService
from bot.services.timers import TimerService
from tests.services.events.helpers import LEADERS_ROLE, MEMBER, draft, make_config


@pytest.fixture
def events(db: Database, clock: FakeClock, tmp_path: Path) -> EventService:
    return EventService(db, clock, TimerService(db, clock), make_config(tmp_path))


async def real_counts(db: Database, occurrence_id: int) -> tuple[int, int, int]:
    row = await db.fetchone(
        "SELECT coalesce(sum(status = 'going'), 0), coalesce(sum(status = 'maybe'), 0), "
        "coalesce(sum(status = 'declined'), 0) FROM event_rsvps WHERE occurrence_id = ?",
        (occurrence_id,),
    )
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


async def test_concurrent_clicks_are_all_stored_and_counted(events: EventService, db: Database) -> None:
    occurrence = await events.create_event(draft())
    statuses = ("going", "maybe", "declined")
    first = await asyncio.gather(
        *(events.rsvp(occurrence.id, MEMBER + i, statuses[i % 3], []) for i in range(300))
    )
    # Every answer saw a count that includes itself, and the last one saw them all.
    assert max(a.counts.going + a.counts.maybe + a.counts.declined for a in first) == 300
    # Half of the members change their mind, concurrently with newcomers.
    await asyncio.gather(
        *(events.rsvp(occurrence.id, MEMBER + i, "going", []) for i in range(0, 300, 2)),
        *(events.rsvp(occurrence.id, MEMBER + 1000 + i, "maybe", []) for i in range(50)),
    )
    counts = await events.counts(occurrence.id)
    assert (counts.going, counts.maybe, counts.declined) == await real_counts(db, occurrence.id)
    assert counts.going + counts.maybe + counts.declined == 350
    listed = await events.get_occurrence(occurrence.id)
    assert listed.counts == counts
    # Every click wrote the durable refresh mark in its own action: one pending timer for them all.
    refreshes = await db.fetchall(
        "SELECT payload FROM timers WHERE kind = ? AND status = 'pending'", (EVENT_REFRESH,)
    )
    assert [json.loads(row[0])["occurrence_id"] for row in refreshes] == [occurrence.id]


async def test_refused_clicks_in_a_burst_write_nothing(events: EventService, db: Database) -> None:
    occurrence = await events.create_event(draft(audience_role_id=LEADERS_ROLE))
    results = await asyncio.gather(
        *(
            events.rsvp(occurrence.id, MEMBER + i, "going", [LEADERS_ROLE] if i % 2 else [])
            for i in range(100)
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, PermissionDenied)]
    assert len(refused) == 50
    assert await real_counts(db, occurrence.id) == (50, 0, 0)
    assert (await events.counts(occurrence.id)).going == 50
    stored = await db.fetchall("SELECT user_id FROM event_rsvps WHERE occurrence_id = ?", (occurrence.id,))
    assert {row[0] for row in stored} == {MEMBER + i for i in range(1, 100, 2)}
