"""The SQLite store: one write connection and one read connection, each on its own thread; WAL,
numbered migrations, batched writes.

A call from the event loop to the database is a *hand-off* to a connection's thread and back, which
costs more than most statements, so the layer is shaped to need few of them:

* ``write(fn, *args)`` runs a synchronous function on the write thread as one action. Calls made
  while a batch is on the thread queue up, and the next batch takes them all: one hand-off, one
  ``BEGIN IMMEDIATE``, a ``SAVEPOINT`` per action (a failing action undoes only its own rows), one
  COMMIT. A call returns only after the COMMIT that holds its action.
* ``transaction()`` is an action of several statements awaited one by one (a hand-off each): it holds
  the write lock from its first statement to its own COMMIT, alone in its ``BEGIN IMMEDIATE``.
  Nested ``transaction()`` / ``write()`` in the task that opened it run in a SAVEPOINT of their own.
* ``read(fn, *args)`` and ``fetchone/fetchall/fetchval`` run on the read connection: in WAL mode it
  sees only committed rows and never waits for the writer. Inside a transaction they join it.
* ``close()`` refuses new actions (``DatabaseClosed``), waits for the open ones, stops the threads.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import functools
import itertools
import logging
import queue
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.batching import DelayedRun

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000
# At most this many write() actions share one batch (one COMMIT).
BATCH_MAX = 256
# Seconds close() waits for the open actions before rolling them back.
CLOSE_GRACE = 5.0
# Seconds after a COMMIT before the WAL is checkpointed (PASSIVE, on its own connection and thread).
CHECKPOINT_DELAY = 0.5
# A worker that finds jobs queued behind the one it ran runs them before waking the event loop, and
# hands their results back in one callback: a result waits at most this long (or this many jobs).
WAKE_BATCH_SECONDS = 0.001
WAKE_BATCH_MAX = 64

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")
_Job = tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Callable[..., Any], tuple[Any, ...]]
_Done = list[tuple[asyncio.Future[Any], Any, BaseException | None]]


class DatabaseClosed(RuntimeError):
    """The database is closed or closing: no new action or read starts."""


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


class _Worker:
    """One thread owning one connection; ``call(fn, *args)`` runs ``fn(conn, *args)`` there, in order.

    Once ``stop`` has begun, ``call`` raises ``DatabaseClosed``: every job handed over before it runs
    before the connection closes, so no caller waits for a thread that is gone.
    """

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False
        self.conn: sqlite3.Connection | None = None

    def _run(self) -> None:
        held: _Job | None = None
        stopping = False
        while not stopping:
            job = held if held is not None else self._jobs.get()
            held = None
            if job is None:
                return
            loop, started = job[0], time.perf_counter()
            done: _Done = []
            while True:
                _, future, fn, args = job
                try:
                    done.append((future, fn(self.conn, *args), None))
                except BaseException as exc:  # handed to the awaiting task, which raises it
                    done.append((future, None, exc))
                if len(done) >= WAKE_BATCH_MAX or time.perf_counter() - started >= WAKE_BATCH_SECONDS:
                    break
                try:
                    following = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if following is None:
                    stopping = True
                    break
                if following[0] is not loop:  # another event loop: deliver what this one has first
                    held = following
                    break
                job = following
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(_resolve_all, done)

    def call(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        if self._stopped:
            raise DatabaseClosed("the database is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, fn, args))
        return future

    async def start(self, path: Path, *pragmas: str) -> None:
        self._thread.start()

        def open_connection(_: None) -> None:
            self.conn = _connect(path)
            for pragma in pragmas:
                self.conn.execute(pragma).close()

        await self.call(open_connection)

    async def stop(self) -> None:
        if self._stopped:
            return

        def close(conn: sqlite3.Connection | None) -> None:
            self.conn = None
            if conn is not None:
                conn.close()

        closing = self.call(close)
        self._stopped = True
        self._jobs.put(None)
        try:
            await closing
        finally:
            await asyncio.to_thread(self._thread.join)


def _resolve_all(done: _Done) -> None:
    for future, result, error in done:
        if future.cancelled():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


# --- what runs on the write thread ------------------------------------------------------------------


class Result:
    """What ``Transaction.execute`` returns: ``rowcount``, ``lastrowid`` and any rows, already fetched."""

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


def _lost() -> sqlite3.OperationalError:
    return sqlite3.OperationalError("SQLite rolled the whole transaction back (I/O error, full disk?)")


def _statement(conn: sqlite3.Connection, opening: list[str], mode: str, sql: str, params: Any) -> Any:
    """One statement after the action's deferred BEGIN/SAVEPOINT/RELEASE: one hand-off for all."""
    for pending in opening:
        conn.execute(pending)
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


def _in_savepoint(conn: sqlite3.Connection, name: str, fn: Callable[..., T], args: Any) -> T:
    """``fn(conn, *args)`` inside SAVEPOINT ``name``: on any exception its rows alone are undone."""
    conn.execute(f"SAVEPOINT {name}")
    try:
        value = fn(conn, *args)
    except BaseException:
        if not conn.in_transaction:
            raise _lost() from None
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")  # fails if fn ended the transaction: then the whole batch fails
    return value


def _commit(conn: sqlite3.Connection) -> None:
    if not conn.in_transaction:
        raise _lost()
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _write_batch(
    conn: sqlite3.Connection, jobs: list[tuple[Callable[..., Any], Any]]
) -> list[tuple[bool, Any]]:
    """Several write() actions in one transaction, a savepoint each; (ok, value or exception) each."""
    outcomes: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for fn, args in jobs:
            try:
                outcomes.append((True, _in_savepoint(conn, "w", fn, args)))
            except BaseException as exc:  # not only Exception: its rows are undone all the same
                if not conn.in_transaction:
                    raise
                outcomes.append((False, exc))
        _commit(conn)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


def _nested(conn: sqlite3.Connection, opening: list[str], name: str, fn: Callable[..., T], args: Any) -> T:
    for pending in opening:
        conn.execute(pending)
    return _in_savepoint(conn, name, fn, args)


def _finish(conn: sqlite3.Connection, opening: list[str], began: bool, commit: bool) -> None:
    """End a transaction() action: COMMIT (after its deferred statements) or ROLLBACK."""
    if commit:
        for pending in opening:
            conn.execute(pending)
        if began:
            _commit(conn)
    elif conn.in_transaction:
        conn.execute("ROLLBACK")


def _read_function(conn: sqlite3.Connection, fn: Callable[..., T], args: Any) -> T:
    """Several reads from one snapshot, in one hand-off."""
    conn.execute("BEGIN")
    try:
        return fn(conn, *args)
    finally:
        conn.execute("COMMIT")


def _passive_checkpoint(conn: sqlite3.Connection) -> None:
    """Copy into the database file what no reader still needs; never blocks the writer."""
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").close()


# --- transactions ---------------------------------------------------------------------------------


class Transaction:
    """An open write action. Only valid inside its ``async with db.transaction()`` block."""

    def __init__(self, db: Database, parent: Transaction | None, savepoint: str | None) -> None:
        self._db = db
        self._root: Transaction = self if parent is None else parent._root
        self._savepoint = savepoint
        self._owner = asyncio.current_task()
        self._open = True
        self._after_commit: list[Callable[[], None]] = []
        # Statements deferred to travel with the next one (root only): BEGIN, SAVEPOINT, RELEASE...
        self._opening: list[str] = ["BEGIN IMMEDIATE"] if parent is None else []
        self._began = False

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this action is committed (never if it rolls back), even if its task
        is cancelled while waiting for the COMMIT. For what must not run before other connections can
        see the rows: waking a reader early would find nothing."""
        self._after_commit.append(callback)

    def _take_opening(self) -> list[str]:
        if not self._open:
            raise RuntimeError("this transaction is finished")
        root = self._root
        opening, root._opening = root._opening, []
        root._began = root._began or bool(opening and opening[0] == "BEGIN IMMEDIATE")
        return opening

    async def _call(self, mode: str, sql: str, params: Any) -> Any:
        return await self._db._writer.call(_statement, self._take_opening(), mode, sql, params)

    async def execute(self, sql: str, params: Params = ()) -> Result:
        result: Result = await self._call("execute", sql, params)
        return result

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
    __slots__ = ("args", "fn", "future")

    def __init__(self, fn: Callable[..., Any], args: Any) -> None:
        self.fn = fn
        self.args = args
        self.future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()


class Database:
    def __init__(self, writer: _Worker, path: Path) -> None:
        self._writer = writer
        self._reader: _Worker | None = None  # None for ":memory:" (a second connection is another db)
        self._checkpointer: _Worker | None = None  # None for ":memory:" (no WAL)
        self._checkpoints = DelayedRun(self._checkpoint, name="db-checkpoint")
        self.checkpoints = 0  # background checkpoints done (for tests and diagnostics)
        self._lock = asyncio.Lock()  # the write connection, from a transaction's start to its end
        self._queue: collections.deque[_WriteJob] = collections.deque()
        self._runner: asyncio.Task[None] | None = None
        self._savepoints = itertools.count(1)
        self._open_actions = 0
        self._no_open_action = asyncio.Event()
        self._no_open_action.set()
        self._closing = False
        self._closed: asyncio.Future[None] | None = None
        self.path = path

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        """Open (creating if needed) the database at ``path`` and apply pending migrations."""
        path = Path(path)
        memory = str(path) == ":memory:"
        if not memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        db = cls(_Worker("db-write"), path)
        # Stop the threads on any failure (a file that is not a database fails at the first PRAGMA):
        # the process must be able to exit.
        try:
            await db._writer.start(path, "PRAGMA journal_mode = WAL")
            await db._migrate()
            if not memory:
                # Checkpoints leave the write path (_checkpoint): an automatic one runs inside
                # whichever COMMIT pushes the WAL past 1,000 pages and holds that action's answer.
                await db._writer.call(lambda conn: conn.execute("PRAGMA wal_autocheckpoint = 0").close())
                db._reader = _Worker("db-read")
                await db._reader.start(path)
                db._checkpointer = _Worker("db-checkpoint")
                await db._checkpointer.start(path, "PRAGMA cache_size = -64")  # copies frames only
        except BaseException:
            await db._stop_threads()
            raise
        return db

    async def close(self, *, grace: float = CLOSE_GRACE) -> None:
        """Refuse new actions, wait for the open ones (``grace`` seconds at most: then they are rolled back
        and their next call raises ``DatabaseClosed``), stop the threads. Later calls wait for the first."""
        if self._closed is not None:
            await asyncio.shield(self._closed)
            return
        self._closed = asyncio.get_running_loop().create_future()
        self._closing = True
        try:
            try:
                async with asyncio.timeout(grace):
                    await self._no_open_action.wait()
                    if self._runner is not None:
                        await asyncio.wait([self._runner])
            except TimeoutError:
                log.warning("%d database action(s) still open at close; rolled back", self._open_actions)
            await self._checkpoints.close()
        finally:
            await self._stop_threads()
            self._closed.set_result(None)

    async def _stop_threads(self) -> None:
        # The writer closes last: SQLite's last connection checkpoints the rest and removes the WAL.
        for worker in (self._checkpointer, self._reader, self._writer):
            if worker is not None:
                await worker.stop()

    @contextlib.contextmanager
    def _action(self) -> Generator[None, None, None]:
        """An action close() waits for; none starts once close() has begun."""
        if self._closing:
            raise DatabaseClosed("the database is closed")
        self._open_actions += 1
        self._no_open_action.clear()
        try:
            yield
        finally:
            self._open_actions -= 1
            if self._open_actions == 0:
                self._no_open_action.set()

    def _joined(self) -> Transaction | None:
        """The transaction this task opened and is inside, if any. Only the task that opened it may
        join it: a task created inside the block copies the context variable, not the action."""
        tx = _current_transaction.get()
        if tx is None or not tx._open or tx._owner is not asyncio.current_task():
            return None
        return tx

    def in_transaction(self) -> bool:
        """True inside ``async with db.transaction()`` opened by the current task."""
        return self._joined() is not None

    # -- checkpoints and migrations ---------------------------------------------------------------

    def _committed(self, _: object = None) -> None:
        if self._checkpointer is not None and not self._closing:
            self._checkpoints.request(CHECKPOINT_DELAY)

    async def _checkpoint(self) -> None:
        if self._checkpointer is None:
            return
        try:
            await self._checkpointer.call(_passive_checkpoint)
        except (sqlite3.Error, DatabaseClosed):
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

        await self._writer.call(migrate)
        log.info("Database migrated from %d to %d (%s)", current, target, ", ".join(n for _, n, _ in pending))

    # -- writes -----------------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write action: committed on success, rolled back on any exception; the block exits only
        once it is committed. Nested in the task that opened it: a SAVEPOINT of the outer action."""
        outer = self._joined()
        if outer is not None:
            async with self._savepoint(outer) as inner:
                yield inner
            return
        with self._action():
            async with self._lock:
                tx = Transaction(self, None, None)
                token = _current_transaction.set(tx)
                try:
                    yield tx
                except BaseException:
                    _current_transaction.reset(token)
                    tx._open = False
                    if tx._began:  # handed over now: it runs before any later action, whatever we become
                        with contextlib.suppress(sqlite3.Error, DatabaseClosed):
                            await asyncio.shield(self._writer.call(_finish, [], True, False))
                    raise
                _current_transaction.reset(token)
                if not tx._began:  # no statement ran: nothing to commit, no hand-off
                    tx._open = False
                    for callback in tx._after_commit:
                        callback()
                    return
                opening, tx._open = tx._take_opening(), False
                done = self._writer.call(_finish, opening, True, True)
                callbacks = tx._after_commit
                done.add_done_callback(lambda f: _after_commit(f, callbacks, self._committed))
                await asyncio.shield(done)

    @asynccontextmanager
    async def _savepoint(self, outer: Transaction) -> AsyncIterator[Transaction]:
        name = f"s{next(self._savepoints)}"
        root = outer._root
        inner = Transaction(self, outer, name)
        root._opening.append(f"SAVEPOINT {name}")
        token = _current_transaction.set(inner)
        try:
            yield inner
        except BaseException:
            _current_transaction.reset(token)
            inner._open = False
            root._opening += [f"ROLLBACK TO {name}", f"RELEASE {name}"]
            raise
        _current_transaction.reset(token)
        inner._open = False
        root._opening.append(f"RELEASE {name}")
        outer._after_commit += inner._after_commit

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` as one write action on the write thread and return its value once
        committed. ``conn`` is the ``sqlite3.Connection`` inside the action's savepoint: ``fn`` must
        not BEGIN, COMMIT or ROLLBACK. If it raises, its rows are undone and the exception is raised
        here. Inside a transaction() of this task, it runs in a savepoint of that action.

        Calls made while a batch is on the thread go together in the next one (``_run_batches``).
        Cancelled while queued, the action never runs; once taken, it runs and commits regardless."""
        outer = self._joined()
        if outer is not None:
            name = f"s{next(self._savepoints)}"
            return await self._writer.call(_nested, outer._take_opening(), name, fn, args)
        with self._action():
            job = _WriteJob(fn, args)
            self._queue.append(job)
            if self._runner is None or self._runner.done():
                self._runner = asyncio.create_task(self._run_batches(), name="db-write-batches")
            return await job.future  # type: ignore[no-any-return]  # ok: fn's result

    async def _run_batches(self) -> None:
        try:
            await self._take_batches()
        except BaseException as error:  # cancelled (the loop is ending) or closed: nothing more runs
            for job in self._queue:
                if not job.future.done():
                    job.future.set_exception(DatabaseClosed("the database is closed"))
            self._queue.clear()
            if not isinstance(error, DatabaseClosed):
                raise

    async def _take_batches(self) -> None:
        while self._queue:
            async with self._lock:
                jobs: list[_WriteJob] = []
                while self._queue and len(jobs) < BATCH_MAX:
                    job = self._queue.popleft()
                    if not job.future.done():  # a caller cancelled while queued: never run it
                        jobs.append(job)
                if not jobs:
                    continue
                try:
                    call = self._writer.call(_write_batch, [(job.fn, job.args) for job in jobs])
                except DatabaseClosed:
                    self._queue.extendleft(reversed(jobs))  # failed with the rest by _run_batches
                    raise
                # Delivered by the call itself, so the callers learn the outcome even if we are cancelled.
                call.add_done_callback(functools.partial(self._deliver, jobs=jobs))
                with contextlib.suppress(Exception):  # the callers have it
                    await asyncio.shield(call)

    def _deliver(self, call: asyncio.Future[list[tuple[bool, Any]]], *, jobs: list[_WriteJob]) -> None:
        error = asyncio.CancelledError() if call.cancelled() else call.exception()
        outcomes = [(False, error)] * len(jobs) if error is not None else call.result()
        if error is None:
            self._committed()
        for job, (ok, value) in zip(jobs, outcomes, strict=True):
            if job.future.done():
                continue
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

    # quick_write and quick_read ran on the loop's own thread when the database was idle: the hand-off
    # saved is small beside a click's cost through Discord, and SQL on the loop delays every answer.
    quick_write = write

    # -- reads ------------------------------------------------------------------------------------

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` on the read connection, in one hand-off and one snapshot. ``fn``
        must only read. Inside a transaction() of this task it runs in that action instead."""
        outer = self._joined()
        if outer is not None:
            name = f"s{next(self._savepoints)}"
            return await self._writer.call(_nested, outer._take_opening(), name, fn, args)
        if self._reader is None:  # ":memory:": the one connection, between write actions
            async with self._lock:
                return await self._writer.call(_read_function, fn, args)
        return await self._reader.call(_read_function, fn, args)

    quick_read = read

    async def _read(self, mode: str, sql: str, params: Params) -> Any:
        tx = self._joined()
        if tx is not None:
            return await tx._call(mode, sql, params)
        if self._reader is None:
            async with self._lock:
                return await self._writer.call(_statement, [], mode, sql, params)
        return await self._reader.call(_statement, [], mode, sql, params)

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


def _after_commit(
    done: asyncio.Future[None], callbacks: list[Callable[[], None]], committed: Callable[[], None]
) -> None:
    """Once a transaction's COMMIT is back: its callbacks, whatever became of the task that waited."""
    if done.cancelled() or done.exception() is not None:
        return
    committed()
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("An after_commit callback failed")


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
