"""``check``: validate the config, show the database and its timers, and list what the server needs.

It never writes: the database is opened read-only (the README's upgrade runs ``check`` while the old
bot still serves), and migrations a new version brings are only reported; they run when the bot
starts, after a copy of the file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    config_file,
    database_problem,
    format_local,
    load_or_report,
    newer_than_the_bot,
    open_read_only,
    read_schema_version,
)
from bot.cli.backup import pre_migration_backup_path
from bot.config import Config
from bot.core.guild_needs import PERMISSION_LABELS, REQUIRED_PERMISSIONS, channel_needs, role_needs
from bot.timeutil import get_zone

UPCOMING_TIMERS_SHOWN = 10
PLACEHOLDER_GUILD_ID = 100000000000000000  # the id shipped in config.yml, to be replaced


class _ReadOnlyQueries:
    """The repositories' ``Queryable`` over a plain read-only sqlite3 connection, so check reads
    through the same queries as the bot without opening ``Database`` (which migrates)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return list(self._conn.execute(sql, params).fetchall())

    async def fetchval(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]


def _database_lines(config: Config, config_path: Path) -> list[str]:
    from bot.migrations import load_migrations
    from bot.repositories import timers

    shipped = len(load_migrations())
    version = read_schema_version(config, config_path)
    database = config.database
    if version is None:
        return [
            f"Database: {database} does not exist yet; the bot creates it when it starts "
            f"(schema version {shipped})",
            "Pending timers: 0",
            "Next timers: none",
        ]
    if version > shipped:
        raise newer_than_the_bot(config, config_path, version, shipped)
    if version < shipped:
        copy = pre_migration_backup_path(database, version).name if version else "no copy: it is empty"
        lines = [
            f"Database: {database} is at schema version {version}, this version of the bot has {shipped}: "
            f"the migrations run when the bot starts, after a copy of the file ({copy})"
        ]
    else:
        lines = [f"Database: {database} (schema version {version})"]
    if version == 0:
        return [*lines, "Pending timers: 0", "Next timers: none"]

    async def read(conn: sqlite3.Connection) -> tuple[int, list[timers.Timer]]:
        queries = _ReadOnlyQueries(conn)
        return await timers.pending_count(queries), await timers.upcoming(queries, UPCOMING_TIMERS_SHOWN)

    try:
        conn = open_read_only(database)
        try:
            pending, upcoming = asyncio.run(read(conn))
        finally:
            conn.close()
    except sqlite3.OperationalError:
        if version == shipped:
            raise
        # An older schema may lack what the queries read (the pending-count table, a column).
        return [*lines, "Timers: shown once the bot has started and migrated the database"]
    lines.append(f"Pending timers: {pending}")
    if upcoming:
        lines.append(f"Next {len(upcoming)} timer(s):")
        lines.extend(
            f"  #{timer.id} {timer.kind}: {format_local(timer.due_at, config.timezone)}" for timer in upcoming
        )
    else:
        lines.append("Next timers: none")
    return lines


def _labels(permissions: Sequence[str]) -> str:
    return ", ".join(PERMISSION_LABELS.get(name, name) for name in permissions)


def server_lines(config: Config) -> list[str]:
    """What each server in guild_ids must have, from the tables the start-up guild check uses."""
    lines = ["Server: each server in guild_ids needs (the bot checks them at start and logs what is missing)"]
    lines.append(f"  The bot's role, from the invite link: {_labels(REQUIRED_PERMISSIONS)}")
    channels: dict[str, list[str]] = {}
    permissions: dict[str, tuple[str, ...]] = {}
    for need in channel_needs(config):
        channels.setdefault(need.name, []).append(f"{need.key}: {need.purpose}")
        permissions[need.name] = tuple(dict.fromkeys((*permissions.get(need.name, ()), *need.permissions)))
    lines.append("  Text channels, with what the bot needs in each:")
    lines.extend(
        f"    #{name}: {_labels(permissions[name])} ({'; '.join(uses)})" for name, uses in channels.items()
    )
    lines.append("  Roles:")
    roles: dict[str, list[str]] = {}
    for role in role_needs(config):
        label = f"id {role.role}" if isinstance(role.role, int) else repr(role.role)
        roles.setdefault(label, []).append(f"{role.key}: {role.purpose}")
    lines.extend(f"    {label} ({'; '.join(uses)})" for label, uses in roles.items())
    settings = config.working_group_settings
    if config.working_groups:
        lines.append(
            f"  The bot creates what is missing of: the categories {settings.category!r} and "
            f"{settings.archive_category!r}, each working group's role and channel "
            f"({', '.join(group.key for group in config.working_groups)})"
        )
    return lines


def _digest_line(config: Config) -> str:
    """When the next weekly digest goes out, in the digest's zone (the weekday and hour stay local
    across daylight-saving changes)."""
    digest = config.digest
    upcoming = digest.next_run(datetime.now(UTC))
    local = upcoming.astimezone(get_zone(digest.timezone))
    return (
        f"Next digest: {format_local(upcoming, digest.timezone)} (#{config.channels.digest}), "
        f"every {local:%A} at {local:%H:%M} {digest.timezone}"
    )


def check_report(config: Config, config_path: Path) -> list[str]:
    calendar = len(config.calendar)
    lines = [
        f"Config: {config_path} is valid ({len(config.guild_ids)} guild(s), "
        f"{len(config.working_groups)} working group(s), {calendar} calendar entr"
        f"{'y' if calendar == 1 else 'ies'}, language {config.language}, time zone {config.timezone})",
        *_database_lines(config, config_path),
        *server_lines(config),
        _digest_line(config),
    ]
    if PLACEHOLDER_GUILD_ID in config.guild_ids:
        lines.append(
            f"Warning: guild_ids still holds the placeholder {PLACEHOLDER_GUILD_ID}; put your server id there"
        )
    has_token = bool(os.environ.get("DISCORD_TOKEN", "").strip())
    lines.append(f"DISCORD_TOKEN: {'set' if has_token else 'not set (run and sync need it)'}")
    if has_token and set(config.guild_ids) - {PLACEHOLDER_GUILD_ID}:
        # Which role each configured name means, read over REST: names two roles carry are refused.
        from bot.core.guild_check import check_roles_over_rest

        token = os.environ["DISCORD_TOKEN"].strip()
        lines.extend(asyncio.run(check_roles_over_rest(config, token, skip={PLACEHOLDER_GUILD_ID})))
    return lines


def cmd_check(args: argparse.Namespace) -> int:
    config = load_or_report(args)
    if config is None:
        return EXIT_USAGE
    try:
        lines = check_report(config, config_file(args))
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        raise database_problem(config, config_file(args), exc) from None
    print("\n".join(lines))
    return EXIT_OK
