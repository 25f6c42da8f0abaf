"""500 reminders and 100 "starting now" posts due in the same minute, sent by the real bot through the
local Discord double.

Targets (issues "Events" and 15): all go out with p99 lag under 2 s, with no 429 from Discord's rate
limits.
The double enforces Discord's model (5 messages per 5 s per channel, 50 requests per second
globally) and answers 429 to a bot that ignores it; the figures include how many 429s the bot got.

Set-up: the events are created through ``EventService`` in the bot's database before it starts (as
``/event create`` would have left them: announced, reminders pending), spread over 25 channels, all
with a reminder due at the same instant, and ``--starts`` more events (100) starting at that very
instant in the same channels. Lag is the time from that instant to the moment the double stored the
message that carries each event's reminder or "starting now" line.
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
# Seconds of real waiting left once the test clock has skipped ahead.
DUE_AFTER_SKIP_S = 3.0


def _title(n: int) -> str:
    return f"Burst roundtable {n:04d}"


def _start_title(n: int) -> str:
    return f"Burst kickoff {n:04d}"


async def _create_events(
    config_path: Path, double: FakeDiscord, channels: list[Channel], count: int, starts: int
) -> datetime:
    """Create ``count`` events whose reminders are all due at one instant, and ``starts`` events that
    start at that instant; return it."""
    config = load_config(config_path)
    now = datetime.now(UTC)
    # Events start on whole minutes: the instant is the first whole minute after the set-up margin.
    due = (now + SETUP_MARGIN + timedelta(minutes=1)).replace(second=0, microsecond=0)
    reminded_start = due + timedelta(minutes=2)
    lead_seconds = int((reminded_start - due).total_seconds())
    db = await Database.open(config.database)
    services = build_services(config, db, SystemClock())
    started = time.perf_counter()
    drafts = [
        (channels[n % len(channels)], _title(n), reminded_start, f"{lead_seconds}s") for n in range(count)
    ] + [(channels[n % len(channels)], _start_title(n), due, "") for n in range(starts)]
    for channel, title, start, lead_times in drafts:
        occurrence = await services.events.create_event(
            EventDraft(
                guild_id=double.guild_id,
                organiser_id=double.bot_user_id,
                title=title,
                start=start.strftime("%Y-%m-%d %H:%M"),
                timezone="UTC",
                channel_id=channel.id,
                lead_times=lead_times,
            )
        )
        # As if /event create had posted it: reminders then reference the announcement.
        announcement = double.post_bot_message(channel, f"announcement of {title}")
        await services.events.set_announcement(occurrence.id, channel.id, announcement.id)
    figure(f"set-up: {count + starts} events created", time.perf_counter() - started, "s")
    await db.close()
    return due


def _delivery_times(
    double: FakeDiscord, channel_ids: list[int], titles: list[str], after: int
) -> dict[str, datetime]:
    """When each title's reminder or start post arrived (the first message naming it)."""
    arrived: dict[str, datetime] = {}
    for channel_id in channel_ids:
        for message in double.messages(channel_id, after=after):
            for title in titles:
                if title not in arrived and title in message.text:
                    arrived[title] = message.created_at
    return arrived


async def run(args: argparse.Namespace) -> bool:
    count = args.burst
    starts = getattr(args, "starts", 100)
    reminder_titles = [_title(n) for n in range(count)]
    start_titles = [_start_title(n) for n in range(starts)]
    titles = reminder_titles + start_titles
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
            due = await _create_events(config_path, double, channels, count, starts)
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
            # The double's test clock skips the wait (the bot's clock is the wall clock plus its
            # offset), up to a few seconds before the due instant, so the bot is idle and settled
            # when the burst falls due. Messages are stamped with the wall clock: lags are measured
            # from the wall-clock instant the burst fell due.
            skipped = timedelta(seconds=max(0.0, seconds_to_due - DUE_AFTER_SKIP_S))
            await double.advance(skipped)
            due -= skipped
            seconds_to_due -= skipped.total_seconds()
            deadline = time.monotonic() + seconds_to_due + DELIVERY_TIMEOUT
            arrived: dict[str, datetime] = {}
            while time.monotonic() < deadline and len(arrived) < len(titles):
                await asyncio.sleep(0.5)
                arrived = _delivery_times(double, channel_ids, titles, mark)
            figure("reminders delivered", float(sum(t in arrived for t in reminder_titles)), f"of {count}")
            figure(
                '"starting now" posts delivered',
                float(sum(t in arrived for t in start_titles)),
                f"of {starts}",
            )
            if len(arrived) < len(titles):
                print(bot.tail(40))
                return False

            def lags(group: list[str]) -> list[float]:
                return [max(0.0, (arrived[t] - due).total_seconds() * 1000) for t in group]

            posts = [
                r
                for r in double.requests[requests_before:]
                if r.method == "POST" and r.route == "/channels/{channel_id}/messages"
            ]
            figure("channel messages posted for them", float(len(posts)), "requests")
            carried = [m.text for c in channel_ids for m in double.messages(c, after=mark)]
            figure("  of which reminders", float(sum(_title(0)[:-4] in t for t in carried)), "messages")
            figure(
                '  of which "starting now"',
                float(sum(_start_title(0)[:-4] in t for t in carried)),
                "messages",
            )
            refused = double.rate_limited
            figure("429 responses (rate limits hit)", float(len(refused)), "(target: 0)")
            for refusal in refused[:5]:
                print(f"  429 on {refusal.route} ({'global' if refusal.is_global else refusal.bucket_key})")
            distribution("reminder lag after the due time", lags(reminder_titles), 2000.0)
            if start_titles:
                distribution('"starting now" lag after the start', lags(start_titles), 2000.0)
            met = distribution(
                f"lag of all {len(titles)} ({count} reminders, {starts} start posts)", lags(titles), 2000.0
            )
            return met and not refused
        finally:
            if bot is not None:
                bot.stop_blocking()
            double.stop()
