"""The outbox of /event edit and /event cancel: the timers and notices written with the action, and the
records that make their handlers idempotent (the Discord side is tests/e2e/test_event_outbox.py)."""

from __future__ import annotations

import pytest

from bot.errors import UserFacingError
from bot.services.events import (
    EVENT_MIRROR,
    EVENT_MOVE,
    EVENT_NOTICE,
    EVENT_NOTIFY,
    EVENT_REFRESH,
    EventChanges,
    EventService,
    Occurrence,
    OutboxTimer,
)
from bot.services.timers import TimerService
from tests.services.events.helpers import (
    CHANNEL,
    GUILD,
    MEMBER,
    MODERATOR,
    ORGANISER,
    draft,
    pending,
    weekly_series,
)

CARD = 7001
TAB_ENTRY = 8001
OTHER_CHANNEL = 4001
SECOND_MEMBER = 3001


async def announced(events: EventService, occurrence: Occurrence, *, card: int = CARD) -> None:
    """As the event.announce and event.mirror handlers leave it: a card and an Events-tab entry."""
    await events.set_announcement(occurrence.id, CHANNEL, card)
    await events.set_discord_event_id(occurrence.id, TAB_ENTRY)


def of(occurrence: Occurrence) -> dict[str, int]:
    return {"guild_id": GUILD, "occurrence_id": occurrence.id}


async def test_edit_writes_one_refresh_and_one_mirror_however_many_edits(
    events: EventService, timers: TimerService
) -> None:
    occurrence = await events.create_event(draft())
    await announced(events, occurrence)
    first = await events.edit_event(
        occurrence.id, EventChanges(title="Renamed"), "this", ORGANISER, editor_is_moderator=False
    )
    assert first.outbox == (
        OutboxTimer(EVENT_REFRESH, of(occurrence)),
        OutboxTimer(EVENT_MIRROR, of(occurrence)),
    )
    assert first.notice_id is None  # the time did not move: nobody is DM'd
    second = await events.edit_event(
        occurrence.id, EventChanges(description="Agenda"), "this", ORGANISER, editor_is_moderator=False
    )
    assert second.outbox == first.outbox
    assert [t.payload for t in await pending(timers, EVENT_REFRESH)] == [of(occurrence)]
    assert [t.payload for t in await pending(timers, EVENT_MIRROR)] == [of(occurrence)]


async def test_edit_of_an_unannounced_event_leaves_its_cards_to_the_announce_timer(
    events: EventService, timers: TimerService
) -> None:
    occurrence = await events.create_and_announce(draft())
    result = await events.edit_event(
        occurrence.id, EventChanges(title="Renamed"), "this", ORGANISER, editor_is_moderator=False
    )
    assert result.outbox == ()
    # The create's outbox is still there and posts the card as the event is when it runs.
    assert [t.kind for t in await pending(timers) if t.kind in ("event.announce", EVENT_MIRROR)] == [
        "event.announce",
        EVENT_MIRROR,
    ]


async def test_a_moved_time_writes_a_change_notice_for_who_replied(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    await announced(events, occurrence)
    await events.rsvp(occurrence.id, MEMBER, "going", [])
    await events.rsvp(occurrence.id, SECOND_MEMBER, "maybe", [])
    await events.rsvp(occurrence.id, MODERATOR, "declined", [])
    result = await events.edit_event(
        occurrence.id, EventChanges(start="2027-03-11 13:00"), "this", ORGANISER, editor_is_moderator=False
    )
    assert result.notice_id is not None
    notice = {**of(occurrence), "notice_id": result.notice_id}
    assert OutboxTimer(EVENT_NOTIFY, notice) in result.outbox
    assert all(timer.kind != EVENT_NOTICE for timer in result.outbox)  # a change is DM'd, not posted
    plan = await events.notice_plan(notice)
    assert plan is not None and plan.notice.kind == "changed"
    assert plan.dm_user_ids == (MEMBER, SECOND_MEMBER)
    assert plan.occurrence.starts_at.day == 11
    outcome = await events.notice_outcome(result.notice_id)
    assert (outcome.sent, outcome.pending) == (0, 2)


async def test_each_notice_dm_is_recorded_once_so_a_retry_sends_only_the_missing(
    events: EventService,
) -> None:
    occurrence = await events.create_event(draft())
    for user_id in (MEMBER, SECOND_MEMBER, MODERATOR):
        await events.rsvp(occurrence.id, user_id, "going", [])
    result = await events.cancel_event(occurrence.id, "this", ORGANISER, editor_is_moderator=False)
    assert result.notice_id is not None
    payload = {**of(occurrence), "notice_id": result.notice_id}
    await events.record_notice_dm(result.notice_id, MEMBER, "sent")
    await events.record_notice_dm(result.notice_id, SECOND_MEMBER, "skipped_closed")
    # A second record (a resumed run) changes nothing: the first outcome stays.
    await events.record_notice_dm(result.notice_id, MEMBER, "skipped_closed")
    plan = await events.notice_plan(payload)
    assert plan is not None and plan.dm_user_ids == (MODERATOR,)
    await events.record_notice_dm(result.notice_id, MODERATOR, "opted_out")
    plan = await events.notice_plan(payload)
    assert plan is not None and plan.dm_user_ids == ()
    outcome = await events.notice_outcome(result.notice_id)
    assert (outcome.sent, outcome.pending, outcome.posted) == (1, 0, False)
    with pytest.raises(ValueError, match="unknown DM status"):
        await events.record_notice_dm(result.notice_id, MEMBER, "lost")  # type: ignore[arg-type]


async def test_cancel_writes_card_tab_notice_and_dms_and_drops_a_change_notice_still_due(
    events: EventService, timers: TimerService
) -> None:
    occurrence = await events.create_event(draft())
    await announced(events, occurrence)
    await events.rsvp(occurrence.id, MEMBER, "going", [])
    moved = await events.edit_event(
        occurrence.id, EventChanges(start="2027-03-11 13:00"), "this", ORGANISER, editor_is_moderator=False
    )
    result = await events.cancel_event(occurrence.id, "this", MODERATOR, editor_is_moderator=True)
    assert result.notice_id is not None and result.notice_id != moved.notice_id
    notice = {**of(occurrence), "notice_id": result.notice_id}
    assert result.outbox == (
        OutboxTimer(EVENT_REFRESH, of(occurrence)),
        OutboxTimer(EVENT_MIRROR, of(occurrence)),
        OutboxTimer(EVENT_NOTICE, notice),
        OutboxTimer(EVENT_NOTIFY, notice),
    )
    # The change's DMs still due would tell members of a new time for a cancelled event: dropped.
    assert [t.payload for t in await pending(timers, EVENT_NOTIFY)] == [notice]
    plan = await events.notice_plan(notice)
    assert plan is not None and plan.notice.kind == "cancelled" and not plan.notice.posted
    assert plan.notice.series_count is None and plan.occurrence.status == "cancelled"
    await events.record_notice_posted(result.notice_id, 9001)
    await events.record_notice_posted(result.notice_id, 9002)  # a late second record: the first wins
    plan = await events.notice_plan(notice)
    assert plan is not None and plan.notice.posted and plan.notice.channel_message_id == 9001


async def test_cancelling_a_series_notices_once_with_the_count_and_the_date_asked_first(
    events: EventService,
) -> None:
    occurrences = await weekly_series(events)
    result = await events.cancel_event(occurrences[1].id, "series", ORGANISER, editor_is_moderator=False)
    assert result.occurrences[0].id == occurrences[1].id
    assert result.notice_id is not None
    plan = await events.notice_plan({**of(occurrences[1]), "notice_id": result.notice_id})
    assert plan is not None and plan.notice.series_count == len(occurrences) - 1
    assert [t.kind for t in result.outbox] == [EVENT_NOTICE]  # nothing announced, nobody replied


async def test_a_new_channel_moves_the_card_through_the_outbox(events: EventService) -> None:
    occurrence = await events.create_event(draft())
    await announced(events, occurrence)
    result = await events.edit_event(
        occurrence.id, EventChanges(channel_id=OTHER_CHANNEL), "this", ORGANISER, editor_is_moderator=False
    )
    move = {**of(occurrence), "from_channel_id": CHANNEL, "from_message_id": CARD}
    assert result.outbox[0] == OutboxTimer(EVENT_MOVE, move)
    plan = await events.move_plan(move)
    assert plan is not None and not plan.announced and plan.occurrence.channel_id == OTHER_CHANNEL
    await events.set_announcement(occurrence.id, OTHER_CHANNEL, CARD + 1)  # what on_move records
    plan = await events.move_plan(move)
    assert plan is not None and plan.announced
    assert await events.move_plan({"guild_id": GUILD, "occurrence_id": occurrence.id}) is None


async def test_edit_language_of_one_date_or_from_a_date_on(events: EventService) -> None:
    await events.create_event(draft(start="2027-03-03 13:00", recurrence="weekly", language="en"))
    occurrences = list((await events.upcoming(GUILD, days=365, limit=100)).items)
    await events.edit_event(
        occurrences[1].id, EventChanges(language="fr"), "this", ORGANISER, editor_is_moderator=False
    )
    languages = [(await events.get_occurrence(o.id)).language for o in occurrences[:3]]
    assert languages == ["en", "fr", "en"]
    await events.edit_event(
        occurrences[2].id, EventChanges(language="es"), "series", ORGANISER, editor_is_moderator=False
    )
    languages = [(await events.get_occurrence(o.id)).language for o in occurrences[:4]]
    assert languages == ["en", "fr", "es", "es"]  # the earlier dates keep theirs
    with pytest.raises(UserFacingError) as caught:
        await events.edit_event(
            occurrences[2].id, EventChanges(language="de"), "this", ORGANISER, editor_is_moderator=False
        )
    assert caught.value.key == "events.errors.bad_language"


async def test_edit_language_of_a_one_off(events: EventService) -> None:
    occurrence = await events.create_event(draft(language="en"))
    await events.edit_event(
        occurrence.id, EventChanges(language="es"), "this", ORGANISER, editor_is_moderator=False
    )
    assert (await events.get_occurrence(occurrence.id)).language == "es"
