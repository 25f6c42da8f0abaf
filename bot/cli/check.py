"""``check``: validate the config and show the database, the timers and the next digest, offline."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
from pathlib import Path

from bot.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    config_file,
    database_problem,
    format_local,
    load_or_report,
    precheck_database,
)
from bot.config import Config
from bot.timeutil import get_zone

UPCOMING_TIMERS_SHOWN = 10
PLACEHOLDER_GUILD_ID = 100000000000000000  # the id shipped in config.yml, to be replaced


async def _check_report(config: Config, config_path: Path) -> list[str]:
    from bot.clock import SystemClock
    from bot.db import Database
    from bot.services.timers import TimerService

    clock = SystemClock()
    lines = [
        f"Config: {config_path} is valid ({len(config.guild_ids)} guild(s), "
        f"{len(config.working_groups)} working group(s), {len(config.calendar)} calendar entr"
        f"{'y' if len(config.calendar) == 1 else 'ies'}, language {config.language}, "
        f"time zone {config.timezone})",
    ]
    db = await Database.open(config.database)
    try:
        # Read only: the service is built to query, never started, so nothing fires from here.
        timers = TimerService(db, clock)
        lines.append(f"Database: {config.database} (schema version {await db.schema_version()})")
        lines.append(f"Pending timers: {await timers.pending_count()}")
        upcoming = await timers.upcoming(UPCOMING_TIMERS_SHOWN)
        if upcoming:
            lines.append(f"Next {len(upcoming)} timer(s):")
            lines.extend(
                f"  #{timer.id} {timer.kind}: {format_local(timer.due_at, config.timezone)}"
                for timer in upcoming
            )
        else:
            lines.append("Next timers: none")
    finally:
        await db.close()
    digest = config.digest
    next_digest = digest.next_run(clock.now())
    lines.append(
        f"Next digest: {format_local(next_digest, digest.timezone)}, "
        f"every {next_digest.astimezone(get_zone(digest.timezone)):%A at %H:%M} {digest.timezone}"
    )
    if PLACEHOLDER_GUILD_ID in config.guild_ids:
        lines.append(
            f"Warning: guild_ids still holds the placeholder {PLACEHOLDER_GUILD_ID}; put your server id there"
        )
    has_token = bool(os.environ.get("DISCORD_TOKEN", "").strip())
    lines.append(f"DISCORD_TOKEN: {'set' if has_token else 'not set (run and sync need it)'}")
    return lines


def cmd_check(args: argparse.Namespace) -> int:
    config = load_or_report(args)
    if config is None:
        return EXIT_USAGE
    precheck_database(config, config_file(args))
    try:
        lines = asyncio.run(_check_report(config, config_file(args)))
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        raise database_problem(config, config_file(args), exc) from None
    print("\n".join(lines))
    return EXIT_OK
