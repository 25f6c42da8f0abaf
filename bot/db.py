"""The SQLite store: one write connection, one read connection, WAL, numbered migrations, grouped commits.

Each connection lives on its own thread (``_Worker``); a call from the event loop to the database is a
*hand-off* to that thread and back, which costs more than most statements. So:

* **One hand-off per statement**, never more: a read runs, fetches and closes its cursor in one call,
  and the ``BEGIN`` / ``SAVEPOINT`` that open an action travel with its first statement.
* **Writes are serialized and committed in groups.** Every task shares the one write connection, and a
  connection has only one transaction, so a write *action* holds ``Database``'s lock from its first
  statement to its end. When other actions are already waiting for the lock, the finished action does
  not commit: the next one continues the same SQLite transaction, and the last of the group commits
  for all (at most ``GROUP_MAX`` actions). Each action runs inside its own ``SAVEPOINT``, so a failing
  action rolls back only its own writes. An action is *acknowledged* (its ``async with`` block exits,
  its ``Database.write`` call returns) only after the COMMIT that holds it: a crash loses only
  unacknowledged actions, exactly as before grouping.
* **Reads outside a transaction use the read connection** on its own thread: in WAL mode it sees the
  last committed state, never a group's uncommitted rows, and it never waits for writers.
* ``Database.write(fn, ...)`` and ``Database.read(fn, ...)`` run a whole synchronous function on the
  database thread in one hand-off: the fast path for a hot action with several statements.
  ``write`` calls do not even take the lock one by one: calls made while a batch is on the thread
  queue up and the next batch takes them all (one hand-off, a savepoint each, one COMMIT). Under a
  burst the cost is one trip per batch, not one per action: a lock handed from task to task waits a
  turn of the event loop each time, and under load a turn is long.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import itertools
import logging
import queue
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.batching import DelayedRun

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000
# At most this many write actions share one COMMIT; a group this large commits even if more wait.
GROUP_MAX = 256
# A quick_write runs on the loop's thread only this long after the last one that did: beyond about
# 200 a second, writes are a burst, better committed in groups on the database thread.
QUICK_WRITE_SPACING = 0.005
# Seconds after a COMMIT before the WAL is checkpointed (PASSIVE, on its own connection and thread).
CHECKPOINT_DELAY = 0.5

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


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


# --- the database threads -------------------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, sqlite3 adds nothing implicit.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _resolve_all(finished: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in finished:
        _resolve(future, result, error)


# A worker that finds more jobs queued behind the one it ran runs them before waking the event loop,
# and hands all their results back in one callback: under load one wake-up of the loop per batch,
# not per statement. A result waits at most this long (or this many jobs) for the ones after it.
WAKE_BATCH_SECONDS = 0.001
WAKE_BATCH_MAX = 64


class _Worker:
    """One thread owning one sqlite3 connection; ``call`` runs ``fn(conn, *args)`` there, in order."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.conn: sqlite3.Connection | None = None
        # Jobs handed to the thread whose results the loop has not yet received (loop-side only):
        # at 0 the thread is waiting, and the loop may use the connection itself (Database.quick_*).
        self.in_flight = 0

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            finished: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
            loop: asyncio.AbstractEventLoop | None = None
            started = time.perf_counter()
            while job is not None:
                job_loop, future, fn, args = job
                if loop is not None and job_loop is not loop:  # another loop: deliver what we have
                    self._deliver(loop, finished)
                    finished = []
                loop = job_loop
                try:
                    result, error = fn(self.conn, *args), None
                except BaseException as exc:  # handed to the awaiting task, which re-raises it
                    result, error = None, exc
                finished.append((future, result, error))
                if len(finished) >= WAKE_BATCH_MAX or time.perf_counter() - started >= WAKE_BATCH_SECONDS:
                    break
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
            if loop is not None and finished:
                self._deliver(loop, finished)
            if job is None:
                return

    def _deliver(
        self,
        loop: asyncio.AbstractEventLoop,
        finished: list[tuple[asyncio.Future[Any], Any, BaseException | None]],
    ) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(self._finished, finished)

    def _finished(self, finished: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
        """On the loop: the thread is done with these jobs."""
        self.in_flight -= len(finished)
        _resolve_all(finished)

    @property
    def idle(self) -> bool:
        """No job is on the thread or queued for it (the loop is the only one handing jobs over)."""
        return self.in_flight == 0 and self.conn is not None

    async def start(self, path: Path) -> None:
        self._thread.start()

        def open_connection(_: None) -> None:
            self.conn = _connect(path)

        await self.call(open_connection)

    def call(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.in_flight += 1
        self._jobs.put((loop, future, fn, args))
        return future

    async def stop(self) -> None:
        def close(conn: sqlite3.Connection | None) -> None:
            self.conn = None
            if conn is not None:
                conn.close()

        try:
            await self.call(close)
        finally:
            self._jobs.put(None)
            await asyncio.to_thread(self._thread.join)


# --- what runs on the thread ----------------------------------------------------------------------


class Result:
    """What ``Transaction.execute`` returns: ``rowcount``, ``lastrowid`` and any rows, already fetched.

    It also answers ``await fetchone()``, ``await fetchall()``, ``await close()`` and ``async with``,
    like the cursor it replaces.
    """

    __slots__ = ("_rows", "lastrowid", "rowcount")

    def __init__(self, rowcount: int, lastrowid: int | None, rows: list[sqlite3.Row]) -> None:
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self._rows = rows

    async def fetchone(self) -> sqlite3.Row | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[sqlite3.Row]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []

    async def __aenter__(self) -> Result:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _PendingResult:
    """A statement on its way: awaitable, or usable as ``async with`` (aiosqlite's cursor idiom)."""

    __slots__ = ("_call", "_result")

    def __init__(self, call: Coroutine[Any, Any, Result]) -> None:
        self._call = call
        self._result: Result | None = None

    def __await__(self) -> Generator[Any, None, Result]:
        return self._call.__await__()

    async def __aenter__(self) -> Result:
        self._result = await self._call
        return self._result

    async def __aexit__(self, *exc: object) -> None:
        if self._result is not None:
            await self._result.close()


def _open(conn: sqlite3.Connection, tx: Transaction) -> None:
    """On the database thread: open the action's savepoint (and its group's transaction) if not yet.

    Every decision about what is open is taken here, on the thread, in the order the calls were
    made: a statement whose caller was cancelled still runs before the rollback queued after it.
    """
    if tx.started:
        return
    group = tx.group
    if not conn.in_transaction:
        conn.execute("BEGIN IMMEDIATE")
    if group.release is not None:
        conn.execute(f"RELEASE {group.release}")
        group.release = None
    conn.execute(f"SAVEPOINT {tx.savepoint}")
    tx.started = True


def _statement(conn: sqlite3.Connection, tx: Transaction | None, mode: str, sql: str, params: Any) -> Any:
    """One statement (opening the action first if ``tx`` is given); one hand-off for all of it."""
    if tx is not None:
        _open(conn, tx)
    if mode == "many":
        conn.executemany(sql, params)
        return None
    cursor = conn.execute(sql, params)
    try:
        if mode == "execute":
            rows = cursor.fetchall() if cursor.description is not None else []
            return Result(cursor.rowcount, cursor.lastrowid, rows)
        if mode == "insert":
            return cursor.lastrowid
        if mode == "one":
            return cursor.fetchone()
        if mode == "all":
            return cursor.fetchall()
        row = cursor.fetchone()  # "val"
        return None if row is None else row[0]
    finally:
        cursor.close()


def _undo(conn: sqlite3.Connection, tx: Transaction) -> None:
    """Roll back a failed action's own writes; the group's other actions stay."""
    if not tx.started:
        return
    if not conn.in_transaction:
        raise _GroupLost("SQLite rolled the whole transaction back")
    conn.execute(f"ROLLBACK TO {tx.savepoint}")
    conn.execute(f"RELEASE {tx.savepoint}")
    tx.started = False


def _commit(conn: sqlite3.Connection, group: _Group) -> None:
    group.release = None
    if not conn.in_transaction:
        if group.actions:
            raise _GroupLost("SQLite rolled the whole transaction back")
        return
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _undo_and_commit(conn: sqlite3.Connection, tx: Transaction | None, group: _Group) -> None:
    if tx is not None:
        _undo(conn, tx)
    _commit(conn, group)


def _write_batch(
    conn: sqlite3.Connection, actions: list[tuple[Transaction, Callable[..., Any], Any]], commit: bool
) -> list[tuple[bool, Any]]:
    """Several write actions in one hand-off: each in its own savepoint (a failing one is undone
    alone), then the group's COMMIT if this batch is its last. Returns (ok, value or exception) per
    action, in order. If SQLite ends the whole transaction itself, nothing of it was kept: this
    raises ``_GroupLost`` and every action of the group learns it."""
    outcomes: list[tuple[bool, Any]] = []
    for tx, fn, args in actions:
        try:
            _open(conn, tx)
            outcomes.append((True, fn(conn, *args)))
        except Exception as exc:
            outcomes.append((False, exc))
            _undo(conn, tx)
            continue
        if not conn.in_transaction:
            raise _GroupLost("SQLite rolled the whole transaction back")
        # Released at once (no hand-off to save inside a batch): the next action opens a sibling.
        conn.execute(f"RELEASE {tx.savepoint}")
    if commit:
        _commit(conn, actions[0][0].group)
    return outcomes


def _joined(conn: sqlite3.Connection, tx: Transaction, fn: Callable[..., T], args: Any) -> T:
    _open(conn, tx)
    return fn(conn, *args)


def _read_function(conn: sqlite3.Connection, fn: Callable[..., T], args: Any) -> T:
    """Several reads from one snapshot, in one hand-off."""
    conn.execute("BEGIN")
    try:
        return fn(conn, *args)
    finally:
        conn.execute("COMMIT")


def _passive_checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """(busy, pages in the WAL, pages checkpointed): copy into the database what no reader needs."""
    row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


class _GroupLost(sqlite3.OperationalError):
    """SQLite ended the group's transaction itself (I/O error, full disk): none of it was committed."""


# --- transactions ---------------------------------------------------------------------------------


class _Group:
    """One SQLite transaction shared by consecutive write actions, committed by the last of them."""

    def __init__(self) -> None:
        self.actions = 0  # actions with writes finished in it, waiting for its COMMIT
        # Savepoint of the last finished action: released by the next action's opening (no hand-off).
        self.release: str | None = None
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def settle(self, outcome: asyncio.Future[Any] | BaseException | None) -> None:
        """Tell the group's actions how its COMMIT went (a finished call, an error, or None: fine)."""
        if isinstance(outcome, asyncio.Future):
            outcome = asyncio.CancelledError() if outcome.cancelled() else outcome.exception()
        if self.committed.done():
            return
        if outcome is None:
            self.committed.set_result(None)
        else:
            self.committed.set_exception(outcome)
            self.committed.exception()  # marked retrieved: a group nobody waits for logs nothing


class Transaction:
    """An open write action. Only valid inside ``async with db.transaction()``."""

    def __init__(self, db: Database, group: _Group, savepoint: str) -> None:
        self._db = db
        self.group = group
        self.savepoint = savepoint
        self.started = False  # set on the database thread once the action's savepoint is open
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this action is committed (never if it rolls back).

        For what must not run before other connections can see the rows: reads go to a second
        connection that sees only committed data, so waking a reader early would find nothing.
        """
        self._after_commit.append(callback)

    def _committed(self) -> None:
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    async def _call(self, mode: str, sql: str, params: Any) -> Any:
        return await self._db._writer.call(_statement, self, mode, sql, params)

    def execute(self, sql: str, params: Params = ()) -> _PendingResult:
        """Run one statement: ``await tx.execute(...)`` gives a ``Result``; ``async with
        tx.execute(...) as result`` works too, as it did with aiosqlite's cursors."""
        return _PendingResult(self._call("execute", sql, params))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._call("many", sql, list(rows))

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT and return the new row id."""
        row_id = await self._call("insert", sql, params)
        if row_id is None:
            raise RuntimeError("INSERT did not produce a row id")
        return int(row_id)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = await self._call("one", sql, params)
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = await self._call("all", sql, params)
        return rows

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        return await self._call("val", sql, params)


_current_transaction: contextvars.ContextVar[Transaction | None] = contextvars.ContextVar(
    "current_transaction", default=None
)


class _WriteJob:
    """A queued ``Database.write`` call; its future gets (ok, value or exception, group)."""

    __slots__ = ("args", "fn", "future")

    def __init__(self, fn: Callable[..., Any], args: Any) -> None:
        self.fn = fn
        self.args = args
        self.future: asyncio.Future[tuple[bool, Any, _Group]] = asyncio.get_running_loop().create_future()


class Database:
    def __init__(self, writer: _Worker, reader: _Worker | None, path: Path) -> None:
        self._writer = writer
        self._reader = reader  # None for ":memory:" (a second connection would be another database)
        self._lock = asyncio.Lock()
        self._waiting = (
            0  # tasks waiting for the lock: while any, a finished action leaves the COMMIT to them
        )
        self._group: _Group | None = None
        self._savepoints = itertools.count(1)
        self._flush_task: asyncio.Task[None] | None = None
        self._write_queue: collections.deque[_WriteJob] = collections.deque()
        self._checkpointer: _Worker | None = None  # None for ":memory:" (no WAL)
        self._checkpoints = DelayedRun(self._checkpoint, name="db-checkpoint")
        self.checkpoints = 0  # background checkpoints done (for tests and diagnostics)
        self._last_inline_write = float("-inf")
        self._closed = False
        self._write_runner: asyncio.Task[None] | None = None
        self.path = path

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating if needed) the database at ``path`` and apply pending migrations."""
        path = Path(path)
        memory = str(path) == ":memory:"
        if not memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        writer = _Worker("db-write")
        reader: _Worker | None = None
        checkpointer: _Worker | None = None
        # Stop the threads on any failure (a file that is not a database fails at the first PRAGMA):
        # the process must be able to exit.
        try:
            await writer.start(path)
            await writer.call(lambda conn: conn.execute("PRAGMA journal_mode = WAL").close())
            db = cls(writer, None, path)
            await db._migrate()
            if not memory:
                reader = _Worker("db-read")
                await reader.start(path)
                db._reader = reader
                # Checkpoints leave the write path (see _schedule_checkpoint): an automatic one ran
                # inside whichever COMMIT pushed the WAL past 1,000 pages, and held that action's
                # answer for milliseconds.
                await writer.call(lambda conn: conn.execute("PRAGMA wal_autocheckpoint = 0").close())
                checkpointer = _Worker("db-checkpoint")
                await checkpointer.start(path)
                # It only copies WAL frames into the file: no page cache worth its memory.
                await checkpointer.call(lambda conn: conn.execute("PRAGMA cache_size = -64").close())
                db._checkpointer = checkpointer
        except BaseException:
            if checkpointer is not None:
                await checkpointer.stop()
            if reader is not None:
                await reader.stop()
            await writer.stop()
            raise
        return db

    async def close(self) -> None:
        """Commit what is open, stop the threads; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        if self._write_runner is not None:
            with contextlib.suppress(Exception):
                await self._write_runner
        async with self._lock:
            await self._commit_group()
        await self._checkpoints.close()
        if self._checkpointer is not None:
            await self._checkpointer.stop()
            self._checkpointer = None
        # The writer closes last: SQLite's last connection checkpoints the rest and removes the WAL.
        if self._reader is not None:
            await self._reader.stop()
        await self._writer.stop()

    # -- checkpoints --------------------------------------------------------------------------------

    def _schedule_checkpoint(self, committed: asyncio.Future[None]) -> None:
        """After a COMMIT: a PASSIVE checkpoint on its own connection ``CHECKPOINT_DELAY`` later.

        PASSIVE copies what no reader still needs and never blocks the writer, so the WAL stays a
        few megabytes even under a burst, and no action waits for it.
        """
        if not committed.cancelled() and committed.exception() is None:
            self._checkpoint_later()

    def _checkpoint_later(self) -> None:
        if self._checkpointer is not None:
            self._checkpoints.request(CHECKPOINT_DELAY)

    async def _checkpoint(self) -> None:
        checkpointer = self._checkpointer
        if checkpointer is None:
            return
        try:
            await checkpointer.call(_passive_checkpoint)
        except sqlite3.Error:
            log.warning("A WAL checkpoint failed; the next commit schedules another", exc_info=True)
        else:
            self.checkpoints += 1

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

        def migrate(conn: sqlite3.Connection) -> None:
            # One transaction for all pending migrations: a failure leaves the database as it was.
            try:
                conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {target};\nCOMMIT;")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        async with self._lock:
            await self._writer.call(migrate)
        log.info(
            "Database migrated from version %d to %d (%s)",
            current,
            target,
            ", ".join(n for _, n, _ in pending),
        )

    # -- write actions ------------------------------------------------------------------------------

    async def _acquire(self) -> None:
        self._waiting += 1
        try:
            await self._lock.acquire()
        except BaseException:
            # Cancelled while waiting: the holder may have left the COMMIT to us.
            self._flush_soon()
            raise
        finally:
            self._waiting -= 1

    def _leave_commit_to_next(self, group: _Group) -> bool:
        """Whether the lock holder leaves the group open for the actions already waiting for the lock."""
        return self._reader is not None and self._waiting > 0 and group.actions < GROUP_MAX

    def _flush_soon(self) -> None:
        """Commit an open group nobody is left to commit (its next action was cancelled waiting)."""
        if self._group is None or (self._flush_task is not None and not self._flush_task.done()):
            return

        async def flush() -> None:
            async with self._lock:
                await self._commit_group()

        self._flush_task = asyncio.create_task(flush(), name="db-flush")

    def _new_action(self) -> Transaction:
        if self._group is None:
            self._group = _Group()
            self._group.committed.add_done_callback(self._schedule_checkpoint)
        return Transaction(self, self._group, f"a{next(self._savepoints)}")

    async def _commit_group(self, failed: Transaction | None = None) -> None:
        """With the lock held: undo ``failed`` (if given), then COMMIT the open group, in one hand-off.

        The group's actions are told the outcome however this task fares, even if it is cancelled.
        """
        group, self._group = self._group, None
        if group is None:
            return
        done = self._writer.call(_undo_and_commit, failed, group)
        done.add_done_callback(group.settle)
        await asyncio.shield(done)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write action: committed on success, rolled back on any exception.

        The block exits only once the action is committed (possibly together with the actions that
        were waiting behind it). Nested use inside the same task joins the outer action.
        """
        outer = _current_transaction.get()
        if outer is not None:
            yield outer
            return
        await self._acquire()
        wait_for: _Group | None = None
        try:
            tx = self._new_action()
            group = tx.group
            token = _current_transaction.set(tx)
            try:
                yield tx
            except BaseException:
                _current_transaction.reset(token)
                await self._end_failed(tx)
                raise
            _current_transaction.reset(token)
            if tx.started:
                group.actions += 1
                group.release = tx.savepoint
                wait_for = group
            if not self._leave_commit_to_next(group):
                try:
                    await self._commit_group()
                except sqlite3.Error:
                    if tx.started:
                        raise
                    log.warning("Committing a group of write actions failed", exc_info=True)
        finally:
            self._lock.release()
        if wait_for is not None:
            await asyncio.shield(wait_for.committed)
        tx._committed()

    async def _end_failed(self, tx: Transaction) -> None:
        """Roll back a failed action's savepoint (and commit the group if nobody else will)."""
        group = tx.group
        try:
            if self._leave_commit_to_next(group):
                await asyncio.shield(self._writer.call(_undo, tx))
            else:
                await self._commit_group(failed=tx)
        except sqlite3.Error as error:
            # The group's other actions get the error; this action raises its own.
            if self._group is group:
                self._group = None
            group.settle(error)
            log.warning("Rolling back a failed write action lost its group", exc_info=True)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` as one write action on the database thread.

        ``conn`` is the ``sqlite3.Connection`` (rows are ``sqlite3.Row``), already inside the action's
        transaction: ``fn`` runs statements and returns a value, and must not BEGIN, COMMIT or
        ROLLBACK. If it raises, its writes are rolled back and the exception is raised here. Like
        ``transaction()``, it returns only once the action is committed. Inside a ``transaction()``
        block it joins that action.

        Calls made while an earlier batch is on the database thread queue up and go together, in
        one hand-off and one COMMIT (``_run_write_batches``): a burst of clicks costs one trip per
        batch, not one per click behind the lock. Cancelled while still queued, the action never
        runs; once taken, it runs and commits whatever happens to the caller.
        """
        outer = _current_transaction.get()
        if outer is not None:
            return await self._writer.call(_joined, outer, fn, args)
        job = _WriteJob(fn, args)
        self._write_queue.append(job)
        if self._write_runner is None or self._write_runner.done():
            self._write_runner = asyncio.create_task(self._run_write_batches(), name="db-write-batches")
        ok, value, group = await job.future
        if not ok:
            raise value
        await asyncio.shield(group.committed)
        return value  # type: ignore[no-any-return]  # ok: value is fn's result

    async def _run_write_batches(self) -> None:
        """Take every queued ``write()`` call (at most ``GROUP_MAX``) and run them as one batch, until
        the queue is empty. Holds the lock per batch, so ``transaction()`` blocks interleave."""
        while self._write_queue:
            await self._acquire()
            try:
                jobs: list[_WriteJob] = []
                while self._write_queue and len(jobs) < GROUP_MAX:
                    job = self._write_queue.popleft()
                    if not job.future.done():  # a caller cancelled while queued: never run it
                        jobs.append(job)
                if not jobs:
                    continue
                txs = [self._new_action() for _ in jobs]
                group = txs[0].group
                group.actions += len(jobs)
                commit = not self._leave_commit_to_next(group)
                if commit:
                    self._group = None
                call = self._writer.call(
                    _write_batch, [(tx, job.fn, job.args) for tx, job in zip(txs, jobs, strict=True)], commit
                )
                if commit:
                    call.add_done_callback(group.settle)
                try:
                    outcomes = await asyncio.shield(call)
                except BaseException as error:  # the group is lost, or its COMMIT failed
                    if self._group is group:
                        self._group = None
                    lost = error if isinstance(error, Exception) else sqlite3.OperationalError(str(error))
                    group.settle(lost)
                    for job in jobs:
                        if not job.future.done():
                            job.future.set_exception(lost)
                    if not isinstance(error, Exception):
                        raise
                    continue
                for job, (ok, value) in zip(jobs, outcomes, strict=True):
                    if not ok:
                        group.actions -= 1  # nothing of it is left to commit
                    if not job.future.done():
                        job.future.set_result((ok, value, group))
            finally:
                self._lock.release()

    # -- the quick paths: on the loop's own thread when the database is idle ---------------------------

    async def quick_write(self, fn: Callable[..., T], *args: Any) -> T:
        """``write(fn, *args)`` for an action of well under a millisecond (a click's few statements).

        When nothing else is writing (no batch on the thread or queued, no ``transaction()`` open), the
        action runs right here, on the event loop's thread, in its own transaction: a hand-off to the
        database thread and back costs about 0.2 ms of CPU on a small server, ten times a click's
        statements (18 us with their COMMIT). Otherwise it joins the queue like ``write``. Never waits
        for a lock held by another process: the write connection's busy timeout is off for the inline
        attempt, and a busy database sends the action to the thread, which waits as usual. Writes
        closer together than ``QUICK_WRITE_SPACING`` (a burst) go to the thread too, where they
        share their COMMITs and the SQL runs beside the loop: one COMMIT per click on the loop's
        thread made a 1,000-click burst fall behind.
        """
        now = time.monotonic()
        if (
            _current_transaction.get() is None
            and now - self._last_inline_write >= QUICK_WRITE_SPACING
            and self._can_write_inline()
        ):
            self._last_inline_write = now
            inline = self._write_inline(fn, args)
            if inline is not None:
                ok, value = inline
                if not ok:
                    raise value
                return value  # type: ignore[no-any-return]  # ok: value is fn's result
        return await self.write(fn, *args)

    async def quick_read(self, fn: Callable[..., T], *args: Any) -> T:
        """``read(fn, *args)`` for reads of well under a millisecond: on the loop's thread, on the read
        connection, when its thread is idle (see ``quick_write``); otherwise on that thread."""
        conn = self._idle_reader() if _current_transaction.get() is None else None
        if conn is not None:
            return _read_function(conn, fn, args)
        return await self.read(fn, *args)

    def _idle_reader(self) -> sqlite3.Connection | None:
        """The read connection, when its thread has nothing to do: the loop may use it itself."""
        reader = self._reader
        if reader is None or self._closed or not reader.idle:
            return None
        return reader.conn

    def _can_write_inline(self) -> bool:
        return (
            not self._closed
            and self._reader is not None  # ":memory:": one connection, reads queue behind the lock
            and not self._lock.locked()
            and self._group is None
            and not self._write_queue
            and (self._write_runner is None or self._write_runner.done())
            and self._writer.idle
        )

    def _write_inline(self, fn: Callable[..., Any], args: Any) -> tuple[bool, Any] | None:
        """One write action on the loop's thread, alone in its transaction (no savepoint needed);
        None when another process holds the write lock."""
        conn = self._writer.conn
        assert conn is not None
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return None  # locked elsewhere: the thread waits for it, the loop does not
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            value = fn(conn, *args)
        except Exception as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return False, error
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            if not conn.in_transaction:
                raise _GroupLost("SQLite rolled the whole transaction back")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._checkpoint_later()
        return True, value

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` on the read connection, in one hand-off and one snapshot.

        ``fn`` must only read. Inside a ``transaction()`` block it runs in that action instead.
        """
        outer = _current_transaction.get()
        if outer is not None:
            return await self._writer.call(_joined, outer, fn, args)
        if self._reader is None:
            async with self._lock:
                return await self._writer.call(_read_function, fn, args)
        return await self._reader.call(_read_function, fn, args)

    def in_transaction(self) -> bool:
        """True inside ``async with db.transaction()`` in the current task."""
        return _current_transaction.get() is not None

    # -- reads ----------------------------------------------------------------------------------------

    async def _read(self, mode: str, sql: str, params: Params) -> Any:
        tx = _current_transaction.get()
        if tx is not None:
            return await tx._call(mode, sql, params)
        # One row (a lookup by key, a counter): on the loop's thread when it can, as quick_read does.
        if mode in ("one", "val") and (conn := self._idle_reader()) is not None:
            return _statement(conn, None, mode, sql, params)
        if self._reader is None:
            async with self._lock:
                return await self._writer.call(_statement, None, mode, sql, params)
        return await self._reader.call(_statement, None, mode, sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = await self._read("one", sql, params)
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = await self._read("all", sql, params)
        return rows

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        return await self._read("val", sql, params)

    async def size_bytes(self) -> int:
        """Database size including the WAL file, for /about."""

        def size(conn: sqlite3.Connection) -> int:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            return int(pages) * int(page_size)

        wal = self.path.with_name(self.path.name + "-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
        return await self.read(size) + wal_size


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
