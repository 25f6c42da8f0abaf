"""Bursts Discord would rate-limit, end to end with the double's realistic rate limits on.

Several events in one channel with a reminder due at the same instant, members who RSVPed to each,
and the same events starting together: the reminders share a message, every member gets one DM per
event through a DM channel opened once (its "Join the meeting" button the event's), the events share
one "starting now" post with a Check in and a "Join" button each (closing one event leaves the others'
buttons usable), and Discord never answers 429.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.conftest import DiscordEnv
from tests.e2e.test_events import REMINDER_TIMEOUT, assert_no_pings, create_event, timers_of

pytestmark = pytest.mark.e2e

EVENTS = 4
MEMBERS = 6


async def test_reminders_dms_and_start_posts_due_together_go_out_paced_without_a_429(
    isolated_env: DiscordEnv,
) -> None:
    env = isolated_env
    double = env.double
    double.enable_discord_rate_limits()
    room = double.add_text_channel("burst-room")
    members = [double.add_member(f"Burst member {n}") for n in range(MEMBERS)]
    mark = double.mark()
    # A whole minute a few minutes ahead of the bot's now; the reminders fall due 60 s before it.
    start = (double.clock.now() + timedelta(minutes=6)).replace(second=0, microsecond=0)
    ids: list[int] = []
    for n in range(EVENTS):
        _, announcement, occurrence_id = await create_event(
            env,
            title=f"Burst probe {n}",
            start=start.strftime("%Y-%m-%d %H:%M"),
            timezone="UTC",
            channel=room,
            duration=1 if n == 0 else 30,  # the first ends a minute after the start, the others later
            reminders="60s",
            link=f"https://meet.example.org/burst-{n}",
        )
        ids.append(occurrence_id)
        for member in members:
            handle = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=member)
            assert (await handle.message()).ephemeral
    requests_before = len(double.requests)

    await double.advance_to(start - timedelta(seconds=60))
    await double.wait_until(
        lambda d: all(timers_of(env, i)[0]["status"] == "done" for i in ids),
        timeout=REMINDER_TIMEOUT,
        what="every reminder to be handled",
    )
    reminders = [m for m in double.messages(room, after=mark) if "Burst probe" in m.content and not m.embeds]
    assert len(reminders) == 1, [m.content for m in reminders]
    for member in members:
        dms = double.dms(member, after=mark)
        assert sorted(n for n in range(EVENTS) for dm in dms if f"Burst probe {n}" in dm.content) == list(
            range(EVENTS)
        ), [dm.content for dm in dms]
        for dm in dms:  # each DM's one button is its own event's meeting link
            (n,) = [n for n in range(EVENTS) if f"Burst probe {n}" in dm.content]
            assert dm.custom_ids() == [f"event:link:{ids[n]}"] and "meet.example.org" not in dm.content
    opened = [
        r
        for r in double.requests[requests_before:]
        if r.method == "POST" and r.route == "/users/@me/channels"
    ]
    assert len(opened) <= MEMBERS  # one DM channel per member, not one per DM

    await double.advance_to(start)
    starting = await double.wait_for_message(
        room, lambda m: "starting now" in m.content, after=mark, timeout=REMINDER_TIMEOUT
    )
    await double.wait_until(
        lambda d: all(timers_of(env, i, "event.start")[0]["status"] == "done" for i in ids),
        timeout=REMINDER_TIMEOUT,
        what="every start timer",
    )
    posts = [m for m in double.messages(room, after=mark) if "starting now" in m.content]
    assert [p.id for p in posts] == [starting.id]  # one post for the events starting together
    checkins = [f"event:checkin:{i}" for i in ids]
    links = [f"event:link:{i}" for i in ids]
    assert starting.custom_ids() == checkins + links
    labels = [button["label"] for button in starting.buttons()]
    assert all(f"Burst probe {n % EVENTS}" in label for n, label in enumerate(labels)), labels
    assert "meet.example.org" not in starting.content
    checked = await double.click(starting, f"event:checkin:{ids[1]}", user=members[0])
    assert (await checked.message()).ephemeral

    await double.advance_to(start + timedelta(minutes=1))
    closed = await double.wait_until(
        lambda d: (
            d.message(starting.id)
            if d.message(starting.id).button(custom_id=f"event:checkin:{ids[0]}")["disabled"]
            else None
        ),
        timeout=REMINDER_TIMEOUT,
        what="the first event's Check in button to be disabled",
    )
    # The events still running keep their buttons, and a click on one still counts.
    assert closed.custom_ids() == checkins + links
    assert closed.button(custom_id=links[0])["disabled"] is True
    assert [closed.button(custom_id=f"event:checkin:{i}")["disabled"] for i in ids[1:]] == [False] * (
        EVENTS - 1
    )
    assert [closed.button(custom_id=f"event:link:{i}")["disabled"] for i in ids[1:]] == [False] * (EVENTS - 1)
    late = await double.click(closed, f"event:checkin:{ids[2]}", user=members[1])
    assert (await late.message()).ephemeral

    assert double.rate_limited == []
    assert_no_pings(env, after=mark)
