"""``backup``: a consistent copy of the database, even while the bot runs (SQLite's online backup)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    config_file,
    err,
    load_or_report,
    make_directory,
    os_reason,
    precheck_database,
)

BACKUP_NAME = "wim-bot-{now:%Y%m%d-%H%M%S}{suffix}.sqlite3"


def _backup_target(raw: str, now: datetime) -> Path:
    """Where ``backup DEST`` writes.

    A trailing slash or an existing directory means a directory: it is created (with its parents)
    and gets a timestamped file, never one that exists already, so the README's cron line works
    night after night. Anything else is the file to write; its missing parent directories are
    created. A file where a directory must be is a one-line error.
    """
    dest = Path(raw)
    if raw.endswith(("/", os.sep)) or dest.is_dir():
        make_directory(dest, f"Backup destination {raw}")
        for attempt in range(1, 1000):
            suffix = "" if attempt == 1 else f"-{attempt}"
            target = dest / BACKUP_NAME.format(now=now, suffix=suffix)
            if not target.exists():
                return target
        raise CliError(f"Backup directory {dest}: too many backups named for {now:%Y-%m-%d %H:%M:%S}.")
    make_directory(dest.parent, f"Backup destination {raw}")
    return dest


def _finish_copy(path: Path) -> int:
    """Make the copy one self-contained file and let SQLite check it; returns its schema version.

    The copy inherits WAL mode from the live database; switching it to a rollback journal means a
    backup is a single file with no -wal/-shm companions (the bot turns WAL back on when it opens it).
    """
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"the copy failed SQLite's check: {result}")
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def copy_database(source: Path, dest: Path) -> int:
    """Copy ``source`` to ``dest`` with SQLite's online backup API (safe while the bot runs) and
    check the copy; returns its schema version. The copy is written beside ``dest`` and renamed: an
    interrupted backup never leaves a half file under the real name, and an existing ``dest`` is
    replaced only by a good copy. Raises ``OSError`` or ``sqlite3.Error``, leaving nothing behind.

    SQLite's backup reads a snapshot and retries the pages written meanwhile: a copy holds whole
    actions only."""
    if not source.exists():
        raise FileNotFoundError(f"no database at {source}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        live = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=5)  # the bot's busy timeout
        with contextlib.closing(live), contextlib.closing(sqlite3.connect(partial)) as copy:
            live.backup(copy)
        version = _finish_copy(partial)
        os.replace(partial, dest)
    except BaseException:
        for leftover in ("", "-wal", "-shm", "-journal"):
            partial.with_name(partial.name + leftover).unlink(missing_ok=True)
        raise
    return version


def pre_migration_backup_path(database: Path, version: int) -> Path:
    """Where the copy taken before migrating a database at schema ``version`` goes: beside it,
    named with that version (``wim-bot.sqlite3.schema-9.bak``), never over an earlier one."""
    for attempt in range(1, 1000):
        suffix = "" if attempt == 1 else f"-{attempt}"
        target = database.with_name(f"{database.name}.schema-{version}{suffix}.bak")
        if not target.exists():
            return target
    raise CliError(f"Too many backups of {database} at schema version {version} beside it.")


def cmd_backup(args: argparse.Namespace) -> int:
    config = load_or_report(args)
    if config is None:
        return EXIT_USAGE
    source = config.database
    if not source.exists():
        err(f"No database at {source} (database in {config_file(args)}): nothing to back up.")
        return EXIT_FAILED
    precheck_database(config, config_file(args))  # a directory or a file that is not SQLite
    dest = _backup_target(args.dest, datetime.now(UTC))
    if dest.resolve() == source.resolve():
        err(f"{dest} is the live database itself; choose another destination.")
        return EXIT_USAGE
    if dest.exists() and not args.force:
        err(f"{dest} already exists; refusing to overwrite it. Choose another name or add --force.")
        return EXIT_FAILED
    try:
        version = copy_database(source, dest)
    except (OSError, sqlite3.Error) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        err(f"Backup of {source} to {dest} failed: {reason}")
        return EXIT_FAILED
    print(f"Backed up {source} to {dest} ({dest.stat().st_size:,} bytes, schema version {version})")
    return EXIT_OK
