"""The "Join the meeting" button's service: the link answered, the click counted per member (unique)
and in total, the link still answered when the count fails; no link, cancelled, another server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import UserFacingError
from bot.repositories import engagement
from bot.services.events import EventDraft, EventService

GUILD = 1000


LEADERS = 5000


async def make(events: EventService, clock: FakeClock, link: str | None, audience: int | None = None) -> int:
    occurrence = await events.create_event(
        EventDraft(
            guild_id=GUILD,
            organiser_id=2001,
            title="Global WIM Call",
            start=(clock.now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"),
            channel_id=4000,
            timezone="UTC",
            link=link,
            audience_role_id=audience,
        )
    )
    return occurrence.id


async def test_clicks_are_counted_once_per_member_and_in_total(
    db: Database, events: EventService, clock: FakeClock
) -> None:
    occurrence_id = await make(events, clock, "https://meet.example.org/wim")
    first = await events.meeting_link(occurrence_id, 3000, (), guild_id=GUILD)
    clock.advance(timedelta(minutes=1))
    again = await events.meeting_link(occurrence_id, 3000, (), guild_id=GUILD)
    other = await events.meeting_link(occurrence_id, 3001, (), guild_id=GUILD)
    assert first.link == "https://meet.example.org/wim" and first.counted and first.first
    assert again.counted and not again.first and other.first
    assert await db.read(engagement.link_clicks, occurrence_id) == (2, 3)


async def test_the_link_is_answered_when_the_count_fails(
    db: Database, events: EventService, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    occurrence_id = await make(events, clock, "https://meet.example.org/wim")

    def broken(*args: object) -> bool:
        raise RuntimeError("disk full")

    monkeypatch.setattr(engagement, "record_link_click", broken)
    found = await events.meeting_link(occurrence_id, 3000, (), guild_id=GUILD)
    assert found.link == "https://meet.example.org/wim" and not found.counted
    monkeypatch.undo()
    assert await db.read(engagement.link_clicks, occurrence_id) == (0, 0)


async def test_no_link_another_server_and_cancelled_are_refused(
    events: EventService, clock: FakeClock
) -> None:
    bare = await make(events, clock, None)
    with pytest.raises(UserFacingError) as refused:
        await events.meeting_link(bare, 3000, (), guild_id=GUILD)
    assert refused.value.key == "events.errors.no_link"
    linked = await make(events, clock, "https://meet.example.org/wim")
    with pytest.raises(UserFacingError) as other:
        await events.meeting_link(linked, 3000, (), guild_id=GUILD + 1)
    assert other.value.key == "events.errors.unknown_event"


async def test_a_click_from_a_dm_counts_for_the_events_own_server(
    db: Database, events: EventService, clock: FakeClock
) -> None:
    occurrence_id = await make(events, clock, "https://meet.example.org/wim")
    found = await events.meeting_link(occurrence_id, 3000, (), guild_id=None)  # a DM has no server
    assert found.link == "https://meet.example.org/wim" and found.occurrence.guild_id == GUILD
    assert found.counted and found.first
    await events.meeting_link(occurrence_id, 3000, (), guild_id=GUILD)  # then from the channel: one member
    assert await db.read(engagement.link_clicks, occurrence_id) == (1, 2)
    with pytest.raises(UserFacingError) as unknown:
        await events.meeting_link(occurrence_id + 1000, 3000, (), guild_id=None)
    assert unknown.value.key == "events.errors.unknown_event"
    await events.cancel_event(occurrence_id, "this", 2001, editor_is_moderator=False)
    with pytest.raises(UserFacingError) as cancelled:
        await events.meeting_link(occurrence_id, 3000, (), guild_id=None)
    assert cancelled.value.key == "events.errors.event_cancelled"
    assert await db.read(engagement.link_clicks, occurrence_id) == (1, 2)


async def test_an_audience_events_link_is_for_its_role_only(
    db: Database, events: EventService, clock: FakeClock
) -> None:
    """A leaders-only roundtable: its link, like its RSVPs, needs the role; a refusal counts nothing."""
    occurrence_id = await make(events, clock, "https://meet.example.org/leaders", audience=LEADERS)
    for pressed_in in (GUILD, None):
        with pytest.raises(UserFacingError) as refused:
            await events.meeting_link(occurrence_id, 3000, (LEADERS + 1,), guild_id=pressed_in)
        assert refused.value.key == "events.errors.not_in_audience"
        assert refused.value.params == {"role_id": LEADERS, "title": "Global WIM Call"}
    assert await db.read(engagement.link_clicks, occurrence_id) == (0, 0)
    found = await events.meeting_link(occurrence_id, 3000, (LEADERS,), guild_id=None)
    assert found.link == "https://meet.example.org/leaders" and found.counted
