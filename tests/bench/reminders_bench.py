"""500 reminders due in the same minute, sent by the real bot through the local Discord double.

Target (issue "Events"): all go out with p99 lag under 2 s while respecting Discord's rate limits.
The double enforces Discord's model (5 messages per 5 s per channel, 50 requests per second
globally) and answers 429 to a bot that ignores it; the figures include how many 429s the bot got.

Set-up: the events are created through ``EventService`` in the bot's database before it starts (as
``/event create`` would have left them: announced, reminders pending), spread over 25 channels, all
with a reminder due at the same instant. Lag is the time from that due instant to the moment the
double stored the message that carries each event's reminder.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot.app import build_services
from bot.clock import SystemClock
from bot.config import load_config
from bot.db import Database
from bot.services.events import EventDraft
from tests.bench._report import distribution, figure
from tests.double import Channel, FakeDiscord
from tests.e2e.conftest import BotProcess, bot_config, seed_guild

CHANNELS = 25
# Time to create the events and start the bot before the reminders fall due.
SETUP_MARGIN = timedelta(seconds=40)
DELIVERY_TIMEOUT = 90.0


def _title(n: int) -> str:
    return f"Burst roundtable {n:04d}"


async def _create_events(
    config_path: Path, double: FakeDiscord, channels: list[Channel], count: int
) -> datetime:
    """Create ``count`` events whose reminders are all due at one instant; return that instant."""
    config = load_config(config_path)
    now = datetime.now(UTC)
    start = (now + SETUP_MARGIN + timedelta(minutes=2)).replace(second=0, microsecond=0)
    due = now + SETUP_MARGIN
    lead_seconds = int((start - due).total_seconds())
    due = start - timedelta(seconds=lead_seconds)
    db = await Database.open(config.database)
    services = build_services(config, db, SystemClock())
    started = time.perf_counter()
    for n in range(count):
        channel = channels[n % len(channels)]
        occurrence = await services.events.create_event(
            EventDraft(
                guild_id=double.guild_id,
                organiser_id=double.bot_user_id,
                title=_title(n),
                start=start.strftime("%Y-%m-%d %H:%M"),
                timezone="UTC",
                channel_id=channel.id,
                lead_times=f"{lead_seconds}s",
            )
        )
        # As if /event create had posted it: reminders then reference the announcement.
        announcement = double.post_bot_message(channel, f"announcement of {_title(n)}")
        await services.events.set_announcement(occurrence.id, channel.id, announcement.id)
    figure(f"set-up: {count} events created", time.perf_counter() - started, "s")
    await db.close()
    return due


def _delivery_times(
    double: FakeDiscord, channel_ids: list[int], count: int, after: int
) -> dict[int, datetime]:
    """When each event's reminder arrived (the first message naming it)."""
    arrived: dict[int, datetime] = {}
    for channel_id in channel_ids:
        for message in double.messages(channel_id, after=after):
            for n in range(count):
                if n not in arrived and _title(n) in message.text:
                    arrived[n] = message.created_at
    return arrived


async def run(args: argparse.Namespace) -> bool:
    count = args.burst
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        double = FakeDiscord().start()
        bot: BotProcess | None = None
        try:
            config = bot_config(directory, double)
            config_path = directory / "config.yml"
            config_path.write_text(
                yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
            seed_guild(double, config)
            channels = [double.add_text_channel(f"roundtable-{n:02d}") for n in range(CHANNELS)]
            channel_ids = [channel.id for channel in channels]
            due = await _create_events(config_path, double, channels, count)
            mark = double.mark()
            double.enable_discord_rate_limits()
            requests_before = len(double.requests)
            bot = BotProcess(double, config_path, directory / "bot.log")
            bot.start_blocking()
            seconds_to_due = (due - datetime.now(UTC)).total_seconds()
            figure("bot started; seconds left before the reminders fall due", seconds_to_due, "s")
            if seconds_to_due < 0:
                print("  the set-up took too long: the reminders fell due before the bot started")
                return False
            deadline = time.monotonic() + seconds_to_due + DELIVERY_TIMEOUT
            arrived: dict[int, datetime] = {}
            while time.monotonic() < deadline and len(arrived) < count:
                await asyncio.sleep(0.5)
                arrived = _delivery_times(double, channel_ids, count, mark)
            figure("reminders delivered", float(len(arrived)), f"of {count}")
            if len(arrived) < count:
                print(bot.tail(40))
                return False
            lags_ms = [max(0.0, (when - due).total_seconds() * 1000) for when in arrived.values()]
            posts = [
                r
                for r in double.requests[requests_before:]
                if r.method == "POST" and r.route == "/channels/{channel_id}/messages"
            ]
            figure("channel messages posted for them", float(len(posts)), "requests")
            figure("429 responses (rate limits hit)", float(len(double.rate_limited)), "")
            return distribution(f"reminder lag after the due time ({count} reminders)", lags_ms, 2000.0)
        finally:
            if bot is not None:
                bot.stop_blocking()
            double.stop()
