"""``run`` and ``sync``: the commands that connect to Discord."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
from pathlib import Path

from bot.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    config_file,
    database_problem,
    err,
    load_or_report,
    newer_than_the_bot,
    os_reason,
    precheck_database,
)
from bot.cli.backup import copy_database, pre_migration_backup_path
from bot.cli.invite import token_help
from bot.config import Config


def _token() -> str | None:
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        err(token_help())
        return None
    return token


def _run_discord(args: argparse.Namespace, *, sync_only: bool) -> int:
    token = _token()
    if token is None:
        return EXIT_USAGE
    config = load_or_report(args)
    if config is None:
        return EXIT_USAGE
    from bot import runtime

    runtime.pause_gc()  # until ready: see runtime.pause_gc
    from bot.app import StartupError, run_bot

    _probe_database(config, config_file(args))
    try:
        runtime.run(run_bot(config, token, sync_only=sync_only, clock=getattr(args, "clock", None)))
    except StartupError as exc:
        err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        # run_bot stops cleanly on SIGINT itself; this covers a Ctrl-C during start-up.
        return EXIT_OK
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    return _run_discord(args, sync_only=False)


def cmd_sync(args: argparse.Namespace) -> int:
    return _run_discord(args, sync_only=True)


def _backup_before_migrating(config: Config, config_path: Path, version: int, shipped: int) -> None:
    """Copy the database beside itself before this version's migrations change it, so an upgrade
    can be undone by stopping the bot, restoring the copy and going back to the old version."""
    dest = pre_migration_backup_path(config.database, version)
    try:
        copy_database(config.database, dest)
    except (OSError, sqlite3.Error) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise CliError(
            f"Database {config.database} (database in {config_path}): the copy before migrating it "
            f"from schema version {version} to {shipped} failed, so it was left as it is: {reason}.",
            EXIT_FAILED,
        ) from None
    print(
        f"Database {config.database}: copied to {dest} before migrating it "
        f"from schema version {version} to {shipped}"
    )


def _probe_database(config: Config, config_path: Path) -> None:
    """Open the database (applying migrations) and close it, so run and sync report a database they
    cannot use before connecting to Discord, in one line. A database already at this bot's schema
    version has nothing to apply: the plain sqlite3 check is all it needs. One with migrations to
    apply is copied beside itself first (``check`` only reports them: it never writes)."""
    from bot.db import Database
    from bot.migrations import load_migrations

    async def probe() -> None:
        await (await Database.open(config.database)).close()

    version = precheck_database(config, config_path)
    try:
        shipped = len(load_migrations())
        if version == shipped:
            return  # nothing to migrate: the bot opens it once, not here as well (threads, a loop)
        if version > shipped:
            raise newer_than_the_bot(config, config_path, version, shipped)
        if version > 0:
            _backup_before_migrating(config, config_path, version, shipped)
        asyncio.run(probe())
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        raise database_problem(config, config_path, exc) from None
