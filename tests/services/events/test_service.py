"""What EventService answers itself (events/__init__.py): RSVPs, check-in and the queries."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.errors import NotFound, PermissionDenied, UserFacingError
from bot.services.events import (
    EventService,
    RsvpCounts,
)
from tests.services.events.helpers import CHANNEL, GUILD, LEADERS_ROLE, MEMBER, ORGANISER, draft, utc


async def test_rsvp_latest_choice_wins(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    counts = (await events.rsvp(occurrence.id, MEMBER, "going", [])).counts
    assert (counts.going, counts.maybe, counts.declined) == (1, 0, 0)
    await events.rsvp(occurrence.id, MEMBER + 1, "maybe", [])
    counts = (await events.rsvp(occurrence.id, MEMBER, "declined", [])).counts
    assert (counts.going, counts.maybe, counts.declined) == (0, 1, 1)
    attendees = await events.attendees(occurrence.id)
    assert [(r.user_id, r.status) for r in attendees.rsvps] == [(MEMBER + 1, "maybe"), (MEMBER, "declined")]
    assert await events.counts(occurrence.id) == counts


async def test_rsvp_refused_outside_the_audience(events: EventService) -> None:
    occurrence = await events.create_event(draft(audience_role_id=LEADERS_ROLE))
    with pytest.raises(PermissionDenied) as caught:
        await events.rsvp(occurrence.id, MEMBER, "going", [LEADERS_ROLE + 1])
    assert caught.value.key == "events.errors.not_in_audience"
    # What the cog needs to say whom the event is for, without reading the event again.
    assert caught.value.params == {"role_id": LEADERS_ROLE, "title": occurrence.title}
    counts = (await events.rsvp(occurrence.id, MEMBER, "going", [LEADERS_ROLE + 1, LEADERS_ROLE])).counts
    assert counts.going == 1


async def test_rsvp_from_another_guild_is_unknown_there_and_writes_nothing(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    with pytest.raises(NotFound) as caught:
        await events.rsvp(occurrence.id, MEMBER, "going", [], guild_id=occurrence.guild_id + 1)
    assert caught.value.key == "events.errors.unknown_event"
    assert await events.counts(occurrence.id) == RsvpCounts()
    answered = await events.rsvp(occurrence.id, MEMBER, "going", [], guild_id=occurrence.guild_id)
    assert (answered.occurrence.id, answered.counts.going) == (occurrence.id, 1)


async def test_rsvp_refused_for_unknown_cancelled_ended_or_bad_status(
    events: EventService, clock: FakeClock
) -> None:
    with pytest.raises(NotFound) as unknown:
        await events.rsvp(999, MEMBER, "going", [])
    assert unknown.value.key == "events.errors.unknown_event"

    occurrence = await events.create_event(draft())
    with pytest.raises(UserFacingError) as caught:
        await events.rsvp(occurrence.id, MEMBER, "yes", [])
    assert caught.value.key == "events.errors.bad_rsvp_status"

    clock.set(occurrence.ends_at)
    with pytest.raises(UserFacingError) as caught:
        await events.rsvp(occurrence.id, MEMBER, "going", [])
    assert caught.value.key == "events.errors.already_ended"

    clock.set(utc(2027, 3, 1, 9, 0))
    other = await events.create_event(draft())
    await events.cancel_event(other.id, "this", ORGANISER, editor_is_moderator=False)
    with pytest.raises(UserFacingError) as caught:
        await events.rsvp(other.id, MEMBER, "going", [])
    assert caught.value.key == "events.errors.event_cancelled"


async def test_check_in_window(events: EventService, clock: FakeClock) -> None:
    occurrence = await events.create_event(draft(start="2027-03-01 12:00", duration_minutes=60))
    clock.set(utc(2027, 3, 1, 11, 49))
    with pytest.raises(UserFacingError) as caught:
        await events.check_in(occurrence.id, MEMBER, [])
    assert caught.value.key == "events.errors.check_in_not_open"
    assert caught.value.params == {"minutes": 10}

    clock.set(utc(2027, 3, 1, 11, 50))
    first = await events.check_in(occurrence.id, MEMBER, [])
    assert not first.already
    assert first.check_in.checked_in_at == utc(2027, 3, 1, 11, 50)

    clock.set(utc(2027, 3, 1, 12, 30))
    again = await events.check_in(occurrence.id, MEMBER, [])
    assert again.already
    assert again.check_in.checked_in_at == utc(2027, 3, 1, 11, 50)

    clock.set(utc(2027, 3, 1, 13, 0))
    with pytest.raises(UserFacingError) as caught:
        await events.check_in(occurrence.id, MEMBER + 1, [])
    assert caught.value.key == "events.errors.check_in_closed"
    attendees = await events.attendees(occurrence.id)
    assert [c.user_id for c in attendees.check_ins] == [MEMBER]


async def test_check_in_respects_the_audience(events: EventService, clock: FakeClock) -> None:
    occurrence = await events.create_event(draft(start="2027-03-01 10:00", audience_role_id=LEADERS_ROLE))
    clock.set(utc(2027, 3, 1, 10, 5))
    with pytest.raises(PermissionDenied):
        await events.check_in(occurrence.id, MEMBER, [])
    assert not (await events.check_in(occurrence.id, MEMBER, [LEADERS_ROLE])).already


async def test_upcoming_lists_with_counts_pages_and_excludes_others(
    events: EventService, clock: FakeClock
) -> None:
    ongoing = await events.create_event(
        draft(title="Ongoing", start="2027-03-01 09:30", duration_minutes=120)
    )
    later = await events.create_event(draft(title="Later", start="2027-03-20 10:00"))
    soon = await events.create_event(draft(title="Soon", start="2027-03-05 10:00"))
    cancelled = await events.create_event(draft(title="Cancelled", start="2027-03-06 10:00"))
    await events.cancel_event(cancelled.id, "this", ORGANISER, editor_is_moderator=False)
    await events.create_event(draft(title="Far", start="2027-08-01 10:00"))
    await events.create_event(draft(title="Other guild", guild_id=GUILD + 1))
    await events.rsvp(soon.id, MEMBER, "going", [])
    await events.rsvp(soon.id, MEMBER + 1, "going", [])
    await events.rsvp(soon.id, MEMBER + 2, "maybe", [])
    await events.rsvp(later.id, MEMBER, "declined", [])

    clock.set(utc(2027, 3, 1, 10, 0))  # "Ongoing" has started but not ended: still listed
    page = await events.upcoming(GUILD, days=30, limit=2, offset=0)
    assert page.total == 3
    assert [o.title for o in page.items] == ["Ongoing", "Soon"]
    assert (page.items[1].counts.going, page.items[1].counts.maybe) == (2, 1)
    second = await events.upcoming(GUILD, days=30, limit=2, offset=2)
    assert [(o.title, o.counts.declined) for o in second.items] == [("Later", 1)]
    assert ongoing.id == page.items[0].id


async def test_search_by_title_and_date(events: EventService) -> None:
    call = await events.create_event(draft(title="Global WIM Call", start="2027-03-10 13:00"))
    roundtable = await events.create_event(draft(title="Roundtable: WIM leaders", start="2027-03-05 13:00"))
    day = await events.create_event(draft(title="International WIM Day", start="2027-06-15 12:00"))
    assert [o.id for o in await events.search(GUILD, "wim")] == [roundtable.id, call.id, day.id]
    assert [o.id for o in await events.search(GUILD, "glo")] == [call.id]
    assert [o.id for o in await events.search(GUILD, "round")] == [roundtable.id]  # title prefix first
    assert [o.id for o in await events.search(GUILD, "2027-06")] == [day.id]
    assert await events.search(GUILD, "%") == []
    assert await events.search(GUILD + 1, "wim") == []


async def test_announcement_and_discord_event_ids_are_stored(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    await events.set_announcement(occurrence.id, CHANNEL, 777)
    await events.set_discord_event_id(occurrence.id, 888)
    stored = await events.get_occurrence(occurrence.id)
    assert (stored.announcement_channel_id, stored.announcement_message_id, stored.discord_event_id) == (
        CHANNEL,
        777,
        888,
    )
    with pytest.raises(NotFound):
        await events.set_announcement(999, CHANNEL, 1)
