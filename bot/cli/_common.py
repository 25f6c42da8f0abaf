"""What every command of the command line shares: exit codes, the one-line error, the config file
and the database's first, plain-sqlite3 look."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config, ConfigError, load_config
from bot.timeutil import get_zone

EXIT_OK = 0
EXIT_FAILED = 1  # the action itself failed (or --check found a difference)
EXIT_USAGE = 2  # the operator must fix something first: token, config, database, arguments
EXIT_INTERRUPTED = 130  # Ctrl-C outside run (which stops cleanly with 0), as shells report SIGINT

DEFAULT_CONFIG = "config.yml"
DEFAULT_DOCS = Path("docs/commands.md")


class CliError(Exception):
    """A mistake the operator can fix: ``main`` prints the message (one line) and exits with ``code``."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def err(message: str) -> None:
    print(message, file=sys.stderr)


def os_reason(exc: OSError) -> str:
    """ "Permission denied" rather than "[Errno 13] Permission denied: '/x'" (the caller names the path)."""
    return exc.strerror or str(exc)


def file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` when it is not a directory (a file where a folder
    must be), else None."""
    for ancestor in path.parents:
        if ancestor.exists():
            return None if ancestor.is_dir() else ancestor
    return None


def make_directory(folder: Path, context: str) -> None:
    """Create ``folder`` with its parents, or say in one sentence why it cannot be."""
    blocking = folder if folder.exists() and not folder.is_dir() else file_in_the_way(folder)
    if blocking is not None:
        raise CliError(f"{context}: {blocking} is a file, not a directory.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"{context}: cannot create the directory {folder}: {os_reason(exc)}.") from None


def config_file(args: argparse.Namespace) -> Path:
    """--config, else $BOT_CONFIG, else config.yml in the current directory."""
    given = getattr(args, "config", None)
    if given is not None and not given.strip():
        raise CliError(
            "--config needs the path of the config file, for example --config config.yml", EXIT_USAGE
        )
    chosen = given or os.environ.get("BOT_CONFIG", "").strip() or DEFAULT_CONFIG
    return Path(chosen)


def load_or_report(args: argparse.Namespace) -> Config | None:
    path = config_file(args)
    try:
        return load_config(path)
    except ConfigError as exc:
        err(f"{path}: {exc}")
        return None


def format_local(when: datetime, zone_name: str) -> str:
    """ "2026-11-30 08:00 UTC (Mon 2026-11-30 09:00 Europe/Paris)": both, since operators think locally."""
    local = when.astimezone(get_zone(zone_name))
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({local:%a %Y-%m-%d %H:%M} {zone_name})"


def database_problem(config: Config, config_path: Path, exc: BaseException) -> CliError:
    """What went wrong opening ``config.database``, in one line: a file in the way, a directory, a
    file that is not a database, a schema newer than this bot."""
    database = config.database
    if database.is_dir():
        reason = "it is a directory; database must name a file"
    elif (blocking := file_in_the_way(database)) is not None:
        reason = f"{blocking} is a file, not a directory"
    elif isinstance(exc, OSError):
        reason = os_reason(exc)
    else:
        reason = str(exc)
    return CliError(f"Database {database} (database in {config_path}): {reason}.", EXIT_USAGE)


def precheck_database(config: Config, config_path: Path) -> int:
    """Open the database file with plain sqlite3 first, on this thread: a file that is not a database,
    a directory or a file in the way is told in one line before the bot starts its database threads.
    Returns the database's schema version (0 for a new file)."""
    try:
        config.database.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(config.database)
        try:
            # "file is not a database" shows here
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        raise database_problem(config, config_path, exc) from None


def open_read_only(database: Path) -> sqlite3.Connection:
    """A connection that cannot write to ``database``, not even its -wal and -shm companions.

    With no -wal file beside it no bot has the database open, so it is read as an immutable file:
    a plain read-only connection would create the -wal and -shm files and leave them behind.
    """
    immutable = "" if database.with_name(database.name + "-wal").exists() else "&immutable=1"
    conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro{immutable}", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def read_schema_version(config: Config, config_path: Path) -> int | None:
    """The database's schema version (``PRAGMA user_version``), read without writing anything, or
    None when there is no database file yet; one-line ``CliError`` for one that cannot be read."""
    database = config.database
    try:
        if not database.exists() and not database.is_symlink():
            if file_in_the_way(database) is not None:
                raise NotADirectoryError(20, "Not a directory")
            return None
        if database.is_dir():
            raise IsADirectoryError(21, "Is a directory")
        conn = open_read_only(database)
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        raise database_problem(config, config_path, exc) from None


def newer_than_the_bot(config: Config, config_path: Path, version: int, shipped: int) -> CliError:
    return CliError(
        f"Database {config.database} (database in {config_path}): it is at schema version {version}, "
        f"newer than this bot ({shipped}); upgrade the bot or restore a matching backup.",
        EXIT_USAGE,
    )
