"""What a draft may not be (events/validation.py): each refusal names its key and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.db import Database
from bot.errors import UserFacingError
from bot.services.events import (
    EventService,
)
from tests.services.events.helpers import draft, row_counts


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"title": "   "}, "events.errors.title_empty"),
        ({"title": "x" * 101}, "events.errors.title_too_long"),
        ({"description": "d" * 2001}, "events.errors.description_too_long"),
        ({"link": "javascript:alert(1)"}, "events.errors.bad_link"),
        ({"link": "ftp://files.example.org/x"}, "events.errors.bad_link"),
        ({"link": "https://"}, "events.errors.bad_link"),
        ({"link": "https://example.org/" + "a" * 500}, "events.errors.bad_link"),
        ({"timezone": "Mars/Olympus_Mons"}, "events.errors.unknown_timezone"),
        ({"timezone": "../etc/passwd"}, "events.errors.unknown_timezone"),
        ({"timezone": "localtime"}, "events.errors.unknown_timezone"),
        ({"start": "next tuesday"}, "events.errors.bad_start"),
        ({"start": "2027-02-30 10:00"}, "events.errors.bad_start"),
        ({"start": "2027-02-28 10:00"}, "events.errors.start_in_past"),
        ({"start": "2027-03-01 09:00"}, "events.errors.start_in_past"),
        ({"start": "2027-03-14 02:30", "timezone": "America/New_York"}, "events.errors.nonexistent_time"),
        ({"start": "2027-11-07 01:30", "timezone": "America/New_York"}, "events.errors.ambiguous_time"),
        ({"duration_minutes": 0}, "events.errors.bad_duration"),
        ({"duration_minutes": -5}, "events.errors.bad_duration"),
        ({"duration_minutes": 10081}, "events.errors.bad_duration"),
        ({"lead_times": "1d,soon"}, "events.errors.bad_lead_times"),
        ({"lead_times": "90d"}, "events.errors.bad_lead_times"),
        ({"recurrence": "daily"}, "events.errors.bad_recurrence"),
    ],
)
async def test_invalid_drafts_are_refused_and_nothing_is_written(
    events: EventService, db: Database, overrides: dict[str, Any], key: str
) -> None:
    with pytest.raises(UserFacingError) as caught:
        await events.create_event(draft(**overrides))
    assert caught.value.key == key
    assert await row_counts(db) == (0, 0, 0)


async def test_error_parameters_fill_the_message(events: EventService) -> None:
    with pytest.raises(UserFacingError) as caught:
        await events.create_event(draft(start="2027-03-14 02:30", timezone="America/New_York"))
    assert caught.value.params == {"start": "2027-03-14 02:30", "timezone": "America/New_York"}
    with pytest.raises(UserFacingError) as caught:
        await events.create_event(draft(title="t" * 120))
    assert caught.value.params == {"length": 120, "limit": 100}
