"""The SQLite store: one aiosqlite connection, WAL, numbered migrations, serialized write transactions.

Every task shares the one connection, and a connection has only one transaction: if two tasks wrote
at once, one task's COMMIT would commit the other's half-done work. So every write goes through
``Database.transaction()``, which holds a lock for the whole BEGIN..COMMIT. Reads outside a
transaction take the same lock for the one statement, so they never see another task's uncommitted
rows.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000

Params = Sequence[Any] | dict[str, Any]


class Queryable(Protocol):
    """What repositories need: the database itself or an open transaction."""

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None: ...
    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]: ...
    async def fetchval(self, sql: str, params: Params = ()) -> Any: ...


def load_migrations() -> list[tuple[int, str, str]]:
    """All migrations shipped in ``bot/migrations`` as (version, name, sql), in order."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("bot.migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, ... without gaps; found {versions}")
    return found


class Transaction:
    """An open write transaction. Only valid inside ``async with db.transaction()``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> aiosqlite.Cursor:
        return await self._conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT and return the new row id."""
        cursor = await self._conn.execute(sql, params)
        row_id = cursor.lastrowid
        await cursor.close()
        if row_id is None:
            raise RuntimeError("INSERT did not produce a row id")
        return row_id

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


_current_transaction: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "current_transaction", default=None
)


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating if needed) the database at ``path`` and apply pending migrations."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, sqlite3 adds nothing implicit.
        conn = await aiosqlite.connect(path, isolation_level=None)
        db = cls(conn, path)
        # Close on any failure (a file that is not a database fails at the first PRAGMA): an
        # unclosed aiosqlite connection keeps its thread alive, and the process would never exit.
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await db._migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    async def schema_version(self) -> int:
        return int(await self.fetchval("PRAGMA user_version"))

    async def _migrate(self) -> None:
        current = await self.schema_version()
        migrations = load_migrations()
        pending = [(v, name, sql) for v, name, sql in migrations if v > current]
        if current > len(migrations):
            raise RuntimeError(
                f"database {self.path} is at schema version {current}, newer than this bot "
                f"({len(migrations)}); upgrade the bot or restore a matching backup"
            )
        if not pending:
            return
        target = pending[-1][0]
        script = "\n".join(sql for _, _, sql in pending)
        # One transaction for all pending migrations: a failure leaves the database as it was.
        async with self._lock:
            try:
                await self._conn.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {target};\nCOMMIT;"
                )
            except BaseException:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise
        log.info(
            "Database migrated from version %d to %d (%s)",
            current,
            target,
            ", ".join(n for _, n, _ in pending),
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A serialized write transaction: committed on success, rolled back on any exception.

        Nested use inside the same task joins the outer transaction.
        """
        outer = _current_transaction.get()
        if outer is not None:
            yield outer
            return
        async with self._lock:
            tx = Transaction(self._conn)
            token = _current_transaction.set(tx)
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield tx
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                await self._conn.execute("COMMIT")
            finally:
                _current_transaction.reset(token)

    def in_transaction(self) -> bool:
        """True inside ``async with db.transaction()`` in the current task."""
        return _current_transaction.get() is not None

    async def _read(self, method: str, sql: str, params: Params) -> Any:
        tx = _current_transaction.get()
        if tx is not None:
            return await getattr(tx, method)(sql, params)
        async with self._lock:
            return await getattr(Transaction(self._conn), method)(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        return await self._read("fetchone", sql, params)  # type: ignore[no-any-return]

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return await self._read("fetchall", sql, params)  # type: ignore[no-any-return]

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        return await self._read("fetchval", sql, params)

    async def size_bytes(self) -> int:
        """Database size including the WAL file, for /about."""
        pages = await self.fetchval("PRAGMA page_count")
        page_size = await self.fetchval("PRAGMA page_size")
        wal = self.path.with_name(self.path.name + "-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
        return int(pages) * int(page_size) + wal_size


def backup_database(source: str | Path, dest: str | Path) -> None:
    """Consistent copy of a live database with SQLite's online backup API.

    Safe while the bot is running: the backup reads a consistent snapshot and retries pages
    written meanwhile.
    """
    source, dest = Path(source), Path(dest)
    if not source.exists():
        raise FileNotFoundError(f"no database at {source}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
