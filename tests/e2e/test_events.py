"""Events end to end: the real bot process, driven through the local Discord double.

Time is real here (the bot runs with the system clock), so reminder tests put the start on the next
usable minute and choose a lead time in seconds that makes the reminder due a few seconds from now.
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

from bot.i18n import Catalog
from tests.double import FakeDiscord, Member, Message, Perm
from tests.e2e.conftest import DiscordEnv

pytestmark = pytest.mark.e2e

CATALOG = Catalog.load()
RSVP_ID = re.compile(r"^event:rsvp:(\d+):going$")
# How long to wait for something the bot does on its own (a reminder): generous, never asserted on.
REMINDER_TIMEOUT = 60.0


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
            "SELECT * FROM timers WHERE kind = ? AND json_extract(payload, '$.occurrence_id') = ? ORDER BY id",
            (kind, occurrence_id),
        ).fetchall()


def far_start(days: int = 40, zone: str = "UTC") -> str:
    """A local start comfortably in the future, at 13:00."""
    day = datetime.now(ZoneInfo(zone)).date() + timedelta(days=days)
    return f"{day.isoformat()} 13:00"


def soon(reminder_in: float = 15.0) -> tuple[str, datetime, str]:
    """(local UTC start "YYYY-MM-DD HH:MM", start, lead) for an event whose reminder is due in
    about ``reminder_in`` seconds: the start is the first whole minute at least 60 s after that."""
    now = datetime.now(UTC)
    start = (now + timedelta(seconds=reminder_in + 60)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    lead = int((start - now).total_seconds() - reminder_in)
    return start.strftime("%Y-%m-%d %H:%M"), start, f"{lead}s"


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
    message = await handle.message(timeout=10)
    return message


def assert_no_pings(double: FakeDiscord, *, after: int, allowed_role_ids: frozenset[int] = frozenset()) -> None:
    """Nobody was notified since ``after``, except the given roles by reminder posts."""
    channels = [channel for channel in double.guild.channels.values()]
    for channel in channels:
        for message in double.messages(channel, after=after, include_ephemeral=True):
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
    assert "Created **Global WIM Call: critical minerals**" in answer.content
    assert f"/{seed.announcements.id}/{announcement.id}" in answer.content
    start_utc = datetime(2027, 5, 12, 14, 30, tzinfo=UTC)  # Lima is UTC-5 all year
    embed = announcement.embed
    assert embed is not None and embed["title"] == "Global WIM Call: critical minerals"
    assert embed["description"] == "Updates from the four working groups."
    assert f"<t:{int(start_utc.timestamp())}:F>" in field(announcement, "When")
    assert f"<t:{int(start_utc.timestamp())}:R>" in field(announcement, "When")
    assert field(announcement, "Duration") == "1 h 30 min"
    assert "America/Lima" in field(announcement, "Organiser's time zone")
    assert field(announcement, "Link") == "https://meet.example.org/wim-call"
    assert field(announcement, "For") == "Everyone"
    assert field(announcement, "Repeats") == "Does not repeat"
    assert "0 going" in field(announcement, "Replies")
    assert set(announcement.custom_ids()) == {
        f"event:rsvp:{occurrence_id}:going",
        f"event:rsvp:{occurrence_id}:maybe",
        f"event:rsvp:{occurrence_id}:declined",
    }
    mirrored = await double.wait_for_scheduled_event(lambda e: e.name == "Global WIM Call: critical minerals")
    assert mirrored.start == start_utc and mirrored.end == start_utc + timedelta(minutes=90)
    assert mirrored.location == "https://meet.example.org/wim-call"
    with bot_db(discord_env) as conn:
        row = conn.execute("SELECT * FROM event_occurrences WHERE id = ?", (occurrence_id,)).fetchone()
    assert row["announcement_message_id"] == announcement.id
    assert row["discord_event_id"] == mirrored.id
    assert_no_pings(double, after=mark)


async def test_french_moderator_gets_french_answer_and_announcement_stays_in_guild_language(
    discord_env: DiscordEnv,
) -> None:
    seed = discord_env.seed
    answer, announcement, _ = await create_event(
        discord_env, moderator=seed.moderator_fr, title="Table ronde des dirigeantes", start=far_start(45)
    )
    assert answer.content.startswith("**Table ronde des dirigeantes** créé")
    assert field(announcement, "Duration") == "1 h"  # config default 60 minutes, shown in English (guild)
    assert "Replies" in [f["name"] for f in announcement.embed["fields"]]  # type: ignore[index]
