"""The schema: the numbered ``NNNN_name.sql`` files beside this module, applied in order and counted
by ``PRAGMA user_version``. ``Database.open`` calls ``apply`` on its write thread."""

from __future__ import annotations

import logging
import re
import sqlite3
from importlib import resources

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def load_migrations() -> list[tuple[int, str, str]]:
    """All shipped migrations as (version, name, sql), in order; numbered 1, 2, ... without gaps."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files(__name__).iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, ... without gaps; found {versions}")
    return found


def pending(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """The migrations newer than ``conn``'s schema; RuntimeError if the database is newer than the bot."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    shipped = load_migrations()
    if current > len(shipped):
        path = conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:"
        raise RuntimeError(
            f"database {path} is at schema version {current}, newer than this bot "
            f"({len(shipped)}); upgrade the bot or restore a matching backup"
        )
    return [migration for migration in shipped if migration[0] > current]


def apply(conn: sqlite3.Connection) -> None:
    """Apply the pending migrations in one transaction: a failure leaves the database as it was."""
    todo = pending(conn)
    if not todo:
        return
    current, target = todo[0][0] - 1, todo[-1][0]
    script = "\n".join(sql for _, _, sql in todo)
    try:
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {target};\nCOMMIT;")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    log.info("Database migrated from %d to %d (%s)", current, target, ", ".join(name for _, name, _ in todo))
