"""The storage layer: migrations, serialized transactions, backups. Real SQLite files only."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import bot.db
import bot.migrations
from bot.cli.backup import copy_database
from bot.db import Database
from bot.migrations import MIGRATION_NAME, load_migrations


def shipped_migration_files() -> list[str]:
    return sorted(
        entry.name for entry in resources.files("bot.migrations").iterdir() if entry.name.endswith(".sql")
    )


async def names(db: Database, kind: str) -> set[str]:
    rows = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'", (kind,)
    )
    return {row["name"] for row in rows}


async def meta_keys(db: Database) -> list[str]:
    return [row["key"] for row in await db.fetchall("SELECT key FROM meta ORDER BY key")]


# -- migrations -----------------------------------------------------------------------------------


def test_every_shipped_migration_file_is_well_named_and_numbered() -> None:
    files = shipped_migration_files()
    assert files, "no migrations shipped"
    assert all(MIGRATION_NAME.match(name) for name in files), files
    assert [version for version, _, _ in load_migrations()] == list(range(1, len(files) + 1))


async def test_all_migrations_give_the_expected_schema(db: Database) -> None:
    assert await db.schema_version() == len(shipped_migration_files())
    assert {"meta", "timers", "member_settings"} <= await names(db, "table")
    assert {"timers_pending_due", "timers_kind"} <= await names(db, "index")
    timer_columns = [row["name"] for row in await db.fetchall("PRAGMA table_info(timers)")]
    assert timer_columns[:9] == [
        "id",
        "kind",
        "due_at",
        "payload",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "finished_at",
    ]
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA integrity_check") == "ok"
    assert await db.fetchall("PRAGMA foreign_key_check") == []


async def test_constraints_refuse_what_the_code_forgot(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO timers (kind, due_at, status, created_at) VALUES ('x', '2027', 'maybe', '2027')"
            )
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO timers (kind, due_at, payload, created_at) "
                "VALUES ('x', '2027', '{not json', '2027')"
            )
    assert await db.fetchval("SELECT COUNT(*) FROM timers") == 0


async def test_reopening_applies_nothing_twice_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "reopen.db"
    first = await Database.open(path)
    async with first.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('kept', 'yes')")
    version = await first.schema_version()
    schema = await first.fetchall("SELECT type, name, sql FROM sqlite_master ORDER BY name")
    await first.close()

    for _ in range(2):
        again = await Database.open(path)
        try:
            assert await again.schema_version() == version
            assert [
                tuple(r)
                for r in await again.fetchall("SELECT type, name, sql FROM sqlite_master ORDER BY name")
            ] == [tuple(r) for r in schema]
            assert await again.fetchval("SELECT value FROM meta WHERE key = 'kept'") == "yes"
        finally:
            await again.close()


def with_broken_migration(real: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    version = len(real) + 1
    broken_sql = "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"
    return [*real, (version, f"{version:04d}_broken.sql", broken_sql)]


async def test_a_failing_migration_leaves_the_database_at_its_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "upgrade.db"
    db = await Database.open(path)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('before', 'upgrade')")
    old_version = await db.schema_version()
    await db.close()

    real = load_migrations()
    monkeypatch.setattr(bot.migrations, "load_migrations", lambda: with_broken_migration(real))
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await Database.open(path)
    monkeypatch.undo()

    db = await Database.open(path)
    try:
        assert await db.schema_version() == old_version
        assert "half_done" not in await names(db, "table")
        assert await db.fetchval("SELECT value FROM meta WHERE key = 'before'") == "upgrade"
    finally:
        await db.close()


async def test_a_failing_migration_on_an_empty_database_leaves_it_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "fresh.db"
    real = load_migrations()
    monkeypatch.setattr(bot.migrations, "load_migrations", lambda: with_broken_migration(real))
    with pytest.raises(sqlite3.OperationalError):
        await Database.open(path)

    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 0
        assert raw.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
    finally:
        raw.close()


async def test_a_database_newer_than_the_bot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    db = await Database.open(path)
    newer = await db.schema_version() + 1
    await db.close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {newer}")
    raw.close()
    with pytest.raises(RuntimeError, match="newer than this bot"):
        await Database.open(path)


# -- transactions ---------------------------------------------------------------------------------


async def test_concurrent_actions_never_commit_each_others_partial_writes(db: Database) -> None:
    a_wrote = asyncio.Event()

    async def action_a() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('a.half', 'partial')")
            a_wrote.set()
            await asyncio.sleep(0.05)  # let B run its whole action meanwhile, if it could
            raise RuntimeError("A fails halfway")

    async def action_b() -> None:
        await a_wrote.wait()
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('b.whole', 'done')")

    result_a, result_b = await asyncio.gather(action_a(), action_b(), return_exceptions=True)
    assert isinstance(result_a, RuntimeError)
    assert result_b is None
    assert await meta_keys(db) == ["b.whole"]

    # And on disk, as another process would see it.
    raw = sqlite3.connect(db.path)
    try:
        assert raw.execute("SELECT key FROM meta ORDER BY key").fetchall() == [("b.whole",)]
    finally:
        raw.close()


async def test_a_nested_transaction_joins_the_outer_one(db: Database) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.transaction() as outer:
            await outer.execute("INSERT INTO meta (key, value) VALUES ('outer', '1')")
            async with db.transaction() as inner:
                assert await inner.fetchval("SELECT value FROM meta WHERE key = 'outer'") == "1"
                await inner.execute("INSERT INTO meta (key, value) VALUES ('inner', '1')")
            assert await db.fetchval("SELECT COUNT(*) FROM meta") == 2  # reads join it too
            raise Abort
    assert await meta_keys(db) == []

    async with db.transaction() as outer:
        await outer.execute("INSERT INTO meta (key, value) VALUES ('outer', '1')")
        async with db.transaction() as inner:
            await inner.execute("INSERT INTO meta (key, value) VALUES ('inner', '1')")
    assert await meta_keys(db) == ["inner", "outer"]


async def test_reads_outside_a_transaction_never_see_another_tasks_uncommitted_rows(db: Database) -> None:
    a_wrote = asyncio.Event()
    b_reading = asyncio.Event()

    async def writer_that_rolls_back() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('secret', 'uncommitted')")
            a_wrote.set()
            await b_reading.wait()
            await asyncio.sleep(0.05)  # B's read is now issued and must wait for us
            raise RuntimeError("rolled back")

    async def reader() -> object:
        await a_wrote.wait()
        b_reading.set()
        return await db.fetchval("SELECT value FROM meta WHERE key = 'secret'")

    write_result, seen = await asyncio.gather(writer_that_rolls_back(), reader(), return_exceptions=True)
    assert isinstance(write_result, RuntimeError)
    assert seen is None


async def test_insert_returns_the_row_id_and_commits(db: Database) -> None:
    async with db.transaction() as tx:
        first = await tx.insert(
            "INSERT INTO timers (kind, due_at, created_at) VALUES ('x', '2027-01-01T00:00:00+00:00', '2027')"
        )
        second = await tx.insert(
            "INSERT INTO timers (kind, due_at, created_at) VALUES ('x', '2027-01-02T00:00:00+00:00', '2027')"
        )
    assert second == first + 1
    assert await db.fetchval("SELECT kind FROM timers WHERE id = ?", (second,)) == "x"


# -- backups --------------------------------------------------------------------------------------


async def test_backup_is_a_consistent_copy_while_writes_happen(db: Database, tmp_path: Path) -> None:
    pairs = 300
    writing = asyncio.Event()

    async def write_pairs() -> None:
        for i in range(pairs):
            # Each action writes two rows; a consistent copy has both or neither.
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'a')", (f"pair.{i}.a",))
                writing.set()
                await asyncio.sleep(0)
                await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'b')", (f"pair.{i}.b",))

    async def take_backups() -> list[Path]:
        await writing.wait()
        copies = []
        for n in range(5):
            dest = tmp_path / "backups" / f"copy-{n}.db"
            await asyncio.to_thread(copy_database, db.path, dest)
            copies.append(dest)
        return copies

    _, copies = await asyncio.gather(write_pairs(), take_backups())
    final = tmp_path / "backups" / "final.db"
    await asyncio.to_thread(copy_database, db.path, final)

    version = await db.schema_version()
    for copy in [*copies, final]:
        raw = sqlite3.connect(copy)
        try:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert raw.execute("PRAGMA user_version").fetchone()[0] == version
            a_rows = raw.execute("SELECT COUNT(*) FROM meta WHERE value = 'a'").fetchone()[0]
            b_rows = raw.execute("SELECT COUNT(*) FROM meta WHERE value = 'b'").fetchone()[0]
            assert a_rows == b_rows, copy
        finally:
            raw.close()
    raw = sqlite3.connect(final)
    try:
        assert raw.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 2 * pairs
    finally:
        raw.close()


def test_backup_of_a_missing_database_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        copy_database(tmp_path / "nope.db", tmp_path / "copy.db")


# -- grouped commits ------------------------------------------------------------------------------


ROOT = Path(__file__).resolve().parents[1]


async def someone_waits(db: Database) -> None:
    """Until a task waits for the write lock (test-only peek at the lock's waiters)."""
    while not db._lock._waiters:  # noqa: ASYNC110 - no event for it
        await asyncio.sleep(0.001)


def count_commits(db: Database) -> list[str]:
    """Every COMMIT the write connection runs from now on (test-only peek at the connection)."""
    seen: list[str] = []
    conn = db._writer.conn
    assert conn is not None
    conn.set_trace_callback(lambda sql: seen.append(sql) if sql.strip().upper() == "COMMIT" else None)
    return seen


def count_hand_offs(db: Database) -> list[str]:
    """The name of every function handed to the write thread from now on (test-only peek)."""
    seen: list[str] = []
    call = db._writer.call

    def counting_call(fn: Any, *args: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return call(fn, *args)

    db._writer.call = counting_call  # type: ignore[method-assign]
    return seen


def count_inline_writes(db: Database) -> list[str]:
    """The name of every write() function run on the loop's thread from now on (test-only peek)."""
    seen: list[str] = []
    write_inline = db._write_inline

    def counting_inline(fn: Any, args: Any) -> Any:
        outcome = write_inline(fn, args)
        if outcome is not None:
            seen.append(getattr(fn, "__name__", repr(fn)))
        return outcome

    db._write_inline = counting_inline  # type: ignore[method-assign]
    return seen


async def test_transaction_blocks_commit_alone_and_writes_share_commits(db: Database) -> None:
    commits = count_commits(db)

    async def action(i: int) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'a')", (f"k{i:03d}.a",))
            await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'b')", (f"k{i:03d}.b",))

    async def fast(i: int) -> int:
        def run(conn: sqlite3.Connection) -> int:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, 'f')", (f"f{i:03d}",))
            return i

        return await db.write(run)

    results = await asyncio.gather(*(action(i) for i in range(100)), *(fast(i) for i in range(100)))
    assert results[100:] == list(range(100))
    assert await db.fetchval("SELECT COUNT(*) FROM meta") == 300
    # One COMMIT per transaction() block; the 100 write() calls share a few.
    assert 100 < len(commits) <= 110, len(commits)


async def test_a_failing_action_rolls_back_only_itself_inside_its_group(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('taken', 'before')")
    commits = count_commits(db)

    async def action(i: int) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'a')", (f"k{i:03d}.a",))
            await asyncio.sleep(0)  # others queue up behind us, so we share a group
            if i % 3 == 0:
                raise RuntimeError(f"action {i} fails halfway")
            if i % 3 == 1:
                # A constraint error from SQLite itself, after this action's first write.
                await tx.execute("INSERT INTO meta (key, value) VALUES ('taken', 'again')")
            await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'b')", (f"k{i:03d}.b",))

    async def fast(i: int) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO meta (key, value) VALUES (?, 'f')", (f"f{i:03d}",))
            if i % 2:
                conn.execute("INSERT INTO meta (key, value) VALUES (?, 'f')", (f"f{i:03d}",))

        await db.write(run)

    results = await asyncio.gather(
        *(action(i) for i in range(60)), *(fast(i) for i in range(20)), return_exceptions=True
    )
    for i, result in enumerate(results[:60]):
        if i % 3 == 0:
            assert isinstance(result, RuntimeError)
        elif i % 3 == 1:
            assert isinstance(result, sqlite3.IntegrityError)
        else:
            assert result is None
    for i, result in enumerate(results[60:]):
        assert isinstance(result, sqlite3.IntegrityError) if i % 2 else result is None
    stored = {row["key"]: row["value"] for row in await db.fetchall("SELECT key, value FROM meta")}
    for i in range(60):
        if i % 3 == 2:
            assert stored[f"k{i:03d}.a"] == "a" and stored[f"k{i:03d}.b"] == "b"
        else:
            assert f"k{i:03d}.a" not in stored and f"k{i:03d}.b" not in stored
    for i in range(20):
        assert (f"f{i:03d}" in stored) == (i % 2 == 0)
    assert stored["taken"] == "before"
    assert len(stored) == 1 + 2 * 20 + 10
    assert len(commits) < 40, len(commits)
    assert await db.fetchval("PRAGMA integrity_check") == "ok"


async def test_a_short_action_is_acknowledged_at_its_own_commit_not_a_later_actions(db: Database) -> None:
    """Defect: group commit left a finished action's COMMIT to the action waiting behind it, so a
    one-row action was acknowledged only when a 300-statement action that queued after it was done."""
    order: list[str] = []
    short_wrote = asyncio.Event()

    async def short() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('short', '1')")
            short_wrote.set()
            await someone_waits(db)  # the long action queues behind us
        order.append("short acknowledged")
        # Acknowledged means committed: another connection sees it.
        raw = sqlite3.connect(db.path)
        try:
            assert raw.execute("SELECT value FROM meta WHERE key = 'short'").fetchone() == ("1",)
        finally:
            raw.close()

    async def long() -> None:
        await short_wrote.wait()
        async with db.transaction() as tx:
            for i in range(300):
                await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'l')", (f"long{i:03d}",))
            order.append("long wrote everything")

    await asyncio.gather(short(), long())
    assert order == ["short acknowledged", "long wrote everything"]
    assert await db.fetchval("SELECT COUNT(*) FROM meta") == 301


async def test_reads_see_only_committed_rows(db: Database) -> None:
    inside = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('first', '1')")
            inside.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await inside.wait()
    assert await db.fetchval("SELECT value FROM meta WHERE key = 'first'") is None
    assert await db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM meta").fetchone()[0]) == 0
    release.set()
    await task
    assert await meta_keys(db) == ["first"]


async def test_a_cancelled_waiter_does_not_leave_its_group_uncommitted(db: Database) -> None:
    holder_in = asyncio.Event()
    finish_holder = asyncio.Event()

    async def holder() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('held', '1')")
            holder_in.set()
            await finish_holder.wait()

    async def waiter() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('never', '1')")

    held = asyncio.create_task(holder())
    await holder_in.wait()
    waiting = asyncio.create_task(waiter())
    await someone_waits(db)
    finish_holder.set()
    await asyncio.sleep(0)  # the holder finishes and leaves the commit to the waiter...
    waiting.cancel()  # ...which is cancelled before it gets the lock
    async with asyncio.timeout(5):
        await held
    assert waiting.cancelled() or waiting.done()
    assert "held" in await meta_keys(db)


async def test_write_runs_a_function_as_one_action(db: Database) -> None:
    def put(conn: sqlite3.Connection, key: str) -> int:
        cursor = conn.execute("INSERT INTO meta (key, value) VALUES (?, 'w') RETURNING rowid", (key,))
        return int(cursor.fetchone()[0])

    def put_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('half', 'w')")
        raise LookupError("refused after a write")

    assert await db.write(put, "one") >= 1
    with pytest.raises(LookupError):
        await db.write(put_then_fail)
    assert await meta_keys(db) == ["one"]

    # Inside a transaction() block it joins that action, and rolls back with it.
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await db.write(put, "joined")
            assert await tx.fetchval("SELECT value FROM meta WHERE key = 'joined'") == "w"
            raise RuntimeError("abort")
    assert await meta_keys(db) == ["one"]

    def both(conn: sqlite3.Connection) -> tuple[int, int]:
        return conn.execute("SELECT COUNT(*) FROM meta").fetchone()[0], conn.execute(
            "PRAGMA foreign_keys"
        ).fetchone()[0]

    assert await db.read(both) == (1, 1)


async def test_concurrent_writes_go_to_the_thread_in_batches_one_commit_each(db: Database) -> None:
    commits = count_commits(db)
    hand_offs = count_hand_offs(db)

    def put(conn: sqlite3.Connection, i: int) -> int:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, 'w')", (f"w{i:04d}",))
        return i

    inline = count_inline_writes(db)
    results = await asyncio.gather(*(db.write(put, i) for i in range(1000)))
    assert results == list(range(1000))
    assert await db.fetchval("SELECT COUNT(*) FROM meta") == 1000
    # 1,000 actions at once: the first runs inline (the database was idle), the rest in a handful of
    # batches (BATCH_MAX each), not 1,000 trips. On a loaded machine the tasks start slowly enough that
    # the writer is idle again between batches, and a few more run inline, each its own COMMIT.
    assert len(hand_offs) <= 8, hand_offs
    assert 1 <= len(inline) <= 8, len(inline)
    assert len(commits) == len(hand_offs) + len(inline)


async def test_results_of_queued_jobs_wake_the_loop_once_per_batch(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    wake_ups = 0
    call_soon_threadsafe = loop.call_soon_threadsafe

    def counting(callback: Any, *args: Any) -> Any:
        nonlocal wake_ups
        wake_ups += 1
        return call_soon_threadsafe(callback, *args)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counting)
    values = await asyncio.gather(*(db.fetchval("SELECT ?", (i,)) for i in range(500)))
    assert values == list(range(500))
    # Each result reaches its caller, but the reads queued together come back together.
    assert wake_ups < 250, wake_ups


async def test_checkpoints_run_off_the_write_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.db, "CHECKPOINT_DELAY", 0.01)
    db = await Database.open(tmp_path / "checkpoints.db")
    # No COMMIT runs a checkpoint itself: it would hold that action's answer for milliseconds.
    assert await db._writer.call(lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0

    def put(conn: sqlite3.Connection, i: int) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{i:04d}", "x" * 500))

    for wave in range(5):
        await asyncio.gather(*(db.write(put, wave * 400 + i) for i in range(400)))
    async with asyncio.timeout(5):
        while db.checkpoints == 0:  # noqa: ASYNC110 - the checkpoint runs on its own schedule
            await asyncio.sleep(0.01)
    assert await db.fetchval("SELECT COUNT(*) FROM meta") == 2000
    path = db.path
    await db.close()
    # Closing checkpoints the rest: the file alone holds everything.
    wal = Path(f"{path}-wal")
    assert not await asyncio.to_thread(wal.exists)
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 2000
    finally:
        raw.close()


def whoami_on(db: Database) -> str:
    """Give both connections a whoami() that names the thread a statement runs on; the loop's name."""

    def whoami() -> str:
        return threading.current_thread().name

    for worker in (db._writer, db._reader):
        assert worker is not None and worker.conn is not None
        worker.conn.create_function("whoami", 0, whoami)
    return threading.current_thread().name


def where(conn: sqlite3.Connection) -> str:
    return str(conn.execute("SELECT whoami()").fetchone()[0])


async def test_no_read_runs_on_the_event_loop_thread(db: Database) -> None:
    """Defect: one-row reads (fetchone/fetchval) ran on the loop's thread whenever the reader was idle,
    whatever the query cost. Every read runs on the read thread."""
    loop_thread = whoami_on(db)
    await asyncio.sleep(0.05)  # idle
    seen = [
        await db.fetchval("SELECT whoami()"),
        (await db.fetchone("SELECT whoami()"))[0],  # type: ignore[index]
        await db.read(where),
    ]
    assert loop_thread not in seen and set(seen) == {"db-read"}, seen


async def test_a_write_runs_inline_when_idle_and_on_the_thread_otherwise(db: Database) -> None:
    loop_thread = whoami_on(db)
    hand_offs = count_hand_offs(db)
    await asyncio.sleep(bot.db.INLINE_SPACING)
    assert await db.write(where) == loop_thread  # idle: no hand-off
    assert hand_offs == []
    assert await db.write(where) == "db-write"  # within INLINE_SPACING of the last inline one
    await asyncio.sleep(bot.db.INLINE_SPACING)
    async with db.transaction() as tx:  # the write lock is taken: a write waits for it on the thread
        await tx.execute("INSERT INTO meta (key, value) VALUES ('tx', '1')")
        queued = asyncio.create_task(db.write(where))
        await asyncio.sleep(0)
        assert not queued.done()
    assert await queued == "db-write"
    await asyncio.sleep(bot.db.INLINE_SPACING)
    # The thread has a job (a batch, a transaction's COMMIT): the write goes to it, after that job.
    await asyncio.sleep(bot.db.INLINE_SPACING)
    on_thread = db._writer.call(lambda conn: time.sleep(0.02))
    assert await db.write(where) == "db-write"
    assert on_thread.done()


async def test_writes_in_a_burst_are_committed_together_on_the_thread(db: Database) -> None:
    commits = count_commits(db)

    def put(conn: sqlite3.Connection, i: int) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, 'b')", (f"b{i:04d}",))

    # 300 at once, closer together than INLINE_SPACING: the first runs on the loop, the rest share a
    # few COMMITs on the database thread.
    await asyncio.gather(*(db.write(put, i) for i in range(300)))
    assert await db.fetchval("SELECT COUNT(*) FROM meta") == 300
    assert len(commits) <= 10, len(commits)


async def test_an_inline_write_that_fails_undoes_only_its_own_rows(db: Database) -> None:
    await db.write(lambda conn: conn.execute("INSERT INTO meta (key, value) VALUES ('kept', '1')"))

    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('half', '1')")
        conn.execute("INSERT INTO meta (key, value) VALUES ('kept', '2')")  # the primary key refuses it

    def aborted(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('aborted', '1')")
        raise Abort

    hand_offs = count_hand_offs(db)
    await asyncio.sleep(bot.db.INLINE_SPACING)
    with pytest.raises(sqlite3.IntegrityError):
        await db.write(half_done)
    await asyncio.sleep(bot.db.INLINE_SPACING)
    with pytest.raises(Abort):
        await db.write(aborted)
    assert hand_offs == []  # both ran inline
    assert await meta_keys(db) == ["kept"]
    conn = db._writer.conn
    assert conn is not None and not conn.in_transaction
    await asyncio.sleep(bot.db.INLINE_SPACING)
    await db.write(lambda conn: conn.execute("INSERT INTO meta (key, value) VALUES ('next', '1')"))
    assert await meta_keys(db) == ["kept", "next"]


async def test_an_inline_write_never_blocks_the_loop_on_another_process_lock(db: Database) -> None:
    def put(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('waited', '1')")

    hand_offs = count_hand_offs(db)
    raw = sqlite3.connect(db.path, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        await asyncio.sleep(bot.db.INLINE_SPACING)
        started = time.monotonic()
        write = asyncio.create_task(db.write(put))
        await asyncio.sleep(0.05)
        # The inline attempt gave up at once (busy timeout 0) and the write waits on the thread.
        assert time.monotonic() - started < 1.0
        assert not write.done()
        assert hand_offs == ["_write_batch"]
        raw.execute("COMMIT")
        async with asyncio.timeout(5):
            await write
    finally:
        raw.close()
    assert await meta_keys(db) == ["waited"]
    # The write connection waits for locks again as before.
    assert await db._writer.call(lambda conn: conn.execute("PRAGMA busy_timeout").fetchone()[0]) == 5000


async def test_a_write_cancelled_while_queued_never_runs(db: Database) -> None:
    holder_in = asyncio.Event()
    finish_holder = asyncio.Event()

    async def holder() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('held', '1')")
            holder_in.set()
            await finish_holder.wait()

    def never(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('never', '1')")

    def kept(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('kept', '1')")

    held = asyncio.create_task(holder())
    await holder_in.wait()
    cancelled = asyncio.create_task(db.write(never))
    after = asyncio.create_task(db.write(kept))
    await someone_waits(db)  # the batch runner waits for the lock the holder has
    cancelled.cancel()
    finish_holder.set()
    async with asyncio.timeout(5):
        await held
        await after
    assert cancelled.cancelled()
    assert await meta_keys(db) == ["held", "kept"]


async def test_a_transaction_lost_inside_a_batch_fails_every_action_of_it(db: Database) -> None:
    """If SQLite ends the transaction itself mid-batch (I/O error, full disk; simulated here by a
    ROLLBACK), the actions before it in the batch were lost too: every caller of it gets the error."""
    holder_in = asyncio.Event()
    finish_holder = asyncio.Event()

    async def holder() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('held', '1')")
            holder_in.set()
            await finish_holder.wait()

    def put(conn: sqlite3.Connection, key: str) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (key,))

    def lose_everything(conn: sqlite3.Connection) -> None:
        conn.execute("ROLLBACK")

    held = asyncio.create_task(holder())
    await holder_in.wait()
    # Queued behind the holder, so the three go to the thread as one batch.
    writes = [
        asyncio.create_task(db.write(put, "before")),
        asyncio.create_task(db.write(lose_everything)),
        asyncio.create_task(db.write(put, "after")),
    ]
    await someone_waits(db)
    finish_holder.set()
    results = await asyncio.gather(held, *writes, return_exceptions=True)
    assert results[0] is None  # the transaction() block committed alone, before the batch
    assert all(isinstance(result, sqlite3.Error) for result in results[1:]), results
    assert await meta_keys(db) == ["held"]
    await db.write(put, "next")  # the database is usable again
    assert await meta_keys(db) == ["held", "next"]


CRASH_SCRIPT = """
import asyncio, sqlite3, sys
from bot.db import Database

async def main() -> None:
    db = await Database.open(sys.argv[1])

    async def action(i: int) -> None:
        if i % 2:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'a')", (f"{i}.a",))
                await asyncio.sleep(0)
                await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'b')", (f"{i}.b",))
        else:
            def run(conn: sqlite3.Connection) -> None:
                conn.execute("INSERT INTO meta (key, value) VALUES (?, 'a')", (f"{i}.a",))
                conn.execute("INSERT INTO meta (key, value) VALUES (?, 'b')", (f"{i}.b",))
            await db.write(run)
        print(i, flush=True)  # acknowledged

    async def waves() -> None:
        for wave in range(10_000):
            await asyncio.gather(*(action(wave * 50 + i) for i in range(50)))

    await waves()

asyncio.run(main())
"""


async def test_sigkill_during_grouped_writes_keeps_every_acknowledged_action_whole(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    await (await Database.open(path)).close()  # migrated before the child starts
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASH_SCRIPT,
        str(path),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    acknowledged: set[int] = set()
    async with asyncio.timeout(60):
        while len(acknowledged) < 2000:
            line = await child.stdout.readline()
            assert line, "the writer stopped early"
            acknowledged.add(int(line))
    os.kill(child.pid, signal.SIGKILL)
    await child.wait()
    # Whatever it printed after we stopped reading is acknowledged too.
    rest = await child.stdout.read()
    acknowledged |= {int(line) for line in rest.split()}

    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT key FROM meta")
        stored = {row["key"] for row in rows}
        for i in acknowledged:
            assert {f"{i}.a", f"{i}.b"} <= stored, i
        actions = {key.split(".")[0] for key in stored}
        for action in actions:
            assert {f"{action}.a", f"{action}.b"} <= stored, action  # never half an action
        assert await db.fetchval("PRAGMA integrity_check") == "ok"
    finally:
        await db.close()


# -- counters kept by triggers ---------------------------------------------------------------------


async def test_pending_timer_counter_follows_every_change(db: Database) -> None:
    from bot.repositories import timers as timers_repo

    async def check() -> None:
        real = await db.fetchval("SELECT COUNT(*) FROM timers WHERE status = 'pending'")
        assert await timers_repo.pending_count(db) == real

    async with db.transaction() as tx:
        for i in range(5):
            await tx.execute(
                "INSERT INTO timers (kind, due_at, created_at) VALUES ('x', ?, '2027')", (f"2027-0{i}",)
            )
        await tx.execute(
            "INSERT INTO timers (kind, due_at, created_at, status) VALUES ('x', '1', '1', 'done')"
        )
    await check()
    async with db.transaction() as tx:
        await tx.execute("UPDATE timers SET status = 'done' WHERE id IN (1, 2)")
        await tx.execute("UPDATE timers SET status = 'pending' WHERE id = 6")
        await tx.execute("UPDATE timers SET due_at = '2028' WHERE id = 3")
        await tx.execute("DELETE FROM timers WHERE id IN (4, 1)")
    await check()
    assert await timers_repo.pending_count(db) == 3


async def test_execute_answers_rowcount_and_lastrowid_and_runs_returning_to_its_end(db: Database) -> None:
    async with db.transaction() as tx:
        inserted = await tx.execute("INSERT INTO meta (key, value) VALUES ('a', '1'), ('b', '2')")
        assert inserted.rowcount == 2 and inserted.lastrowid is not None
        result = await tx.execute("UPDATE meta SET value = 'x' WHERE key IN ('a', 'b') RETURNING value")
        assert result.rowcount == 2
        row = await tx.fetchone("UPDATE meta SET value = 'y' WHERE key = ? RETURNING value", ("a",))
        assert row is not None and row["value"] == "y"
    assert [row["value"] for row in await db.fetchall("SELECT value FROM meta ORDER BY key")] == ["y", "x"]


# -- hardening: one test per defect the review found in the grouped-commit layer ------------------


async def test_calls_after_close_raise_at_once(tmp_path: Path) -> None:
    """Defect: after close(), a transaction() (an interaction arriving during shutdown) waited
    forever on a hand-off to a stopped thread, so the process never exited."""
    db = await Database.open(tmp_path / "closed.db")
    await db.close()

    async def late_transaction() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('late', '1')")

    for call in (
        late_transaction(),
        db.write(lambda conn: None),
        db.read(lambda conn: None),
        db.fetchval("SELECT 1"),
    ):
        with pytest.raises(Exception) as raised:
            async with asyncio.timeout(2):  # the old layer hung here
                await call
        assert type(raised.value).__name__ == "DatabaseClosed", repr(raised.value)
    await db.close()  # a second close does nothing


async def test_close_waits_for_open_actions_and_refuses_new_ones(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "closing.db")
    inside = asyncio.Event()
    release = asyncio.Event()

    async def open_action() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('open', '1')")
            inside.set()
            await release.wait()
            await tx.execute("INSERT INTO meta (key, value) VALUES ('open', '2') ON CONFLICT DO NOTHING")

    action = asyncio.create_task(open_action())
    await inside.wait()
    closing = asyncio.create_task(db.close())
    await asyncio.sleep(0.05)
    assert not closing.done()  # waits for the open action
    with pytest.raises(bot.db.DatabaseClosed):
        await db.write(lambda conn: None)  # a new one is refused at once
    release.set()
    async with asyncio.timeout(5):
        await action
        await closing
    raw = sqlite3.connect(tmp_path / "closing.db")
    try:
        assert raw.execute("SELECT key FROM meta").fetchall() == [("open",)]
    finally:
        raw.close()


async def test_close_rolls_back_an_action_that_outlives_its_timeout(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "stuck.db")
    inside = asyncio.Event()

    async def stuck() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('stuck', '1')")
            inside.set()
            await asyncio.sleep(1)
            await tx.execute("INSERT INTO meta (key, value) VALUES ('stuck2', '1')")

    action = asyncio.create_task(stuck())
    await inside.wait()
    async with asyncio.timeout(5):
        await db.close(grace=0.1)
        with pytest.raises(bot.db.DatabaseClosed):
            await action
    raw = sqlite3.connect(tmp_path / "stuck.db")
    try:
        assert raw.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 0
    finally:
        raw.close()


async def test_a_task_created_inside_a_transaction_does_not_join_it(db: Database) -> None:
    """Defect: the joined transaction is a context variable, copied by create_task: a task made inside
    a block joined it, and its later block joined an action that had already finished."""
    committed = asyncio.Event()
    seen_inside: list[bool] = []

    async def later() -> None:
        seen_inside.append(db.in_transaction())
        await committed.wait()
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('later', '1')")

    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('outer', '1')")
        task = asyncio.create_task(later())
        await asyncio.sleep(0)
    committed.set()
    async with asyncio.timeout(5):
        await task
    assert seen_inside == [False]
    raw = sqlite3.connect(db.path)
    try:
        assert sorted(raw.execute("SELECT key FROM meta").fetchall()) == [("later",), ("outer",)]
    finally:
        raw.close()
    # A finished transaction refuses statements instead of running them outside any action.
    with pytest.raises(RuntimeError, match="finished"):
        await tx.execute("INSERT INTO meta (key, value) VALUES ('stale', '1')")


async def test_a_nested_block_that_fails_undoes_only_its_own_rows(db: Database) -> None:
    """Defect: a nested transaction()/write() had no savepoint of its own: an inner failure the
    caller caught still committed the inner block's partial writes."""

    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('write.half', '1')")
        raise LookupError("refused")

    after_commit: list[str] = []
    async with db.transaction() as outer:
        await outer.execute("INSERT INTO meta (key, value) VALUES ('outer.before', '1')")
        with pytest.raises(RuntimeError):
            async with db.transaction() as inner:
                await inner.execute("INSERT INTO meta (key, value) VALUES ('inner.half', '1')")
                inner.after_commit(lambda: after_commit.append("failed inner"))
                raise RuntimeError("inner fails")
        with pytest.raises(LookupError):
            await db.write(half_then_fail)
        async with db.transaction() as kept:
            await kept.execute("INSERT INTO meta (key, value) VALUES ('inner.kept', '1')")
            kept.after_commit(lambda: after_commit.append("kept inner"))
        await outer.execute("INSERT INTO meta (key, value) VALUES ('outer.after', '1')")
    assert await meta_keys(db) == ["inner.kept", "outer.after", "outer.before"]
    assert after_commit == ["kept inner"]


class Abort(BaseException):
    """Not an Exception: what a KeyboardInterrupt or a cancellation looks like to the batch."""


async def test_a_base_exception_in_a_batch_undoes_its_rows_and_batches_go_on(db: Database) -> None:
    """Defect: a BaseException that is not an Exception escaped the batch without undoing the action's
    rows (the next write committed them) and stopped the batch runner."""

    def half_then_abort(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('half', '1')")
        raise Abort

    def put(conn: sqlite3.Connection, key: str) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (key,))

    results = await asyncio.gather(
        db.write(put, "before"), db.write(half_then_abort), db.write(put, "after"), return_exceptions=True
    )
    assert results[0] is None and isinstance(results[1], Abort) and results[2] is None
    async with asyncio.timeout(5):
        await db.write(put, "next")
    assert await meta_keys(db) == ["after", "before", "next"]


async def test_after_commit_runs_even_if_the_caller_is_cancelled_waiting_for_the_commit(
    db: Database,
) -> None:
    """Defect: after_commit callbacks were skipped when the caller was cancelled while waiting for
    its COMMIT; the rows were committed all the same (a timer written, its wake-up never armed)."""
    called: list[str] = []
    waiting_for_commit = asyncio.Event()

    async def action() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('armed', '1')")
            tx.after_commit(lambda: called.append("armed"))
            # The write thread is busy when the COMMIT is handed over (test-only peek).
            db._writer.call(lambda conn: time.sleep(0.2))
            waiting_for_commit.set()

    task = asyncio.create_task(action())
    await waiting_for_commit.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):
        while not called:  # noqa: ASYNC110 - the callback runs when the COMMIT comes back
            await asyncio.sleep(0.01)
    assert called == ["armed"]
    assert await meta_keys(db) == ["armed"]


async def test_open_fails_at_once_when_a_thread_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect: when Thread.start failed (no threads left), open() stopped its workers, and the one
    whose thread never started waited forever for a close job nobody would run."""
    real_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        if thread.name == "db-read":
            raise RuntimeError("can't start new thread")
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    before = set(threading.enumerate())
    async with asyncio.timeout(5):
        with pytest.raises(RuntimeError, match="can't start new thread"):
            await Database.open(tmp_path / "bot.sqlite3")
    assert not [t for t in set(threading.enumerate()) - before if t.name.startswith("db-")]


async def test_a_failing_after_commit_callback_is_logged_with_or_without_a_statement(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Defect: a block that ran no statement raised its failing callback out of the block, where
    after a real COMMIT the same failure is logged; both now log it and run the other callbacks."""
    called: list[str] = []

    def broken() -> None:
        raise RuntimeError("callback bug")

    for writes in (False, True):
        async with db.transaction() as tx:
            if writes:
                await tx.execute("INSERT INTO meta (key, value) VALUES ('written', '1')")
            tx.after_commit(broken)
            label = f"after {'a write' if writes else 'nothing'}"
            tx.after_commit(functools.partial(called.append, label))
    async with asyncio.timeout(5):
        while len(called) < 2:  # noqa: ASYNC110 - the write's callbacks run when its COMMIT is back
            await asyncio.sleep(0.01)
    assert called == ["after nothing", "after a write"]
    failures = [r for r in caplog.records if r.getMessage() == "An after_commit callback failed"]
    assert len(failures) == 2 and all(r.exc_info and "callback bug" in str(r.exc_info[1]) for r in failures)
    assert await meta_keys(db) == ["written"]


# -- a model of the committed rows, against concurrent actions, failures, cancellations and close ---


class Boom(Exception):
    pass


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["transaction", "write", "nested"]),
        st.integers(1, 3),  # rows the action writes
        st.sampled_from(["ok", "ok", "raise", "abort", "constraint", "cancel"]),
        st.integers(0, 4),  # loop turns before a "cancel" lands
    ),
    min_size=1,
    max_size=12,
)


class CommittedRowsModel(RuleBasedStateMachine):
    """Every acknowledged action is stored whole, every failed one not at all, a cancelled one whole or
    not at all; after_commit ran exactly for the stored transaction() blocks; a failed nested block
    never leaves a row; a call after close() is refused."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp())
        self.path = self.directory / "model.db"
        self.loop = asyncio.new_event_loop()
        self.db = self.loop.run_until_complete(Database.open(self.path))
        self.loop.run_until_complete(
            self.db.write(lambda conn: conn.execute("INSERT INTO meta (key, value) VALUES ('taken', '')"))
        )
        self.ids = itertools.count()
        self.committed: set[str] = set()
        self.maybe: list[tuple[int, set[str]]] = []
        self.with_callback: set[int] = set()  # transaction() blocks, which register an after_commit
        self.called: set[int] = set()
        self.expect_called: set[int] = set()

    def teardown(self) -> None:
        self.loop.run_until_complete(self.db.close())
        self.loop.close()
        shutil.rmtree(self.directory)

    async def act(self, n: int, kind: str, rows: int, fate: str) -> None:
        keys = [f"a{n}.{j}" for j in range(rows)]
        insert = "INSERT INTO meta (key, value) VALUES (?, 'v')"

        def fail(conn: sqlite3.Connection | None) -> None:
            if fate == "constraint" and conn is not None:
                conn.execute(insert, ("taken",))
            if fate == "raise":
                raise Boom
            if fate == "abort":
                raise Abort

        if kind == "write":

            def fn(conn: sqlite3.Connection) -> None:
                for key in keys:
                    conn.execute(insert, (key,))
                fail(conn)

            await self.db.write(fn)
            return
        async with self.db.transaction() as tx:
            tx.after_commit(lambda: self.called.add(n))
            for key in keys:
                await tx.execute(insert, (key,))
                await asyncio.sleep(0)
            if kind == "nested":
                with contextlib.suppress(Boom):
                    async with self.db.transaction() as inner:
                        await inner.execute(insert, (f"a{n}.inner",))
                        inner.after_commit(lambda: self.called.add(-n - 1))  # never: it rolls back
                        raise Boom
            if fate == "constraint":
                await tx.execute(insert, ("taken",))
            fail(None)

    async def wave(self, actions: list[tuple[str, int, str, int]], close_after: int | None) -> None:
        tasks: list[tuple[int, asyncio.Task[None], list[str], str]] = []
        for kind, rows, fate, turns in actions:
            n = next(self.ids)
            if kind != "write":
                self.with_callback.add(n)
            task = asyncio.create_task(self.act(n, kind, rows, fate))
            tasks.append((n, task, [f"a{n}.{j}" for j in range(rows)], fate))
            if fate == "cancel":
                asyncio.get_running_loop().call_soon(self.cancel_later, task, turns)
        if close_after is not None:
            for _ in range(close_after):
                await asyncio.sleep(0)
            await self.db.close()
        await asyncio.gather(*(task for _, task, _, _ in tasks), return_exceptions=True)
        for n, task, keys, fate in tasks:
            if task.cancelled():
                self.maybe.append((n, set(keys)))
            elif task.exception() is None:
                self.committed |= set(keys)
                if n in self.with_callback:
                    self.expect_called.add(n)
            else:
                error = task.exception()
                if fate in ("ok", "cancel"):  # another action's failure never fails this one
                    assert isinstance(error, bot.db.DatabaseClosed), error
                else:
                    assert isinstance(error, Boom | Abort | sqlite3.IntegrityError | bot.db.DatabaseClosed), (
                        error
                    )
        if close_after is None:
            await self.db.write(lambda conn: None)  # after the COMMITs of cancelled blocks came back

    def cancel_later(self, task: asyncio.Task[None], turns: int) -> None:
        if turns:
            asyncio.get_running_loop().call_soon(self.cancel_later, task, turns - 1)
        else:
            task.cancel()

    @rule(actions=ACTIONS)
    def concurrent_actions(self, actions: list[tuple[str, int, str, int]]) -> None:
        self.loop.run_until_complete(self.wave(actions, None))

    @rule(actions=ACTIONS, turns=st.integers(0, 6))
    def close_while_acting_then_reopen(self, actions: list[tuple[str, int, str, int]], turns: int) -> None:
        self.loop.run_until_complete(self.wave(actions, turns))

        async def refused_then_reopen() -> None:
            with pytest.raises(bot.db.DatabaseClosed):
                await self.db.write(lambda conn: None)
            self.db = await Database.open(self.path)

        self.loop.run_until_complete(refused_then_reopen())

    @invariant()
    def stored_rows_match_the_model(self) -> None:
        raw = sqlite3.connect(self.path)
        try:
            stored = {key for (key,) in raw.execute("SELECT key FROM meta WHERE key != 'taken'")}
        finally:
            raw.close()
        assert self.committed <= stored, self.committed - stored
        extra = stored - self.committed
        for n, keys in self.maybe:
            assert extra & keys in (set(), keys), (n, keys, extra)  # whole or nothing
            if keys <= stored:
                self.committed |= keys
                if n in self.with_callback:
                    self.expect_called.add(n)
            extra -= keys
        self.maybe = []
        assert not extra, extra  # no row of a failed action, nor of a failed nested block
        assert self.called == self.expect_called, (self.called, self.expect_called)


CommittedRowsModel.TestCase.settings = settings(
    max_examples=20, stateful_step_count=6, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_committed_rows_model = CommittedRowsModel.TestCase
