"""Events end to end: the real bot process, driven through the local Discord double.

The bot runs on the double's test clock (tests/double/clock.py): reminder tests put the start a few
minutes ahead of the bot's "now" with a lead time in seconds, then move the bot's clock to the due time
with ``double.advance_to`` instead of waiting. One test, the batching test, stays on the real clock so
the wake-up's own timing stays covered. Discord's time (``created_at``) stays real: compare it with the
bot's times through ``double.clock.at``.
Every assertion is about what Discord would show (messages, embeds, buttons, pings, scheduled
events, attachments) or about what the bot stored (read-only peeks into its SQLite file).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr

from bot.i18n import Catalog
from tests.double import FakeDiscord, InvocationError, Member, Message, Perm
from tests.e2e.conftest import DiscordEnv

pytestmark = pytest.mark.e2e

CATALOG = Catalog.load()
RSVP_ID = re.compile(r"^event:rsvp:(\d+):going$")
# How long to wait for something the bot does on its own (a reminder): generous, never asserted on.
REMINDER_TIMEOUT = 60.0
# How far ahead of the bot's "now" a reminder is due before the test moves the clock there: far enough
# that a slow machine never reaches it on its own while the test is still setting up.
REMINDER_IN = 300.0


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def bot_db(env: DiscordEnv) -> Iterator[sqlite3.Connection]:
    """A read-only look at the bot's database (WAL lets us read while it writes)."""
    conn = sqlite3.connect(f"file:{env.config['database']}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def stored_counts(env: DiscordEnv) -> dict[str, int]:
    with bot_db(env) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("event_series", "event_occurrences", "event_rsvps", "timers")
        }


def timers_of(env: DiscordEnv, occurrence_id: int, kind: str = "event.reminder") -> list[sqlite3.Row]:
    with bot_db(env) as conn:
        return conn.execute(
            "SELECT * FROM timers WHERE kind = ? AND json_extract(payload, '$.occurrence_id') = ? "
            "ORDER BY id",
            (kind, occurrence_id),
        ).fetchall()


def far_start(days: int = 40, zone: str = "UTC") -> str:
    """A local start comfortably in the future, at 13:00."""
    day = datetime.now(ZoneInfo(zone)).date() + timedelta(days=days)
    return f"{day.isoformat()} 13:00"


def soon(
    double: FakeDiscord, reminder_in: float = REMINDER_IN, *, later_by: int = 0
) -> tuple[str, datetime, int]:
    """(UTC start "YYYY-MM-DD HH:MM", start, lead seconds) for an event whose reminder is due about
    ``reminder_in`` seconds after the bot's now: the start is the first whole minute at least a minute
    after that. ``later_by`` minutes are added to the start but not to the lead (so that reminder is due
    that much later), for tests that then move the event earlier."""
    now = double.clock.now()
    start = (now + timedelta(seconds=reminder_in + 60)).replace(second=0, microsecond=0) + timedelta(
        minutes=1
    )
    lead = int((start - now).total_seconds() - reminder_in)
    start += timedelta(minutes=later_by)
    return start.strftime("%Y-%m-%d %H:%M"), start, lead


async def advance_through(*, env: DiscordEnv, occurrence_id: int, dues: tuple[datetime, ...]) -> None:
    """Move the bot's clock to each due time in turn, letting that occurrence's reminder due then be
    handled before the next (reminders due together in a channel would share one message)."""
    for count, due in enumerate(dues, start=1):
        await env.double.advance_to(due)

        def handled(d: FakeDiscord, count: int = count) -> bool:
            return sum(1 for t in timers_of(env, occurrence_id) if t["status"] != "pending") >= count

        await env.double.wait_until(
            handled,
            timeout=REMINDER_TIMEOUT,
            what=f"reminder {count} of {len(dues)} to be handled",
        )


def occurrence_id_of(message: Message) -> int:
    for custom_id in message.custom_ids():
        match = RSVP_ID.match(custom_id)
        if match:
            return int(match.group(1))
    raise AssertionError(f"no RSVP button on message {message.id}: {message.custom_ids()}")


async def create_event(
    env: DiscordEnv, *, moderator: Member | None = None, **options: Any
) -> tuple[Message, Message, int]:
    """Run /event create; return (the moderator's ephemeral answer, the announcement, occurrence id)."""
    double, seed = env.double, env.seed
    mark = double.mark()
    options.setdefault("start", far_start())
    handle = await double.invoke("event create", user=moderator or seed.moderator, options=options)
    answer = await handle.message(timeout=10)
    assert answer.ephemeral, answer.text
    channel = options.get("channel", seed.announcements)
    announcement = await double.wait_for_message(
        channel, lambda m: bool(m.embeds) and bool(m.custom_ids()), after=mark, timeout=10
    )
    return answer, announcement, occurrence_id_of(announcement)


async def answer_of(double: FakeDiscord, path: str, *, user: Member, **options: Any) -> Message:
    handle = await double.invoke(path, user=user, options=options)
    return await handle.message(timeout=10)


def assert_no_pings(env: DiscordEnv, *, after: int, allowed_role_ids: frozenset[int] = frozenset()) -> None:
    """Nobody was notified since ``after`` in the seeded channels, except the given roles."""
    for channel in env.seed.channels.values():
        for message in env.double.messages(channel, after=after, include_ephemeral=True):
            assert not message.pinged_everyone, message.text
            assert not message.pinged_user_ids, (message.text, message.pinged_user_ids)
            assert set(message.pinged_role_ids) <= allowed_role_ids, (message.text, message.pinged_role_ids)


def field(message: Message, name: str) -> str:
    embed = message.embed
    assert embed is not None
    for item in embed.get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {embed}")


# --- creating ------------------------------------------------------------------------------------


async def test_create_announces_with_buttons_mirrors_and_answers_privately(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    mark = double.mark()
    answer, announcement, occurrence_id = await create_event(
        discord_env,
        title="Global WIM Call: critical minerals",
        start="2027-05-12 09:30",
        timezone="America/Lima",
        duration=90,
        description="Updates from the four working groups.",
        link="https://meet.example.org/wim-call",
    )
    assert answer.content.startswith("Event **Global WIM Call: critical minerals** created for")
    assert f"/{seed.announcements.id}/{announcement.id}" in answer.content
    start_utc = datetime(2027, 5, 12, 14, 30, tzinfo=UTC)  # Lima is UTC-5 all year
    embed = announcement.embed
    assert embed is not None and embed["title"] == "Global WIM Call: critical minerals"
    assert embed["description"] == "Updates from the four working groups."
    assert f"<t:{int(start_utc.timestamp())}:F>" in field(announcement, "When")
    assert f"<t:{int(start_utc.timestamp())}:R>" in field(announcement, "When")
    assert field(announcement, "Duration") == "1 h 30 min"
    assert "America/Lima" in field(announcement, "Event time zone")
    # The meeting link is behind the persistent "Join the meeting" button (counted for /stats).
    assert "https://meet.example.org/wim-call" not in announcement.text
    assert field(announcement, "For") == "Everyone"
    assert field(announcement, "Repeats") == "Does not repeat"
    assert "0 going" in field(announcement, "Replies")
    assert set(announcement.custom_ids()) == {
        f"event:rsvp:{occurrence_id}:going",
        f"event:rsvp:{occurrence_id}:maybe",
        f"event:rsvp:{occurrence_id}:declined",
        f"event:link:{occurrence_id}",
    }
    mirrored = await double.wait_for_scheduled_event(lambda e: e.name == "Global WIM Call: critical minerals")
    assert mirrored.start == start_utc and mirrored.end == start_utc + timedelta(minutes=90)
    assert mirrored.location == "https://meet.example.org/wim-call"
    with bot_db(discord_env) as conn:
        row = conn.execute("SELECT * FROM event_occurrences WHERE id = ?", (occurrence_id,)).fetchone()
    assert row["announcement_message_id"] == announcement.id
    assert row["discord_event_id"] == mirrored.id
    assert_no_pings(discord_env, after=mark)


async def test_french_moderator_gets_french_answer_and_announcement_stays_in_guild_language(
    discord_env: DiscordEnv,
) -> None:
    seed = discord_env.seed
    answer, announcement, _ = await create_event(
        discord_env, moderator=seed.moderator_fr, title="Table ronde des dirigeantes", start=far_start(45)
    )
    # A feminine title: the sentence agrees with "Événement", whatever the title.
    assert answer.content.startswith("Événement **Table ronde des dirigeantes** créé pour le")
    assert field(announcement, "Duration") == "1 h"  # config default 60 minutes, shown in English (guild)
    assert announcement.embed is not None
    assert "Replies" in [f["name"] for f in announcement.embed["fields"]]


async def test_create_defaults_to_the_members_saved_time_zone(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    saved = await answer_of(double, "timezone set", user=seed.moderator_fr, zone="asia/kolkata")
    assert saved.ephemeral and "Asia/Kolkata" in saved.content and "maintenant" in saved.content
    _, announcement, _ = await create_event(
        discord_env,
        moderator=seed.moderator_fr,
        title="Asia-Pacific chapter meeting",
        start="2027-04-20 18:30",
    )
    assert "Asia/Kolkata" in field(announcement, "Event time zone")
    expected = datetime(2027, 4, 20, 13, 0, tzinfo=UTC)  # 18:30 in India (UTC+5:30)
    assert f"<t:{int(expected.timestamp())}:F>" in field(announcement, "When")
    shown = await answer_of(double, "timezone show", user=seed.moderator_fr)
    assert "Asia/Kolkata" in shown.content


async def test_time_zone_autocomplete_and_unknown_zone(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    handle = await double.autocomplete(
        "timezone set", user=seed.member_es, options={"zone": "lima"}, focused="zone"
    )
    choices = (await handle.response()).choices
    assert {"name": "America/Lima", "value": "America/Lima"} in choices
    handle = await double.autocomplete(
        "event create", user=seed.moderator, options={"timezone": "a"}, focused="timezone"
    )
    assert 0 < len((await handle.response()).choices) <= 25
    refused = await answer_of(double, "timezone set", user=seed.member_es, zone="Mars/Olympus_Mons")
    assert refused.ephemeral and "Mars/Olympus_Mons" in refused.content
    shown = await answer_of(double, "timezone show", user=seed.member_es)
    assert "zona horaria" in shown.content and "Mars" not in shown.content


# --- listing and looking up ----------------------------------------------------------------------


async def test_list_pages_through_upcoming_events_in_the_readers_language(isolated_env: DiscordEnv) -> None:
    double, seed = isolated_env.double, isolated_env.seed
    for index in range(12):
        await create_event(isolated_env, title=f"Working group sync {index:02d}", start=far_start(10 + index))
    handle = await double.invoke("event list", user=seed.member_es, options={"days": 60})
    first = await handle.message()
    assert first.ephemeral
    embed = first.embed
    assert embed is not None and embed["title"] == "Próximos eventos (60 días)"
    assert embed["description"].count("\n") == 9  # ten per page
    assert (
        "Working group sync 00" in embed["description"]
        and "Working group sync 10" not in embed["description"]
    )
    assert "<t:" in embed["description"]  # Discord timestamps: each reader sees their own zone
    assert embed["footer"]["text"].startswith("Página 1 de 2")
    next_button = first.button(label="Siguiente")
    clicked = await double.click(first, next_button["custom_id"], user=seed.member_es)
    second = await clicked.message()
    assert second.embed is not None
    assert "Working group sync 10" in second.embed["description"]
    assert second.button(label="Siguiente")["disabled"] is True
    others = await double.click(second, second.button(label="Anterior")["custom_id"], user=seed.member_en)
    refusal = await others.message()
    assert refusal.ephemeral and "Only the person who opened this" in refusal.content


async def test_info_and_autocomplete_find_an_event_by_title(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    _, _, occurrence_id = await create_event(
        discord_env, title="International WIM Day 2027", start="2027-06-15 12:00"
    )
    handle = await double.autocomplete(
        "event info", user=seed.member_fr, options={"event": "international wim day"}, focused="event"
    )
    choices = (await handle.response()).choices
    assert any(choice["value"] == str(occurrence_id) and "2027-06-15" in choice["name"] for choice in choices)
    info = await answer_of(double, "event info", user=seed.member_fr, event=str(occurrence_id))
    assert info.ephemeral and info.embed is not None
    assert info.embed["title"] == "International WIM Day 2027"
    assert "Quand" in [f["name"] for f in info.embed["fields"]]


# --- RSVPs -----------------------------------------------------------------------------------------


async def test_rsvp_buttons_count_latest_choice_and_survive_a_restart(isolated_env: DiscordEnv) -> None:
    double, seed = isolated_env.double, isolated_env.seed
    _, announcement, occurrence_id = await create_event(isolated_env, title="December assembly")
    going = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=seed.member_en)
    confirmation = await going.message()
    assert confirmation.ephemeral and confirmation.content.startswith(
        "You are going to **December assembly**"
    )
    maybe = await double.click(announcement, f"event:rsvp:{occurrence_id}:maybe", user=seed.member_fr)
    assert (await maybe.message()).content.startswith("C'est noté : peut-être pour")
    await double.wait_until(
        lambda d: "1 going · ❔ 1 maybe" in d.message(announcement.id).text,
        what="the counts to show 1 going, 1 maybe",
    )

    await isolated_env.bot.restart()

    declined = await double.click(announcement, f"event:rsvp:{occurrence_id}:declined", user=seed.member_es)
    assert (await declined.message()).content.startswith("Anotado: no puede asistir")
    changed = await double.click(announcement, f"event:rsvp:{occurrence_id}:maybe", user=seed.member_en)
    assert (await changed.message()).ephemeral
    await double.wait_until(
        lambda d: "0 going · ❔ 2 maybe · ❌ 1 can't go" in d.message(announcement.id).text,
        what="the counts after the restart",
    )
    with bot_db(isolated_env) as conn:
        rows = dict(
            conn.execute("SELECT user_id, status FROM event_rsvps WHERE occurrence_id = ?", (occurrence_id,))
        )
    assert rows == {seed.member_en.id: "maybe", seed.member_fr.id: "maybe", seed.member_es.id: "declined"}


async def test_a_burst_of_clicks_becomes_few_announcement_edits(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    _, announcement, occurrence_id = await create_event(discord_env, title="Roundtable: safety culture")
    clickers = [
        seed.member_en,
        seed.member_fr,
        seed.member_es,
        seed.moderator,
        seed.moderator_fr,
        seed.dms_closed,
    ]
    handles = await asyncio.gather(
        *(double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=member) for member in clickers)
    )
    for handle in handles:
        assert (await handle.message()).ephemeral
    final = await double.wait_until(
        lambda d: d.message(announcement.id) if "6 going" in d.message(announcement.id).text else None,
        what="the announcement to count 6 going",
    )
    # Six clicks within the debounce window: one immediate edit, then one with the final counts.
    assert final.edits < len(clickers)


async def test_members_outside_the_audience_are_politely_refused(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    leaders = double.add_role("WIM leaders (test)", mentionable=True)
    double.add_member_role(seed.member_en, leaders)
    _, announcement, occurrence_id = await create_event(
        discord_env, title="Leaders roundtable", audience=leaders, link="https://meet.example.org/leaders"
    )
    assert field(announcement, "For") == leaders.mention
    polite = CATALOG.t("fr", "events_ui.rsvp.not_audience", title="Leaders roundtable", role=leaders.mention)
    refused = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=seed.member_fr)
    answer = await refused.message()
    assert answer.ephemeral and not answer.pinged_role_ids
    assert answer.content == polite
    # The meeting link is the audience's too: the same polite refusal, no link.
    link = await (
        await double.click(announcement, f"event:link:{occurrence_id}", user=seed.member_fr)
    ).message()
    assert link.ephemeral and link.content == polite and "meet.example.org" not in link.content
    accepted = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=seed.member_en)
    assert (await accepted.message()).content.startswith("You are going")
    joined = await (
        await double.click(announcement, f"event:link:{occurrence_id}", user=seed.member_en)
    ).message()
    assert "https://meet.example.org/leaders" in joined.content
    with bot_db(discord_env) as conn:
        users = [
            r[0]
            for r in conn.execute("SELECT user_id FROM event_rsvps WHERE occurrence_id = ?", (occurrence_id,))
        ]
    assert users == [seed.member_en.id]


# --- reminders, edits, cancellations --------------------------------------------------------------


async def test_reminder_pings_only_the_audience_at_its_lead_time_and_dms_who_replied(
    discord_env: DiscordEnv,
) -> None:
    double, seed = discord_env.double, discord_env.seed
    audience = double.add_role("Reminder audience (test)", mentionable=True)
    for member in (seed.member_en, seed.member_fr, seed.dms_closed):
        double.add_member_role(member, audience)
    off = await answer_of(double, "event dm", user=seed.member_fr, setting="off")
    assert off.content.startswith("Rappels par message privé désactivés")
    mark = double.mark()
    start_text, start, lead = soon(double)
    _, announcement, occurrence_id = await create_event(
        discord_env,
        title="Reminder probe",
        start=start_text,
        timezone="UTC",
        audience=audience,
        reminders=f"{lead}s",
        link="https://meet.example.org/probe",
    )
    for member in (seed.member_en, seed.member_fr, seed.dms_closed):
        handle = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=member)
        assert (await handle.message()).ephemeral

    await double.advance_to(start - timedelta(seconds=lead))
    reminder = await double.wait_for_message(
        seed.announcements,
        lambda m: m.content.startswith(audience.mention),
        after=mark,
        timeout=REMINDER_TIMEOUT,
    )
    assert double.clock.at(reminder.created_at) >= start - timedelta(seconds=lead)  # never early
    assert "Reminder probe" in reminder.content and "https://meet.example.org/probe" not in reminder.content
    assert f"<t:{int(start.timestamp())}:R>" in reminder.content
    assert reminder.pinged_role_ids == frozenset({audience.id})
    assert not reminder.pinged_user_ids and not reminder.pinged_everyone
    # A short message linking to the announcement (jump link), not a second card: its only button
    # is the meeting link's.
    assert reminder.custom_ids() == [f"event:link:{occurrence_id}"] and reminder.embeds == []
    assert f"https://discord.com/channels/{double.guild_id}/{seed.announcements.id}/{announcement.id}" in (
        reminder.content
    )

    dm = await double.wait_for_dm(seed.member_en, after=mark, timeout=10)
    assert "Reminder probe" in dm.content
    await double.wait_until(
        lambda d: timers_of(discord_env, occurrence_id)[0]["status"] == "done",
        what="the reminder timer to finish",
    )
    assert double.dms(seed.member_fr, after=mark) == []  # turned DMs off
    assert double.dms(seed.dms_closed, after=mark) == []  # DMs closed: skipped, not retried
    with bot_db(discord_env) as conn:
        logged = dict(
            conn.execute(
                "SELECT user_id, status FROM event_reminder_dms WHERE occurrence_id = ?", (occurrence_id,)
            )
        )
    assert logged == {seed.member_en.id: "sent", seed.dms_closed.id: "skipped_closed"}
    reminders = [
        m for m in double.messages(seed.announcements, after=mark) if m.content.startswith(audience.mention)
    ]
    assert len(reminders) == 1
    assert_no_pings(discord_env, after=mark, allowed_role_ids=frozenset({audience.id}))
    await answer_of(double, "event dm", user=seed.member_fr, setting="on")

    # The DM's Join button gives the link to the audience; who lost the role since is told whom the
    # event is for, by the role's name (a role mention means nothing in a DM).
    link_id = f"event:link:{occurrence_id}"
    joined = await (await double.click(dm, link_id, user=seed.member_en)).message()
    assert "https://meet.example.org/probe" in joined.content
    double.remove_member_role(seed.member_en, audience)
    refused = await (await double.click(dm, link_id, user=seed.member_en)).message()
    assert "meet.example.org" not in refused.content
    assert refused.content == CATALOG.t(
        "en", "events_ui.rsvp.not_audience", title="Reminder probe", role=f"**@{audience.name}**"
    )


async def test_edit_moves_the_event_and_its_reminder(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    mark = double.mark()
    # Created a minute later than the final time: its first reminder would be due a minute later.
    later_text, later, lead = soon(double, later_by=1)
    _, announcement, occurrence_id = await create_event(
        discord_env, title="Edit probe", start=later_text, timezone="UTC", reminders=f"{lead}s"
    )
    rsvp = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=seed.member_es)
    await rsvp.message()
    [old_timer] = timers_of(discord_env, occurrence_id)
    new_start = later - timedelta(minutes=1)

    handle = await double.invoke(
        "event edit",
        user=seed.moderator,
        options={
            "event": str(occurrence_id),
            "start": new_start.strftime("%Y-%m-%d %H:%M"),
            "title": "Edit probe (moved)",
        },
    )
    done = await handle.message(timeout=10)
    assert done.ephemeral and done.content.startswith("Event **Edit probe (moved)** updated")
    assert "1 member who had replied was told" in done.content
    timers = timers_of(discord_env, occurrence_id)
    assert {t["id"]: t["status"] for t in timers}[old_timer["id"]] == "cancelled"
    [pending] = [t for t in timers if t["status"] == "pending"]
    assert datetime.fromisoformat(pending["due_at"]) == new_start - timedelta(seconds=lead)

    notice = await double.wait_for_dm(seed.member_es, after=mark, timeout=10)
    assert "Edit probe (moved)" in notice.content and f"<t:{int(new_start.timestamp())}:F>" in notice.content
    edited = await double.wait_until(
        lambda d: (
            d.message(announcement.id) if "Edit probe (moved)" in d.message(announcement.id).text else None
        ),
        what="the announcement to show the new title",
    )
    assert f"<t:{int(new_start.timestamp())}:F>" in field(edited, "When")
    mirrored = await double.wait_for_scheduled_event(lambda e: e.name == "Edit probe (moved)")
    assert mirrored.start == new_start

    await double.advance_to(new_start - timedelta(seconds=lead))
    reminder = await double.wait_for_message(
        seed.announcements, lambda m: "Edit probe (moved)" in m.content, after=mark, timeout=REMINDER_TIMEOUT
    )
    assert double.clock.at(reminder.created_at) >= new_start - timedelta(seconds=lead)
    # The post comes first, then its record: wait for the record rather than race it.
    await double.wait_until(
        lambda d: any(t["status"] == "done" for t in timers_of(discord_env, occurrence_id)),
        what="the moved reminder's timer to finish",
    )
    with bot_db(discord_env) as conn:
        posted = conn.execute(
            "SELECT lead_seconds FROM event_reminder_deliveries WHERE occurrence_id = ?", (occurrence_id,)
        ).fetchall()
    assert [row[0] for row in posted] == [lead]
    assert {t["status"] for t in timers_of(discord_env, occurrence_id) if t["id"] == old_timer["id"]} == {
        "cancelled"
    }
    assert_no_pings(discord_env, after=mark)


async def test_cancel_silences_reminders_and_tells_everyone(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    mark = double.mark()
    start_text, _, lead = soon(double)
    _, announcement, occurrence_id = await create_event(
        discord_env, title="Cancel probe", start=start_text, timezone="UTC", reminders=f"{lead}s,{lead - 5}s"
    )
    await double.wait_for_scheduled_event(lambda e: e.name == "Cancel probe")
    going = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=seed.member_en)
    await going.message()

    done = await answer_of(double, "event cancel", user=seed.moderator, event=str(occurrence_id))
    assert (
        done.ephemeral and done.content.startswith("Event **Cancel probe**") and "cancelled" in done.content
    )
    assert {t["status"] for t in timers_of(discord_env, occurrence_id)} == {"cancelled"}
    assert {t["status"] for t in timers_of(discord_env, occurrence_id, "event.start")} == {"cancelled"}
    notice = await double.wait_for_message(
        seed.announcements, lambda m: m.content.startswith("❌ Event cancelled:"), after=mark
    )
    assert "Cancel probe" in notice.content
    dm = await double.wait_for_dm(seed.member_en, after=mark)
    assert "Cancel probe" in dm.content
    updated = double.message(announcement.id)
    assert updated.embed is not None and updated.embed["title"] == "[Cancelled] Cancel probe"
    assert all(button.get("disabled") for button in updated.buttons())
    await double.wait_until(
        lambda d: not any(e.name == "Cancel probe" for e in d.scheduled_events()),
        what="the Events tab entry to go",
    )
    late = await answer_of(
        double, "event rsvp", user=seed.member_fr, event=str(occurrence_id), status="maybe"
    )
    assert late.ephemeral and late.content == CATALOG.t("fr", "events.errors.event_cancelled")
    assert_no_pings(discord_env, after=mark)


async def test_cancelling_a_series_asks_which_occurrences(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    mark = double.mark()
    _, _, occurrence_id = await create_event(
        discord_env, title="Weekly secretariat check-in", start=far_start(20), recurrence="weekly"
    )
    with bot_db(discord_env) as conn:
        series_id = conn.execute(
            "SELECT series_id FROM event_occurrences WHERE id = ?", (occurrence_id,)
        ).fetchone()[0]
        scheduled = conn.execute(
            "SELECT count(*) FROM event_occurrences WHERE series_id = ? AND status = 'scheduled'",
            (series_id,),
        ).fetchone()[0]
    assert scheduled > 1
    handle = await double.invoke("event cancel", user=seed.moderator, options={"event": str(occurrence_id)})
    question = await handle.message()
    assert question.ephemeral and "repeats" in question.content
    other = await double.click(
        question, question.button(label="This and later dates")["custom_id"], user=seed.moderator_fr
    )
    assert (await other.message()).content == CATALOG.t("fr", "errors.not_your_view")
    chosen = await double.click(
        question, question.button(label="This and later dates")["custom_id"], user=seed.moderator
    )
    [result] = await chosen.followups(1, timeout=10)
    assert result.ephemeral and result.content.startswith(
        "Series **Weekly secretariat check-in** cancelled from this date on"
    )
    with bot_db(discord_env) as conn:
        left = conn.execute(
            "SELECT count(*) FROM event_occurrences WHERE series_id = ? AND status = 'scheduled'",
            (series_id,),
        ).fetchone()[0]
    assert left == 0
    assert all(button.get("disabled") for button in double.message(question.id).buttons())
    notice = await double.wait_for_message(
        seed.announcements,
        lambda m: "Series cancelled: **Weekly secretariat check-in**" in m.content,
        after=mark,
    )
    assert f"({scheduled} dates)" in notice.content


# --- check-in and attendees --------------------------------------------------------------------------


async def test_check_in_is_recorded_and_listed_for_moderators(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    mark = double.mark()
    start_text, _, _ = soon(double, 30)
    _, announcement, occurrence_id = await create_event(
        discord_env, title="Check-in probe", start=start_text, timezone="UTC", reminders=""
    )
    assert f"event:checkin:{occurrence_id}" in announcement.custom_ids()  # opens 10 minutes before
    first = await double.click(announcement, f"event:checkin:{occurrence_id}", user=seed.member_es)
    assert (await first.message()).content.startswith("Se registró su asistencia a **Check-in probe**")
    again = await double.click(announcement, f"event:checkin:{occurrence_id}", user=seed.member_es)
    assert (await again.message()).content.startswith("Ya había registrado")
    going = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=seed.member_en)
    await going.message()

    refused = await answer_of(double, "event attendees", user=seed.member_en, event=str(occurrence_id))
    assert refused.ephemeral and refused.embed is None and "Only moderators" in refused.content
    listing = await answer_of(double, "event attendees", user=seed.moderator, event=str(occurrence_id))
    assert listing.ephemeral and listing.embed is not None
    assert field(listing, "Checked in (1)") == seed.member_es.mention
    assert field(listing, "Going (1)") == seed.member_en.mention
    assert field(listing, "Maybe (0)") == "Nobody yet"
    with bot_db(discord_env) as conn:
        checked = [
            r[0]
            for r in conn.execute(
                "SELECT user_id FROM event_check_ins WHERE occurrence_id = ?", (occurrence_id,)
            )
        ]
    assert checked == [seed.member_es.id]
    assert_no_pings(discord_env, after=mark)


# --- calendar export ---------------------------------------------------------------------------------


async def test_ics_export_keeps_local_time_across_daylight_saving(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    # Paris changes to summer time on 28 March 2027: 13:00 local is 12:00 UTC before, 11:00 UTC after.
    _, _, occurrence_id = await create_event(
        discord_env,
        title="Paris monthly call",
        start="2027-03-10 13:00",
        timezone="Europe/Paris",
        recurrence="monthly",
    )
    handle = await double.invoke("event calendar", user=seed.member_fr, options={"event": str(occurrence_id)})
    answer = await handle.message()
    assert answer.ephemeral and "fichier d'agenda" in answer.content
    [attachment] = answer.attachments
    assert attachment.filename.endswith(".ics")
    calendar = icalendar.Calendar.from_ical(attachment.data)
    [event] = [c for c in calendar.walk("VEVENT") if str(c.get("summary")) == "Paris monthly call"]
    first = event.decoded("dtstart")
    assert first.astimezone(UTC) == datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
    rule = rrulestr(event.get("rrule").to_ical().decode(), dtstart=first)
    after_change = rule.after(datetime(2027, 3, 28, tzinfo=UTC).astimezone(first.tzinfo))
    assert after_change is not None
    assert after_change.astimezone(UTC) == datetime(2027, 4, 10, 11, 0, tzinfo=UTC)
    with bot_db(discord_env) as conn:
        stored = [
            datetime.fromisoformat(r[0])
            for r in conn.execute(
                "SELECT starts_at FROM event_occurrences WHERE series_id = "
                "(SELECT series_id FROM event_occurrences WHERE id = ?) ORDER BY starts_at LIMIT 2",
                (occurrence_id,),
            )
        ]
    assert stored == [datetime(2027, 3, 10, 12, 0, tzinfo=UTC), datetime(2027, 4, 10, 11, 0, tzinfo=UTC)]

    whole = await double.invoke("event calendar", user=seed.member_en)
    everything = icalendar.Calendar.from_ical((await whole.message()).attachments[0].data)
    assert "Paris monthly call" in {str(c.get("summary")) for c in everything.walk("VEVENT")}


# --- refusals: each bad input gets a private explanation and nothing is written ---------------------

BAD_CREATE_INPUTS = [
    pytest.param({"timezone": "Mars/Olympus_Mons"}, "is not a time zone", id="unknown-zone"),
    pytest.param({"start": "next tuesday at 10"}, "could not read the start", id="unparseable-start"),
    pytest.param({"start": "2020-01-01 10:00"}, "already past", id="past-start"),
    pytest.param({"start": "2027-03-28 02:30", "timezone": "Europe/Paris"}, "does not exist", id="dst-gap"),
    pytest.param({"reminders": "5x"}, "could not read the reminders", id="bad-lead-unit"),
    pytest.param({"reminders": "61d"}, "could not read the reminders", id="lead-too-long"),
    pytest.param({"link": "ftp://example.org/file"}, "web address", id="ftp-link"),
    pytest.param({"link": "javascript:alert(1)"}, "web address", id="script-link"),
]


@pytest.mark.parametrize(("bad", "explanation"), BAD_CREATE_INPUTS)
async def test_bad_create_input_is_explained_privately_and_writes_nothing(
    discord_env: DiscordEnv, bad: dict[str, Any], explanation: str
) -> None:
    double, seed = discord_env.double, discord_env.seed
    before = stored_counts(discord_env)
    events_before = len(double.scheduled_events())
    mark = double.mark()
    options = {"title": "Refusal probe", "start": far_start(), **bad}
    answer = await answer_of(double, "event create", user=seed.moderator, **options)
    assert answer.ephemeral
    assert explanation in answer.content, answer.content
    assert stored_counts(discord_env) == before
    assert double.messages(seed.announcements, after=mark) == []
    assert len(double.scheduled_events()) == events_before


# Refused by Discord's client itself since the options carry their limits (min_value, max_length):
# the member learns the limit before sending. The service still refuses them (tests/services).
CLIENT_REFUSED_CREATE_INPUTS = [
    pytest.param({"duration": 0}, id="zero-duration"),
    pytest.param({"duration": 10081}, id="over-a-week"),
    pytest.param({"title": "T" * 101}, id="long-title"),
    pytest.param({"description": "d" * 2001}, id="long-description"),
]


@pytest.mark.parametrize("bad", CLIENT_REFUSED_CREATE_INPUTS)
async def test_inputs_beyond_an_options_limits_are_refused_by_the_client(
    discord_env: DiscordEnv, bad: dict[str, Any]
) -> None:
    double, seed = discord_env.double, discord_env.seed
    before = stored_counts(discord_env)
    with pytest.raises(InvocationError, match=r"min_value|max_value|max_length"):
        await double.invoke(
            "event create",
            user=seed.moderator,
            options={"title": "Refusal probe", "start": far_start(), **bad},
        )
    assert stored_counts(discord_env) == before


async def test_channel_the_bot_cannot_post_in_is_named_and_nothing_written(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    closed = double.add_text_channel("bot-muted", overwrites=[(seed.bot_role, 0, Perm.SEND_MESSAGES)])
    before = stored_counts(discord_env)
    answer = await answer_of(
        double, "event create", user=seed.moderator, title="Muted", start=far_start(), channel=closed
    )
    assert answer.ephemeral and "I cannot post in" in answer.content and "Send Messages" in answer.content
    assert stored_counts(discord_env) == before


async def test_non_moderators_cannot_create_edit_or_cancel(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    before = stored_counts(discord_env)
    for path, options in (
        ("event create", {"title": "Sneaky", "start": far_start()}),
        ("event edit", {"event": "1", "title": "Sneaky"}),
        ("event cancel", {"event": "1"}),
    ):
        answer = await answer_of(double, path, user=seed.member_en, **options)
        assert answer.ephemeral and answer.content.startswith("Only moderators"), (path, answer.content)
    assert stored_counts(discord_env) == before


async def test_unknown_and_cancelled_events_are_refused(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    _, _, occurrence_id = await create_event(discord_env, title="Soon cancelled")
    await answer_of(double, "event cancel", user=seed.moderator, event=str(occurrence_id))
    before = stored_counts(discord_env)
    for path, user, options in (
        ("event info", seed.member_en, {"event": "987654321"}),
        ("event info", seed.member_en, {"event": "no such event title at all"}),
        ("event rsvp", seed.member_fr, {"event": str(occurrence_id), "status": "going"}),
        ("event edit", seed.moderator, {"event": str(occurrence_id), "title": "Back from the dead"}),
        ("event cancel", seed.moderator, {"event": "987654321"}),
        ("event attendees", seed.moderator, {"event": "99999999999999999999999"}),
    ):
        answer = await answer_of(double, path, user=user, **options)
        assert answer.ephemeral, (path, options)
        assert "Something went wrong" not in answer.content and "went wrong" not in answer.content
        assert any(word in answer.content for word in ("could not find", "trouve", "cancelled", "annulé")), (
            answer.content
        )
    assert stored_counts(discord_env) == before


async def test_edit_without_changes_is_refused(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    _, _, occurrence_id = await create_event(discord_env, title="Unchanged")
    answer = await answer_of(double, "event edit", user=seed.moderator, event=str(occurrence_id))
    assert answer.ephemeral and answer.content == CATALOG.t("en", "events_ui.edit.nothing")


# --- what the bot cannot fix itself: told to moderators once, never a crash loop --------------------


async def test_without_manage_events_moderators_are_told_once_and_events_still_work(
    isolated_env: DiscordEnv,
) -> None:
    double, seed = isolated_env.double, isolated_env.seed
    double.set_bot_permissions(Perm.BOT_DEFAULT & ~(Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS))
    mark = double.mark()
    answer, announcement, _ = await create_event(isolated_env, title="Without the Events tab")
    assert answer.content.startswith("Event **Without the Events tab** created")
    notice = await double.wait_for_message(seed.mod_log, lambda m: "Manage Events" in m.content, after=mark)
    assert not notice.pinged_role_ids and not notice.pinged_user_ids
    await create_event(isolated_env, title="Still without the Events tab")
    # Only the Manage Events notice counts: without Manage Channels the working groups tell moderators
    # too, if their seeding was still running when the permissions changed.
    told = [m.id for m in double.messages(seed.mod_log, after=mark) if "Manage Events" in m.content]
    assert told == [notice.id]
    assert double.scheduled_events() == []
    assert announcement.embed is not None


async def test_reminder_for_a_deleted_role_posts_without_ping_and_reports_once(
    discord_env: DiscordEnv,
) -> None:
    double, seed = discord_env.double, discord_env.seed
    doomed = double.add_role("Doomed audience (test)", mentionable=True)
    mark = double.mark()
    start_text, start, lead = soon(double)
    _, _, occurrence_id = await create_event(
        discord_env,
        title="Role gone probe",
        start=start_text,
        timezone="UTC",
        audience=doomed,
        reminders=f"{lead}s,{lead - 3}s",
    )
    double.delete_role(doomed)
    await advance_through(
        env=discord_env,
        occurrence_id=occurrence_id,
        dues=(start - timedelta(seconds=lead), start - timedelta(seconds=lead - 3)),
    )
    await double.wait_until(
        lambda d: all(t["status"] == "done" for t in timers_of(discord_env, occurrence_id)),
        timeout=REMINDER_TIMEOUT,
        what="both reminders to be handled",
    )
    posts = [
        m
        for m in double.messages(seed.announcements, after=mark)
        if "Role gone probe" in m.content and "starting now" not in m.content
    ]
    assert len(posts) == 2 and all(not m.pinged_role_ids for m in posts)
    reports = [m for m in double.messages(seed.mod_log, after=mark) if "Role gone probe" in m.content]
    assert len(reports) == 1 and "no longer exists" in reports[0].content
    assert_no_pings(discord_env, after=mark)


async def test_reminder_for_a_deleted_channel_is_reported_once_and_not_retried(
    discord_env: DiscordEnv,
) -> None:
    double, seed = discord_env.double, discord_env.seed
    doomed = double.add_text_channel("doomed-channel")
    mark = double.mark()
    start_text, start, lead = soon(double)
    _, _, occurrence_id = await create_event(
        discord_env,
        title="Channel gone probe",
        start=start_text,
        timezone="UTC",
        channel=doomed,
        reminders=f"{lead}s,{lead - 3}s",
    )
    double.delete_channel(doomed)
    await advance_through(
        env=discord_env,
        occurrence_id=occurrence_id,
        dues=(start - timedelta(seconds=lead), start - timedelta(seconds=lead - 3)),
    )
    await double.wait_until(
        lambda d: all(t["status"] == "done" for t in timers_of(discord_env, occurrence_id)),
        timeout=REMINDER_TIMEOUT,
        what="both reminders to be handled",
    )
    assert all(t["attempts"] <= 1 for t in timers_of(discord_env, occurrence_id))
    reports = [m for m in double.messages(seed.mod_log, after=mark) if "Channel gone probe" in m.content]
    assert len(reports) == 1 and "no longer exists" in reports[0].content


# --- the event itself: "starting now" with Check in, then closed at the end ---------------------------


async def test_start_posts_check_in_and_end_closes_it(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    mark = double.mark()
    # A whole minute a few minutes ahead of the bot's now; the test then moves the clock there.
    start = (double.clock.now() + timedelta(seconds=REMINDER_IN)).replace(second=0, microsecond=0)
    _, announcement, occurrence_id = await create_event(
        discord_env,
        title="Start probe",
        start=start.strftime("%Y-%m-%d %H:%M"),
        timezone="UTC",
        duration=1,
        reminders="",
        link="https://meet.example.org/start",
    )
    await double.advance_to(start)
    starting = await double.wait_for_message(
        seed.announcements,
        lambda m: "Start probe" in m.content and "starting now" in m.content,
        after=mark,
        timeout=REMINDER_TIMEOUT + 30,
    )
    assert double.clock.at(starting.created_at) >= start
    # The meeting link is behind the post's "Join the meeting" button (counted), not in its text.
    assert "Start probe" in starting.content and "https://meet.example.org/start" not in starting.content
    assert starting.custom_ids() == [f"event:checkin:{occurrence_id}", f"event:link:{occurrence_id}"]
    checked = await double.click(starting, f"event:checkin:{occurrence_id}", user=seed.member_fr)
    assert (await checked.message()).content.startswith("Présence notée pour")
    joined = await (
        await double.click(starting, f"event:link:{occurrence_id}", user=seed.member_fr)
    ).message()
    assert joined.ephemeral and joined.content.startswith("Lien de la réunion **Start probe**")
    assert "https://meet.example.org/start" in joined.content
    with bot_db(discord_env) as conn:
        counted = conn.execute(
            "SELECT user_id, clicks FROM event_link_clicks WHERE occurrence_id = ?", (occurrence_id,)
        ).fetchall()
    assert [tuple(row) for row in counted] == [(seed.member_fr.id, 1)]

    await double.advance_to(start + timedelta(minutes=1))
    await double.wait_until(
        lambda d: timers_of(discord_env, occurrence_id, "event.end")[0]["status"] == "done",
        timeout=REMINDER_TIMEOUT + 30,
        what="the end timer",
    )
    closed = await double.wait_until(
        lambda d: d.message(starting.id) if d.message(starting.id).button()["disabled"] else None,
        what="the Check in button to be disabled",
    )
    assert closed.button(custom_id=f"event:checkin:{occurrence_id}")["disabled"] is True
    assert closed.button(custom_id=f"event:link:{occurrence_id}")["disabled"] is True  # inert, like the card
    ended = double.message(announcement.id)
    assert "This event has ended." in ended.text
    assert field(ended, "Checked in") == "1"
    assert all(button.get("disabled") for button in ended.buttons())
    assert_no_pings(discord_env, after=mark)


async def test_editing_one_occurrence_of_a_series_leaves_the_others(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    _, announcement, occurrence_id = await create_event(
        discord_env, title="Monthly communications circle", start=far_start(25), recurrence="monthly"
    )
    handle = await double.invoke(
        "event edit",
        user=seed.moderator_fr,
        options={"event": str(occurrence_id), "title": "Communications circle: special edition"},
    )
    question = await handle.message()
    assert question.ephemeral and "se répète" in question.content
    chosen = await double.click(
        question, question.button(label="Cette date seulement")["custom_id"], user=seed.moderator_fr
    )
    [result] = await chosen.followups(1, timeout=10)
    assert result.ephemeral and result.content.startswith(
        "Événement **Communications circle: special edition** modifié"
    )
    with bot_db(discord_env) as conn:
        titles = [
            row[0]
            for row in conn.execute(
                "SELECT coalesce(o.title, s.title) FROM event_occurrences o "
                "JOIN event_series s ON s.id = o.series_id "
                "WHERE o.series_id = (SELECT series_id FROM event_occurrences WHERE id = ?) "
                "ORDER BY o.starts_at",
                (occurrence_id,),
            )
        ]
    assert titles[0] == "Communications circle: special edition"
    assert len(titles) > 1 and set(titles[1:]) == {"Monthly communications circle"}
    await double.wait_until(
        lambda d: "Communications circle: special edition" in d.message(announcement.id).text,
        what="the announcement to show the edited title",
    )


async def test_reminders_due_together_in_a_channel_share_one_message(discord_env: DiscordEnv) -> None:
    double = discord_env.double
    room = double.add_text_channel("batch-room")
    first_role = double.add_role("Batch audience one (test)", mentionable=True)
    second_role = double.add_role("Batch audience two (test)", mentionable=True)
    mark = double.mark()
    # The one test on the real clock: nothing moves the bot's clock; the wake-up fires on its own.
    start_text, _, lead = soon(double, 12)
    ids = []
    for title, role in (("Batch probe one", first_role), ("Batch probe two", second_role)):
        _, _, occurrence_id = await create_event(
            discord_env,
            title=title,
            start=start_text,
            timezone="UTC",
            channel=room,
            audience=role,
            reminders=f"{lead}s",
        )
        ids.append(occurrence_id)
    await double.wait_until(
        lambda d: all(timers_of(discord_env, i)[0]["status"] == "done" for i in ids),
        timeout=REMINDER_TIMEOUT,
        what="both reminders to be handled",
    )
    reminders = [m for m in double.messages(room, after=mark) if "Batch probe" in m.content]
    assert len(reminders) == 1, [m.content for m in reminders]
    [reminder] = reminders
    assert "Batch probe one" in reminder.content and "Batch probe two" in reminder.content
    assert reminder.pinged_role_ids == frozenset({first_role.id, second_role.id})
    assert not reminder.pinged_user_ids and not reminder.pinged_everyone
    with bot_db(discord_env) as conn:
        recorded = {
            row[0]
            for row in conn.execute(
                "SELECT channel_message_id FROM event_reminder_deliveries WHERE occurrence_id IN (?, ?)", ids
            )
        }
    assert recorded == {reminder.id}


async def test_edit_channel_moves_the_announcement_and_its_buttons(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    new_home = double.add_text_channel("wg-announcements")
    _, announcement, occurrence_id = await create_event(discord_env, title="Channel move probe")
    first = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=seed.member_en)
    await first.message()
    events_before = {e.id: e for e in double.scheduled_events() if e.name == "Channel move probe"}
    mark = double.mark()

    handle = await double.invoke(
        "event edit", user=seed.moderator, options={"event": str(occurrence_id), "channel": new_home}
    )
    done = await handle.message(timeout=10)
    assert done.ephemeral and done.content.startswith("Event **Channel move probe** updated"), done.content

    moved = await double.wait_for_message(
        new_home, lambda m: bool(m.embeds) and bool(m.custom_ids()), after=mark, timeout=10
    )
    assert occurrence_id_of(moved) == occurrence_id
    assert "Channel move probe" in moved.text and "1 going" in moved.text
    old = double.message(announcement.id)
    assert old.content == f"📢 **Channel move probe** has moved to {new_home.mention}: RSVP there."
    assert old.embeds == [] and old.buttons() == []
    with bot_db(discord_env) as conn:
        row = conn.execute(
            "SELECT o.announcement_channel_id, o.announcement_message_id, s.channel_id "
            "FROM event_occurrences o JOIN event_series s ON s.id = o.series_id WHERE o.id = ?",
            (occurrence_id,),
        ).fetchone()
    assert tuple(row) == (new_home.id, moved.id, new_home.id)
    # Mirrored to the Events tab at creation: its location follows the channel.
    [mirrored] = [e for e in double.scheduled_events() if e.id in events_before]
    assert mirrored.location == f"#{new_home.name}"

    click = await double.click(moved, f"event:rsvp:{occurrence_id}:going", user=seed.member_es)
    assert (await click.message()).ephemeral
    await double.wait_until(
        lambda d: "2 going" in d.message(moved.id).text, what="the moved announcement to count 2 going"
    )
    assert_no_pings(discord_env, after=mark)


async def test_edit_to_a_channel_the_bot_cannot_post_in_is_refused_and_nothing_written(
    discord_env: DiscordEnv,
) -> None:
    double, seed = discord_env.double, discord_env.seed
    _, announcement, occurrence_id = await create_event(discord_env, title="Stay put probe")
    closed = double.add_text_channel("bot-cannot-embed", overwrites=[(seed.bot_role, 0, Perm.EMBED_LINKS)])
    before = stored_counts(discord_env)
    with bot_db(discord_env) as conn:
        stored_before = tuple(
            conn.execute("SELECT * FROM event_occurrences WHERE id = ?", (occurrence_id,)).fetchone()
        )
    mark = double.mark()
    answer = await answer_of(
        double, "event edit", user=seed.moderator, event=str(occurrence_id), channel=closed
    )
    assert answer.ephemeral and "I cannot post in" in answer.content and "Embed Links" in answer.content
    assert stored_counts(discord_env) == before
    with bot_db(discord_env) as conn:
        stored_after = tuple(
            conn.execute("SELECT * FROM event_occurrences WHERE id = ?", (occurrence_id,)).fetchone()
        )
    assert stored_after == stored_before
    assert double.messages(closed, after=mark) == []
    assert double.message(announcement.id).buttons()


async def test_reminder_dms_speak_the_language_each_member_rsvped_in(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    assert discord_env.config.get("language", "en") == "en"  # so a French DM cannot be the guild default
    for member in (seed.member_fr, seed.member_es):
        await answer_of(double, "event dm", user=member, setting="on")
    mark = double.mark()
    start_text, start, lead = soon(double)
    _, announcement, occurrence_id = await create_event(
        discord_env, title="Language probe", start=start_text, timezone="UTC", reminders=f"{lead}s"
    )
    for member in (seed.member_fr, seed.member_es, seed.member_en):
        handle = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=member)
        assert (await handle.message()).ephemeral
    expected = {seed.member_fr.id: "fr", seed.member_es.id: "es", seed.member_en.id: "en"}

    def remembered(_: FakeDiscord) -> bool:
        with bot_db(discord_env) as conn:
            rows = conn.execute(
                "SELECT user_id, language FROM member_settings WHERE user_id IN (?, ?, ?)", tuple(expected)
            )
            return dict(rows.fetchall()) == expected

    # Remembered just after the confirmation is sent: wait for the record rather than race it.
    await double.wait_until(remembered, what="each member's language to be remembered")
    await double.advance_to(start - timedelta(seconds=lead))

    for member, lang in ((seed.member_fr, "fr"), (seed.member_es, "es"), (seed.member_en, "en")):
        dm = await double.wait_for_dm(member, after=mark, timeout=REMINDER_TIMEOUT)
        template = CATALOG.get(lang, "events_ui.reminder.dm")
        assert template is not None
        assert dm.content.startswith(template.split("{")[0]), (lang, dm.content)
        assert "Language probe" in dm.content
    french = double.dms(seed.member_fr, after=mark)[-1].content
    assert french.startswith("⏰ Rappel")
    # The channel reminder stays in the guild's language.
    reminder = await double.wait_for_message(
        seed.announcements, lambda m: "Language probe" in m.content, after=mark, timeout=REMINDER_TIMEOUT
    )
    assert "Rappel" not in reminder.content
