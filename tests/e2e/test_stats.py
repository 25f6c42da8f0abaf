"""/stats end to end through the local Discord double: the meeting-link button answers privately and
counts the click (twice by the same member counts one unique), from the announcement and from a
reminder DM (no server there: the click counts for the event's), the report's charts and CSV parsed
back, and each bad input (a period it cannot read, one in the future, a member who is not a
moderator) answered privately in the member's language with nothing written."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import timedelta

import pytest

from tests.double import Message
from tests.e2e.conftest import DiscordEnv
from tests.e2e.test_events import REMINDER_TIMEOUT, create_event, soon, timers_of

pytestmark = pytest.mark.e2e

TIMEOUT = 30.0
PNG = b"\x89PNG\r\n\x1a\n"


def clicks_in_db(env: DiscordEnv, occurrence_id: int) -> list[tuple[int, int]]:
    with sqlite3.connect(env.directory / "bot.db") as conn:
        return conn.execute(
            "SELECT user_id, clicks FROM event_link_clicks WHERE occurrence_id = ? ORDER BY user_id",
            (occurrence_id,),
        ).fetchall()


async def press(env: DiscordEnv, message: Message, custom_id: str, user: object) -> Message:
    handle = await env.double.click(message, custom_id, user=user)  # type: ignore[arg-type]
    response = await handle.response(timeout=5)
    assert response.elapsed < 3.0
    answer = await handle.message(timeout=10)
    assert answer.ephemeral
    return answer


async def test_the_meeting_link_button_and_the_report(isolated_env: DiscordEnv) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    start = (double.clock.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    _, announcement, occurrence_id = await create_event(
        env,
        title="Global WIM Call: stats",
        start=start.strftime("%Y-%m-%d %H:%M"),
        timezone="UTC",
        duration=5,
        reminders="",
        link="https://meet.example.org/stats",
    )
    link_id = f"event:link:{occurrence_id}"
    assert link_id in announcement.custom_ids()
    assert "https://meet.example.org/stats" not in announcement.text
    for member in (seed.member_en, seed.member_fr):
        await press(env, announcement, f"event:rsvp:{occurrence_id}:going", member)
    first = await press(env, announcement, link_id, seed.member_en)
    again = await press(env, announcement, link_id, seed.member_en)
    french = await press(env, announcement, link_id, seed.member_fr)
    assert "https://meet.example.org/stats" in first.text and "Global WIM Call: stats" in first.text
    assert "https://meet.example.org/stats" in again.text
    assert french.text.startswith("Lien de la réunion **Global WIM Call: stats**")
    assert clicks_in_db(env, occurrence_id) == sorted([(seed.member_en.id, 2), (seed.member_fr.id, 1)])

    # The link survives a restart (a persistent button), and the click still counts.
    await env.bot.restart()
    after = await press(env, announcement, link_id, seed.member_en)
    assert "https://meet.example.org/stats" in after.text
    assert dict(clicks_in_db(env, occurrence_id))[seed.member_en.id] == 3

    await double.advance_to(start + timedelta(minutes=6))
    await double.wait_until(
        lambda d: "This event has ended." in d.message(announcement.id).text,
        timeout=TIMEOUT,
        what="the event to end",
    )
    handle = await double.invoke("stats", user=seed.moderator, options={"period": "7d"})
    response = await handle.response(timeout=5)
    assert response.elapsed < 3.0
    report = await handle.message(timeout=TIMEOUT)
    assert report.ephemeral
    titles = [embed["title"] for embed in report.embeds]
    assert titles[0].startswith("Engagement report") and "Attendance" in titles[0]
    assert titles[1:] == [
        "Consultation turnout",
        "Working-group activity",
        "Members and organisations",
        "Meeting-link click-through",
    ]
    assert "1 date · Going: 2 · Checked in: 0" in report.text
    assert "2 members opened the meeting link of 1 events (4 clicks), 100% of those going." in report.text
    charts = [a for a in report.attachments if a.filename.endswith(".png")]
    assert {a.filename.rsplit("-", 1)[-1] for a in charts} >= {"attendance.png", "growth.png", "clicks.png"}
    assert all(a.data.startswith(PNG) for a in charts)
    for embed in report.embeds:  # each chart shown in its section
        image = (embed.get("image") or {}).get("url", "")
        assert not image or any(image.endswith(a.filename) for a in charts)
    (sheet,) = [a for a in report.attachments if a.filename.endswith(".csv")]
    rows = list(csv.DictReader(io.StringIO(sheet.data.decode("utf-8"))))
    figures = {(r["section"], r["metric"]): r["value"] for r in rows if "Global WIM Call: stats" in r["item"]}
    assert figures[("clicks", "unique_members")] == "2"
    assert figures[("clicks", "clicks")] == "4"
    assert figures[("attendance", "going")] == "2" and figures[("attendance", "checked_in")] == "0"
    assert not report.pinged_user_ids and not report.pinged_role_ids


async def test_the_reminder_dm_carries_the_meeting_link_button(isolated_env: DiscordEnv) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    mark = double.mark()
    start_text, start, lead = soon(double)
    _, announcement, occurrence_id = await create_event(
        env,
        title="Global WIM Call: DM link",
        start=start_text,
        timezone="UTC",
        reminders=f"{lead}s",
        link="https://meet.example.org/dm-link",
    )
    for member in (seed.member_en, seed.member_es):
        await press(env, announcement, f"event:rsvp:{occurrence_id}:going", member)
    await double.advance_to(start - timedelta(seconds=lead))
    dms = {
        member.id: await double.wait_for_dm(
            member, lambda m: "Global WIM Call: DM link" in m.content, after=mark, timeout=REMINDER_TIMEOUT
        )
        for member in (seed.member_en, seed.member_es)
    }
    await double.wait_until(
        lambda d: timers_of(env, occurrence_id)[0]["status"] == "done", what="the reminder timer to finish"
    )
    link_id = f"event:link:{occurrence_id}"
    for dm in dms.values():  # the link behind the button, each DM's label in its reader's language
        assert dm.custom_ids() == [link_id] and "https://meet.example.org/dm-link" not in dm.content
    assert dms[seed.member_en.id].button(custom_id=link_id)["label"] == "Join the meeting"
    assert dms[seed.member_es.id].button(custom_id=link_id)["label"] == "Unirse a la reunión"
    assert clicks_in_db(env, occurrence_id) == []

    # Pressed in the DM (no server in the interaction): answered privately, counted for the event.
    first = await press(env, dms[seed.member_en.id], link_id, seed.member_en)
    again = await press(env, dms[seed.member_en.id], link_id, seed.member_en)
    spanish = await press(env, dms[seed.member_es.id], link_id, seed.member_es)
    assert "https://meet.example.org/dm-link" in first.text and "Global WIM Call: DM link" in first.text
    assert "https://meet.example.org/dm-link" in again.text
    assert spanish.text.startswith("Enlace de la reunión **Global WIM Call: DM link**")
    assert clicks_in_db(env, occurrence_id) == sorted([(seed.member_en.id, 2), (seed.member_es.id, 1)])

    # Still works after a restart (a persistent button), and still counts.
    await env.bot.restart()
    after = await press(env, dms[seed.member_es.id], link_id, seed.member_es)
    assert "https://meet.example.org/dm-link" in after.text
    assert dict(clicks_in_db(env, occurrence_id))[seed.member_es.id] == 2

    # Who has left the server since the reminder gets no link from its DM; nothing counted.
    double.remove_member(seed.member_es)
    gone = await press(env, dms[seed.member_es.id], link_id, seed.member_es)
    assert "meet.example.org" not in gone.text
    assert f"members of **{double.guild.name}**" in gone.text and "not in that server any more" in gone.text
    assert dict(clicks_in_db(env, occurrence_id))[seed.member_es.id] == 2

    # Once the event is cancelled, the DM's button says so, privately; nothing counted.
    handle = await double.invoke("event cancel", user=seed.moderator, options={"event": str(occurrence_id)})
    assert (await handle.message(timeout=10)).ephemeral
    cancelled = await press(env, dms[seed.member_en.id], link_id, seed.member_en)
    assert cancelled.text == "That event was cancelled." and "meet.example.org" not in cancelled.text
    assert clicks_in_db(env, occurrence_id) == sorted([(seed.member_en.id, 2), (seed.member_es.id, 2)])


async def answer(env: DiscordEnv, user: object, **options: str) -> Message:
    handle = await env.double.invoke("stats", user=user, options=options or None)  # type: ignore[arg-type]
    response = await handle.response(timeout=5)
    assert response.elapsed < 3.0
    final = await handle.message(timeout=TIMEOUT)
    assert final.ephemeral
    return final


async def test_bad_periods_are_told_with_examples(discord_env: DiscordEnv) -> None:
    env, seed = discord_env, discord_env.seed
    unreadable = await answer(env, seed.moderator, period="next tuesday")
    assert "I cannot read the period" in unreadable.text and "2026-Q3" in unreadable.text
    assert not unreadable.attachments
    french = await answer(env, seed.moderator_fr, period="bientôt")
    assert french.text.startswith("Je ne comprends pas la période « bientôt »") and "30d" in french.text
    future = await answer(env, seed.moderator, period="2099-Q1")
    assert "has not begun yet" in future.text and not future.attachments
    refused = await answer(env, seed.member_en)
    assert "moderators" in refused.text.lower() and not refused.attachments
