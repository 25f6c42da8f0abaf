"""The SQLite store: one write and one read connection, each on its own thread (WAL).

A hand-off to a connection's thread and back costs more than most statements, so actions take few:
``write()`` calls queued together share one COMMIT (or run inline when idle), a ``transaction()`` block
takes one hand-off per statement, a read (committed rows only) one per query or ``read(fn)``. A write
is acknowledged only after its COMMIT. docs/ARCHITECTURE.md ("Database") has the contract in full and
the measurements behind each mechanism.
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
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from bot import migrations
from bot.batching import DelayedRun

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
BATCH_MAX = 256  # write() actions in one batch (one COMMIT) at most
CLOSE_GRACE = 5.0  # seconds close() waits for the open actions before rolling them back
CHECKPOINT_DELAY = 0.5  # seconds after a COMMIT before a PASSIVE checkpoint, on its own connection
# A worker hands the results of jobs queued together back in one wake-up of the loop: a result waits
# at most this long (or this many jobs) for the ones after it.
WAKE_BATCH_SECONDS = 0.001
WAKE_BATCH_MAX = 64
# A write runs on the loop's thread only this long after the last one that did: writes closer together
# are a burst, cheaper in shared COMMITs on the thread, beside the loop.
INLINE_SPACING = 0.005
_LOST = "SQLite rolled the whole transaction back (I/O error, full disk?)"

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")
_Outcome = tuple[Any, BaseException | None]  # (what fn returned, None) or (None, what it raised)
_Done = list[tuple[asyncio.Future[Any], Any, BaseException | None]]


class DatabaseClosed(RuntimeError):
    """The database is closed or closing: no new action or read starts."""


class Queryable(Protocol):
    """What repositories need: the database itself or an open transaction."""

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None: ...
    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]: ...
    async def fetchval(self, sql: str, params: Params = ()) -> Any: ...


class _Job(NamedTuple):
    """``fn(conn, *args)`` to run on a connection's thread; ``future`` gets its outcome."""

    future: asyncio.Future[Any]
    fn: Callable[..., Any]
    args: Any


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # cancelled: nobody waits for it
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)


class _Worker:
    """One thread owning one connection; ``call(fn, *args)`` runs ``fn(conn, *args)`` there, in order.
    Once ``stop`` has begun, ``call`` raises ``DatabaseClosed``; what was handed over before still runs."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._loop = asyncio.get_running_loop()
        self._stopped = False
        self.conn: sqlite3.Connection | None = None
        self.busy = 0  # jobs handed over whose results the loop has not received: at 0 the thread waits

    def _run(self) -> None:
        done: _Done = []
        started = 0.0
        while (job := self._jobs.get()) is not None:  # None comes after the close job came back
            if not done:
                started = time.perf_counter()
            try:
                done.append((job.future, job.fn(self.conn, *job.args), None))
            except BaseException as exc:  # handed to the awaiting task, which raises it
                done.append((job.future, None, exc))
            full = len(done) >= WAKE_BATCH_MAX or time.perf_counter() - started >= WAKE_BATCH_SECONDS
            if full or self._jobs.empty():  # the results of jobs queued together: one wake-up
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
                    self._loop.call_soon_threadsafe(self._resolve, done)
                done = []

    def _resolve(self, done: _Done) -> None:
        self.busy -= len(done)
        for future, value, error in done:
            _settle(future, value, error)

    def call(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        if self._stopped:
            raise DatabaseClosed("the database is closed")
        future: asyncio.Future[T] = self._loop.create_future()
        self.busy += 1
        self._jobs.put(_Job(future, fn, args))
        return future

    async def start(self, path: Path, *pragmas: str) -> None:
        self._thread.start()

        def open_connection(_: None) -> None:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, sqlite3 adds nothing implicit.
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            for pragma in (
                f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
                "PRAGMA foreign_keys = ON",
                "PRAGMA synchronous = NORMAL",
                *pragmas,
            ):
                self.conn.execute(pragma).close()

        await self.call(open_connection)

    async def stop(self) -> None:
        """Close the connection once the jobs handed over have run, and end the thread."""
        if self._thread.ident is None:  # Thread.start failed: no thread, no connection, nothing to wait for
            self._stopped = True
            return

        def close(conn: sqlite3.Connection | None) -> None:
            self.conn = None
            if conn is not None:
                conn.close()

        closing = self.call(close)
        self._stopped = True
        try:
            await closing
        finally:
            self._jobs.put(None)
            await asyncio.to_thread(self._thread.join)


# --- what runs on the write thread (or, for an inline write, on the loop's) ----------------------


class Result(NamedTuple):
    """What ``Transaction.execute`` returns (rows a RETURNING clause yields are read and dropped:
    use ``fetchone``/``fetchall`` for them)."""

    rowcount: int
    lastrowid: int | None


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
            if cursor.description is not None:
                cursor.fetchall()  # a RETURNING statement runs to its end (and counts its rows)
            return Result(cursor.rowcount, cursor.lastrowid)
        if mode == "all":
            return cursor.fetchall()
        row = cursor.fetchone()
        return row if mode == "one" or row is None else row[0]
    finally:
        cursor.close()


def _in_savepoint(
    conn: sqlite3.Connection, name: str, fn: Callable[..., T], args: Any, opening: Iterable[str] = ()
) -> T:
    """``fn(conn, *args)`` inside SAVEPOINT ``name`` (after a transaction()'s deferred statements):
    on any exception its rows alone are undone."""
    for pending in opening:
        conn.execute(pending)
    conn.execute(f"SAVEPOINT {name}")
    try:
        value = fn(conn, *args)
    except BaseException:
        if not conn.in_transaction:
            raise sqlite3.OperationalError(_LOST) from None
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")  # fails if fn ended the transaction: then the whole batch fails
    return value


def _commit(conn: sqlite3.Connection, opening: Iterable[str] = ()) -> None:
    """COMMIT (after a transaction()'s deferred statements); on any failure ROLLBACK and raise."""
    try:
        for pending in opening:
            conn.execute(pending)
        if not conn.in_transaction:
            raise sqlite3.OperationalError(_LOST)
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _write_batch(
    conn: sqlite3.Connection, jobs: list[tuple[Callable[..., Any], Any]], begun: bool = False
) -> list[_Outcome]:
    """write() actions in one transaction, a savepoint each; the outcome of each."""
    if not begun:
        conn.execute("BEGIN IMMEDIATE")
    outcomes: list[_Outcome] = []
    for fn, args in jobs:
        try:
            outcomes.append((_in_savepoint(conn, "w", fn, args), None))
        except BaseException as exc:  # not only Exception: its rows are undone all the same
            if not conn.in_transaction:  # SQLite ended the transaction: the batch fails as one
                raise
            outcomes.append((None, exc))
    _commit(conn)
    return outcomes


def _read_function(conn: sqlite3.Connection, fn: Callable[..., T], args: Any) -> T:
    """Several reads from one snapshot, in one hand-off."""
    conn.execute("BEGIN")
    try:
        return fn(conn, *args)
    finally:
        conn.execute("COMMIT")


def _run_callbacks(callbacks: list[Callable[[], None]]) -> None:
    """A committed action's ``after_commit`` callbacks: one that fails is logged, the others still run."""
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("An after_commit callback failed")


# --- transactions ---------------------------------------------------------------------------------


class _Fetching:
    """``Queryable``'s three reads, each one ``_query(mode, sql, params)`` (see ``_statement``)."""

    async def _query(self, mode: str, sql: str, params: Any) -> Any:
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = await self._query("one", sql, params)
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = await self._query("all", sql, params)
        return rows

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        return await self._query("val", sql, params)


class Transaction(_Fetching):
    """An open write action. Only valid inside its ``async with db.transaction()`` block."""

    def __init__(self, db: Database, parent: Transaction | None) -> None:
        self._db = db
        self._root: Transaction = self if parent is None else parent._root
        self._owner = asyncio.current_task()
        self._open = True
        self._after_commit: list[Callable[[], None]] = []
        # Statements deferred to travel with the next one (root only): BEGIN, SAVEPOINT, RELEASE...
        self._opening: list[str] = ["BEGIN IMMEDIATE"] if parent is None else []
        self._began = False  # a statement went to the thread (with the BEGIN)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this action is committed (never if it rolls back), even if its task is
        cancelled meanwhile: for what must wait until other connections see the rows."""
        self._after_commit.append(callback)

    def _take_opening(self) -> list[str]:
        if not self._open:
            raise RuntimeError("this transaction is finished")
        root = self._root
        opening, root._opening, root._began = root._opening, [], True
        return opening

    async def _query(self, mode: str, sql: str, params: Any) -> Any:
        return await self._db._writer.call(_statement, self._take_opening(), mode, sql, params)

    async def execute(self, sql: str, params: Params = ()) -> Result:
        result: Result = await self._query("execute", sql, params)
        return result

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._query("many", sql, list(rows))

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT and return the new row id."""
        result = await self.execute(sql, params)
        if result.lastrowid is None:
            raise RuntimeError("INSERT did not produce a row id")
        return result.lastrowid


_current_transaction = contextvars.ContextVar[Transaction | None]("current_transaction", default=None)


@contextlib.contextmanager
def _entered(tx: Transaction) -> Generator[Transaction, None, None]:
    """``tx``'s block: its task joins ``tx`` until the block ends; ``tx`` is finished after it."""
    token = _current_transaction.set(tx)
    try:
        yield tx
    finally:
        _current_transaction.reset(token)
        tx._open = False


class Database(_Fetching):
    def __init__(self, writer: _Worker, path: Path) -> None:
        self._writer = writer
        self._reader: _Worker | None = None  # None for ":memory:" (a second connection is another db)
        self._checkpointer: _Worker | None = None  # None for ":memory:" (no WAL)
        self._checkpoints = DelayedRun(self._checkpoint, name="db-checkpoint")
        self.checkpoints = 0  # background checkpoints done (for tests and diagnostics)
        self._lock = asyncio.Lock()  # the write connection, from a transaction's start to its end
        self._queue: collections.deque[_Job] = collections.deque()
        self._runner: asyncio.Task[None] | None = None
        self._last_inline = float("-inf")
        self._savepoints = itertools.count(1)
        self._open_actions = 0
        self._no_open_action = asyncio.Event()
        self._no_open_action.set()
        self._closed: asyncio.Future[None] | None = None  # set once close() has begun
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
            # No COMMIT checkpoints (wal_autocheckpoint = 0): an automatic checkpoint runs inside the
            # COMMIT that pushes the WAL past 1,000 pages and holds that action's answer.
            await db._writer.start(path, "PRAGMA journal_mode = WAL", "PRAGMA wal_autocheckpoint = 0")
            await db._writer.call(migrations.apply)
            if not memory:
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
        if self._closed is not None:
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

    def _committed(self) -> None:
        if self._checkpointer is not None and self._closed is None:
            self._checkpoints.request(CHECKPOINT_DELAY)

    def _after_commit(self, callbacks: list[Callable[[], None]], done: asyncio.Future[None]) -> None:
        """Once a transaction's COMMIT is back: its callbacks, whatever became of the task that waited."""
        if done.cancelled() or done.exception() is not None:
            return
        self._committed()
        _run_callbacks(callbacks)

    async def _checkpoint(self) -> None:
        """Copy into the database file what no reader still needs (PASSIVE: never blocks the writer)."""
        assert self._checkpointer is not None
        try:
            await self._checkpointer.call(lambda conn: conn.execute("PRAGMA wal_checkpoint(PASSIVE)").close())
        except (sqlite3.Error, DatabaseClosed):
            log.warning("A WAL checkpoint failed; the next commit schedules another", exc_info=True)
        else:
            self.checkpoints += 1

    async def schema_version(self) -> int:
        return int(await self.fetchval("PRAGMA user_version"))

    # -- writes -----------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write action: committed on success, rolled back on any exception; the block exits only
        once it is committed. Nested in the task that opened it: a SAVEPOINT of the outer action."""
        outer = self._joined()
        if outer is not None:
            with self._savepoint(outer) as inner:
                yield inner
            return
        with self._action():
            async with self._lock:
                tx = Transaction(self, None)
                try:
                    with _entered(tx):
                        yield tx
                except BaseException:
                    if tx._began:  # handed over now: it runs before any later action, whatever we become
                        with contextlib.suppress(sqlite3.Error, DatabaseClosed):
                            await asyncio.shield(self._writer.call(_rollback))
                    raise
                if not tx._began:  # no statement ran: nothing to commit, no hand-off
                    _run_callbacks(tx._after_commit)
                    return
                done = self._writer.call(_commit, tx._opening)
                done.add_done_callback(functools.partial(self._after_commit, tx._after_commit))
                await asyncio.shield(done)

    @contextlib.contextmanager
    def _savepoint(self, outer: Transaction) -> Generator[Transaction, None, None]:
        """A nested block; its SAVEPOINT and its RELEASE (or ROLLBACK TO) go with the next statement."""
        name = f"s{next(self._savepoints)}"
        root = outer._root
        inner = Transaction(self, outer)
        root._opening.append(f"SAVEPOINT {name}")
        try:
            with _entered(inner):
                yield inner
        except BaseException:
            root._opening += [f"ROLLBACK TO {name}", f"RELEASE {name}"]
            raise
        root._opening.append(f"RELEASE {name}")
        outer._after_commit += inner._after_commit

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run the quick, synchronous ``fn(conn, *args)`` (no BEGIN/COMMIT/ROLLBACK) in a savepoint of its
        own and return its value once committed; if it raises, its rows are undone and it raises here.
        Inline when idle, else in the next batch; cancelled while queued it never runs, once taken it
        commits regardless. Inside this task's transaction(), a savepoint of that action."""
        outer = self._joined()
        if outer is not None:
            return await self._in_savepoint_of(outer, fn, args)
        with self._action():
            job = _Job(asyncio.get_running_loop().create_future(), fn, args)
            outcome = self._write_inline(fn, args)
            if outcome is not None:
                _settle(job.future, *outcome)
            else:
                self._queue.append(job)
                if self._runner is None or self._runner.done():
                    self._runner = asyncio.create_task(self._run_batches(), name="db-write-batches")
            return await job.future  # type: ignore[no-any-return]  # ok: fn's result

    async def _in_savepoint_of(self, outer: Transaction, fn: Callable[..., T], args: Any) -> T:
        name = f"s{next(self._savepoints)}"
        return await self._writer.call(_in_savepoint, name, fn, args, outer._take_opening())

    def _write_inline(self, fn: Callable[..., Any], args: Any) -> _Outcome | None:
        """The action alone on the loop's thread (a hand-off costs more than a click's statements and
        COMMIT) when nothing else is writing and the last inline write is ``INLINE_SPACING`` old; None
        otherwise, or when another process holds the lock (never waited for here)."""
        conn, now = self._writer.conn, time.monotonic()
        writing = self._writer.busy or self._lock.locked() or self._queue
        if conn is None or writing or now - self._last_inline < INLINE_SPACING:
            return None
        conn.execute("PRAGMA busy_timeout = 0")  # another process's lock: to the thread, which waits
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            return None
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._last_inline = now
        [outcome] = _write_batch(conn, [(fn, args)], begun=True)
        self._committed()
        return outcome

    async def _run_batches(self) -> None:
        jobs: list[_Job] = []
        try:
            while self._queue:
                async with self._lock:
                    taken = [self._queue.popleft() for _ in range(min(len(self._queue), BATCH_MAX))]
                    jobs = [job for job in taken if not job.future.done()]  # not cancelled while queued
                    if not jobs:
                        continue
                    call = self._writer.call(_write_batch, [(job.fn, job.args) for job in jobs])
                    # Delivered by the call itself, so the callers learn the outcome even if we are cancelled.
                    call.add_done_callback(functools.partial(self._deliver, jobs))
                    jobs = []
                    await asyncio.wait([call])  # never raises what the callers get
        except BaseException as error:  # cancelled (the loop is ending) or closed: nothing more runs
            for job in [*jobs, *self._queue]:
                _settle(job.future, None, DatabaseClosed("the database is closed"))
            self._queue.clear()
            if not isinstance(error, DatabaseClosed):
                raise

    def _deliver(self, jobs: list[_Job], call: asyncio.Future[list[_Outcome]]) -> None:
        error = asyncio.CancelledError() if call.cancelled() else call.exception()
        if error is None:
            self._committed()
        outcomes = call.result() if error is None else [(None, error)] * len(jobs)
        for job, (value, failure) in zip(jobs, outcomes, strict=True):
            _settle(job.future, value, failure)

    # -- reads ------------------------------------------------------------------------------------

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` on the read connection, in one hand-off and one snapshot. ``fn``
        must only read. Inside a transaction() of this task it runs in that action instead."""
        outer = self._joined()
        if outer is not None:
            return await self._in_savepoint_of(outer, fn, args)
        result: T = await self._on_reader(_read_function, fn, args)
        return result

    async def _on_reader(self, job: Callable[..., Any], *args: Any) -> Any:
        if self._reader is None:  # ":memory:": the one connection, between write actions
            async with self._lock:
                return await self._writer.call(job, *args)
        return await self._reader.call(job, *args)

    async def _query(self, mode: str, sql: str, params: Any) -> Any:
        tx = self._joined()
        if tx is not None:
            return await tx._query(mode, sql, params)
        return await self._on_reader(_statement, [], mode, sql, params)

    async def size_bytes(self) -> int:
        """Database size including the WAL file, for /about."""
        pages = await self.fetchval(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
        )
        wal = self.path.with_name(self.path.name + "-wal")
        return int(pages) + (wal.stat().st_size if wal.exists() else 0)
