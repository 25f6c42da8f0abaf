"""Delayed work: one ``timers`` row per action, fired by kind.

The database is the truth. APScheduler only holds one in-memory wake-up job, armed at the earliest
pending due time; when it fires, every due timer runs and the job is armed again for the next one.
Start-up therefore reads one row however many timers are pending, and nothing is ever pickled.

Delivery is at least once: a timer is marked done only after its handler returned, so a crash (or a
stop) while a handler runs means the handler runs again at the next start. Handlers must therefore be
idempotent. A handler signals failure by raising; the timer is retried with exponential backoff and,
after ``max_attempts``, marked failed and reported to the ``on_final_failure`` callbacks.

Late timers (the bot was down at their due time) still run: handlers compare ``timer.due_at`` with the
clock and decide what a late run means for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.clock import Clock, JumpingClock
from bot.db import Database, Transaction
from bot.repositories import timers as repo
from bot.repositories.timers import Timer

__all__ = ["FailureCallback", "Handler", "Timer", "TimerService"]

log = logging.getLogger(__name__)

Handler = Callable[[Timer], Awaitable[None]]
# A feature's timer kinds: each kind's handler and its first retry delay (None: the service's).
HandlerTable = Mapping[str, tuple[Handler, timedelta | None]]
# The first retry of an outbox post or change a member is waiting for: 5 s, 10 s, 20 s... rather
# than the service's default.
OUTBOX_BACKOFF: Final = timedelta(seconds=5)
FailureCallback = Callable[[Timer, str], Awaitable[None]]

WAKE_JOB_ID = "timers.wake"
MAX_KIND_LENGTH = 64
# After an unexpected error in the dispatcher itself (e.g. the disk is full), wait before trying
# again rather than spinning on the same overdue row.
DISPATCH_ERROR_RETRY = timedelta(seconds=30)
_PAYLOAD_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TimerService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        max_attempts: int = 5,
        base_backoff: timedelta = timedelta(seconds=30),
        concurrency: int = 50,
        max_backoff: timedelta = timedelta(hours=1),
        handler_timeout: timedelta = timedelta(minutes=10),
    ) -> None:
        if max_attempts < 1 or concurrency < 1:
            raise ValueError("max_attempts and concurrency must be at least 1")
        self._db = db
        self._clock = clock
        self._max_attempts = max_attempts
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._handler_timeout = handler_timeout
        self._concurrency = concurrency
        self._page_size = max(4 * concurrency, 100)
        self._semaphore = asyncio.Semaphore(concurrency)
        self._handlers: dict[str, Handler] = {}
        self._kind_backoff: dict[str, timedelta] = {}
        self._failure_callbacks: list[FailureCallback] = []
        # Timers whose handler is running now: never start the same timer twice at once.
        self._in_flight: set[int] = set()
        # Kinds already warned about (due timers, no handler), so the log says it once.
        self._warned_unknown: set[str] = set()
        self._scheduler: AsyncIOScheduler | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        # The due time the wake-up job is armed for (None: no job armed, or it already fired).
        self._armed_at: datetime | None = None
        # Counts arm requests, so a re-arm from a database read can tell it raced with one.
        self._arm_requests = 0
        self._stop_following_clock: Callable[[], None] | None = None

    # -- registration -----------------------------------------------------------------------------

    def register(self, kind: str, handler: Handler, *, base_backoff: timedelta | None = None) -> None:
        """Handle timers of ``kind`` with ``async def handler(timer) -> None``.

        ``base_backoff`` overrides the service's first retry delay for this kind (doubling after each
        failure as usual): an outbox post a member is waiting for retries in seconds, not minutes.

        The handler must be idempotent: a timer is marked done only after its handler returned, so
        if the bot stops or crashes while it runs, it runs again (exactly once more) at the next
        start. It signals failure by raising; it is then retried with backoff. Registering a kind
        again replaces its handler (a reloaded cog). Due timers of this kind run right away.
        """
        _check_kind(kind)
        if kind in self._handlers:
            log.info("Timer handler for %r replaced", kind)
        self._handlers[kind] = handler
        if base_backoff is not None:
            self._kind_backoff[kind] = base_backoff
        else:
            self._kind_backoff.pop(kind, None)
        self._warned_unknown.discard(kind)
        if self.running:
            # Timers of this kind may have been waiting for a handler: let the dispatcher look.
            self._wake.set()

    def register_all(self, table: HandlerTable) -> None:
        """``register`` each kind of a feature's table (its cog's ``cog_load``)."""
        for kind, (handler, backoff) in table.items():
            self.register(kind, handler, base_backoff=backoff)

    def unregister_all(self, table: HandlerTable) -> None:
        """Undo ``register_all`` (its cog's ``cog_unload``): the timers stay pending for a reloaded cog."""
        for kind in table:
            self.unregister(kind)

    def unregister(self, kind: str) -> bool:
        """Stop handling ``kind`` (a cog's ``cog_unload`` undoes its ``cog_load``); its timers stay
        pending until a handler is registered again. Returns whether a handler was registered."""
        self._kind_backoff.pop(kind, None)
        return self._handlers.pop(kind, None) is not None

    def on_final_failure(self, callback: FailureCallback) -> None:
        """Call ``await callback(timer, error)`` when a timer has failed ``max_attempts`` times.

        A callback that raises is logged and does not stop the others.
        """
        self._failure_callbacks.append(callback)

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._dispatcher is not None and not self._dispatcher.done()

    @property
    def scheduler(self) -> AsyncIOScheduler | None:
        """The APScheduler instance holding the wake-up job (None when stopped); for inspection."""
        return self._scheduler

    async def start(self) -> None:
        """Start the wake-up scheduler on the running loop and run overdue timers in the background.

        Returns at once: overdue handlers may wait for things (the gateway connection) that are only
        ready after start-up finished.
        """
        if self.running:
            return
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.start()
        self._scheduler = scheduler
        self._armed_at = None
        self._warned_unknown.clear()
        self._dispatcher = asyncio.create_task(self._dispatch_forever(), name="timers-dispatcher")
        if isinstance(self._clock, JumpingClock):
            self._stop_following_clock = self._clock.on_jump(self._on_clock_jump)
        self._wake.set()
        log.info("Timers started: %d pending, next due %s", await self.pending_count(), await self.next_due())

    async def stop(self) -> None:
        """Stop waking up. Handlers still running are cancelled; their timers stay pending."""
        stop_following, self._stop_following_clock = self._stop_following_clock, None
        if stop_following is not None:
            stop_following()
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback
        self._armed_at = None

    async def _dispatch_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.run_due()
            except Exception:
                log.exception("Running due timers failed; trying again in %s", DISPATCH_ERROR_RETRY)
                self._arm(self._clock.now() + DISPATCH_ERROR_RETRY)

    def _on_clock_jump(self) -> None:
        """The clock jumped ahead (a test moved it): run what fell due and re-arm in the new time."""
        self._armed_at = None  # the armed job's wall-clock time is stale; the next arm replaces it
        self._wake.set()

    async def _on_wake(self) -> None:
        """The APScheduler job: the one-shot wake-up has fired, so nothing is armed any more."""
        self._armed_at = None
        self._wake.set()

    def _arm(self, due_at: datetime) -> None:
        """Make sure the wake-up job fires no later than ``due_at`` (no-op when stopped).

        Only ever moves the wake-up earlier: a wake-up with nothing to do costs one query and re-arms
        for the true earliest, while a wake-up armed too late would delay a timer. For a timer written
        in a transaction, call it once the rows are committed (``_arm_when_visible``): the dispatcher
        reads on another connection and would not see them before.
        """
        self._arm_requests += 1
        if self._armed_at is not None and self._armed_at <= due_at:
            return
        self._set_wake_up(due_at)

    async def _arm_next(self) -> None:
        """Arm the wake-up exactly for the earliest pending timer that has a handler and is not running.

        Unlike ``_arm`` this may move the wake-up later (after a run or a committed cancel), unless an
        ``_arm`` came in while we read: its timer may not be visible to our read yet.
        """
        if not self.running:
            return
        requests_before = self._arm_requests
        earliest = await repo.earliest_due(self._db, list(self._handlers), skip_ids=set(self._in_flight))
        if self._arm_requests != requests_before:
            if earliest is not None:
                self._arm(earliest)
        else:
            self._set_wake_up(earliest)

    def _set_wake_up(self, due_at: datetime | None) -> None:
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running:
            return
        self._armed_at = due_at
        if due_at is None:
            with contextlib.suppress(JobLookupError):
                scheduler.remove_job(WAKE_JOB_ID)
            return
        now = self._clock.now()
        wall_now = datetime.now(UTC)
        if due_at <= now:
            run_at = wall_now
        elif due_at <= wall_now or isinstance(self._clock, JumpingClock):
            # The service clock is not the wall clock (a test clock behind it, or one that jumps):
            # wait the span it means, instead of firing at once and finding nothing due, over and over.
            run_at = wall_now + (due_at - now)
        else:
            run_at = due_at
        scheduler.add_job(
            self._on_wake,
            trigger=DateTrigger(run_date=run_at, timezone=UTC),
            id=WAKE_JOB_ID,
            name="wake up for due timers",
            replace_existing=True,
            misfire_grace_time=None,  # a late wake-up still runs: we decide what "late" means
            coalesce=True,
            max_instances=1,
        )

    # -- running ----------------------------------------------------------------------------------

    async def run_due(self) -> int:
        """Run every pending timer with ``due_at <= clock.now()``, in due order; return how many ran.

        Up to ``concurrency`` handlers run at once. Timers already running (another call) are skipped.
        Timers of kinds with no handler stay pending, with one warning per kind. The wake-up job calls
        this; so do tests, after moving a ``FakeClock`` (the wake-up job itself waits in wall time).
        """
        now = self._clock.now()
        kinds = list(self._handlers)
        await self._warn_about_unhandled(now, kinds)
        ran = 0
        cursor: tuple[datetime, int] | None = None
        while True:
            page = await repo.due(self._db, now, kinds, after=cursor, limit=self._page_size)
            if not page:
                break
            cursor = (page[-1].due_at, page[-1].id)
            # Claimed without an await since the read: no other run can slip in between.
            claimed = [timer for timer in page if timer.id not in self._in_flight]
            claimed_ids = {timer.id for timer in claimed}
            self._in_flight |= claimed_ids
            try:
                results = await asyncio.gather(*(self._run_one(t) for t in claimed), return_exceptions=True)
            finally:
                self._in_flight -= claimed_ids
            ran += len(claimed)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            if len(page) < self._page_size:
                break
        await self._arm_next()
        return ran

    async def _warn_about_unhandled(self, now: datetime, handled_kinds: list[str]) -> None:
        counts = await repo.due_kinds_counts(self._db, now, handled_kinds)
        for kind, count in sorted(counts.items()):
            if kind not in self._warned_unknown:
                self._warned_unknown.add(kind)
                log.warning(
                    "%d due timer(s) of kind %r have no handler; they stay pending until one is registered",
                    count,
                    kind,
                )

    async def _run_one(self, timer: Timer) -> bool:
        """Run one claimed timer's handler and record the outcome; whether it succeeded."""
        async with self._semaphore:
            handler = self._handlers.get(timer.kind)
            if handler is None:
                return False
            try:
                async with asyncio.timeout(self._handler_timeout.total_seconds()):
                    await handler(timer)
            except asyncio.CancelledError as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # we are being stopped: the timer stays pending and runs at the next start
                # A handler's own stray CancelledError is a failure of that handler, not our stop.
                await self._record_failure(timer, exc)
            except Exception as exc:
                await self._record_failure(timer, exc)
            else:
                await self._record_success(timer)
                return True
            return False

    async def run_now(self, kind: str, **payload_fields: Any) -> bool:
        """Run the pending timers of ``kind`` whose payload has these fields, right now, whatever
        their due time; True when every one of them succeeded (False also when one is already running).

        The outbox's fast path: an action commits its rows with a timer per Discord side effect, then
        calls this so the member usually sees the result at once. A failure is recorded as usual
        (retried with backoff by the dispatcher), so the side effect happens later, never twice.
        """
        _check_payload_fields(payload_fields)
        found = await repo.pending_matching(self._db, kind, payload_fields)
        ok = True
        for timer in found:
            if timer.id in self._in_flight:
                ok = False
                continue
            self._in_flight.add(timer.id)
            try:
                ok = await self._run_one(timer) and ok
            finally:
                self._in_flight.discard(timer.id)
        if found:
            await self._arm_next()
        return ok

    async def _record_success(self, timer: Timer) -> None:
        async with self._db.transaction() as tx:
            marked = await repo.mark_done(tx, timer.id, timer.due_at, self._clock.now())
        if marked:
            log.debug("Timer %d (%s) done", timer.id, timer.kind)
        else:
            log.info("Timer %d (%s) was cancelled or rescheduled while it ran", timer.id, timer.kind)

    def _backoff(self, attempts: int, kind: str | None = None) -> timedelta:
        base = self._kind_backoff.get(kind, self._base_backoff) if kind is not None else self._base_backoff
        factor: int = 2 ** (attempts - 1)
        return min(base * factor, self._max_backoff)

    async def _record_failure(self, timer: Timer, exc: BaseException) -> None:
        attempts = timer.attempts + 1
        now = self._clock.now()
        error = repr(exc)[:2000]
        retry_at = None if attempts >= self._max_attempts else now + self._backoff(attempts, timer.kind)
        # An attempt that will be retried (Discord answered 503, say) is a warning; the last one an error.
        log.log(
            logging.WARNING if retry_at is not None else logging.ERROR,
            "Timer %d (%s) failed, attempt %d of %d",
            timer.id,
            timer.kind,
            attempts,
            self._max_attempts,
            exc_info=exc,
        )
        async with self._db.transaction() as tx:
            updated = await repo.mark_failed_attempt(
                tx, timer.id, timer.due_at, error, retry_at=retry_at, now=now
            )
        if updated is None:
            log.info("Timer %d (%s) was cancelled or rescheduled while it ran", timer.id, timer.kind)
            return
        if retry_at is not None:
            log.info("Timer %d (%s) will be retried at %s", timer.id, timer.kind, retry_at.isoformat())
            return
        log.error("Timer %d (%s) gave up after %d attempts", timer.id, timer.kind, attempts)
        for callback in self._failure_callbacks:
            try:
                # Bounded like a handler: a callback waiting on Discord must not hold up other timers.
                async with asyncio.timeout(self._handler_timeout.total_seconds()):
                    await callback(updated, error)
            except Exception:
                log.exception("A final-failure callback failed for timer %d (%s)", timer.id, timer.kind)

    # -- writing ----------------------------------------------------------------------------------

    def _arm_when_visible(self, writer: Transaction, due_at: datetime) -> None:
        """Arm for a timer written in ``writer`` once it is committed: the dispatcher reads on another
        connection, so a wake-up before the commit would find nothing and sleep past the timer."""
        writer.after_commit(lambda: self._arm(due_at))

    @contextlib.asynccontextmanager
    async def _writing(self, tx: Transaction | None) -> AsyncIterator[Transaction]:
        """The caller's transaction if given (so its rows and timers commit together), else our own."""
        if tx is not None:
            yield tx
        else:
            async with self._db.transaction() as own:
                yield own

    async def schedule(
        self, kind: str, due_at: datetime, payload: dict[str, Any], *, tx: Transaction | None = None
    ) -> int:
        """Add a timer; returns its id. ``payload`` must be a JSON-serialisable dict.

        With ``tx`` the row is written in the caller's transaction and disappears if it rolls back.
        The kind need not have a handler yet.
        """
        _check_kind(kind)
        _check_aware(due_at)
        payload_json = _payload_json(payload)
        async with self._writing(tx) as writer:
            timer_id = await repo.insert(writer, kind, due_at, payload_json, self._clock.now())
            self._arm_when_visible(writer, due_at)
        log.debug("Timer %d (%s) scheduled for %s", timer_id, kind, due_at.isoformat())
        return timer_id

    async def ensure_pending(
        self,
        kind: str,
        due_at: datetime,
        payload: dict[str, Any],
        *,
        tx: Transaction | None = None,
        later_than: datetime | None = None,
    ) -> int:
        """Exactly one pending timer of ``kind`` with this ``payload``: the existing one's id, or a new
        one due at ``due_at``. A timer whose handler is running right now does not count (it is about to
        be done), and with ``later_than`` neither does one due at or before that moment (an overdue run
        that will reschedule itself). For "the next digest", "refresh this announcement soon".
        """
        _check_kind(kind)
        _check_aware(due_at)
        payload_json = _payload_json(payload)
        async with self._writing(tx) as writer:
            existing = await repo.pending_with_payload(
                writer, kind, payload_json, skip_ids=set(self._in_flight), later_than=later_than
            )
            if existing is not None:
                return existing
            timer_id = await repo.insert(writer, kind, due_at, payload_json, self._clock.now())
            self._arm_when_visible(writer, due_at)
        log.debug("Timer %d (%s) ensured for %s", timer_id, kind, due_at.isoformat())
        return timer_id

    def pending_marker(
        self, kind: str, due_at: datetime
    ) -> Callable[[sqlite3.Connection, dict[str, Any]], int | None]:
        """``ensure_pending`` for a ``Database.write`` function: returns ``mark(conn, payload)``, which
        runs on the database thread inside that action and gives the new timer's id (None: one was
        pending already). Call ``scheduled(due_at)`` once the action returned a new id."""
        _check_kind(kind)
        _check_aware(due_at)
        skip_ids = frozenset(self._in_flight)  # copied here: the thread must not read a changing set
        created_at = self._clock.now()

        def mark(conn: sqlite3.Connection, payload: dict[str, Any]) -> int | None:
            return repo.ensure_pending_in(
                conn, kind, due_at, _payload_json(payload), created_at, skip_ids=skip_ids
            )

        return mark

    def scheduled(self, due_at: datetime) -> None:
        """A timer due at ``due_at`` was written outside ``schedule`` (see ``pending_marker``)."""
        self._arm(due_at)

    async def cancel(self, timer_id: int, *, tx: Transaction | None = None) -> bool:
        """Cancel a pending timer; False if it was not pending (done, failed, cancelled or unknown)."""
        async with self._writing(tx) as writer:
            cancelled = await repo.cancel(writer, timer_id, self._clock.now())
        await self._rearm_after_commit(tx)
        return cancelled

    async def cancel_matching(
        self, kind: str, *, tx: Transaction | None = None, **payload_fields: Any
    ) -> int:
        """Cancel the pending timers of ``kind`` whose payload has all these fields equal; returns how many.

        E.g. ``cancel_matching("event.reminder", event_id=5)``. With no fields, cancels every pending
        timer of ``kind``. Values compare as JSON scalars (str, int, float, bool).
        """
        _check_payload_fields(payload_fields)
        async with self._writing(tx) as writer:
            count = await repo.cancel_matching(writer, kind, payload_fields, self._clock.now())
        if count:
            await self._rearm_after_commit(tx)
        return count

    async def reschedule(self, timer_id: int, due_at: datetime, *, tx: Transaction | None = None) -> None:
        """Move a pending timer to ``due_at``; the old time no longer fires. No-op if it is not pending.

        A timer moved while its handler runs is not marked done: it fires again at the new time.
        """
        _check_aware(due_at)
        async with self._writing(tx) as writer:
            moved = await repo.reschedule(writer, timer_id, due_at)
            if moved:
                self._arm_when_visible(writer, due_at)
        if moved:
            await self._rearm_after_commit(tx)
        else:
            log.info("Timer %d is not pending; not rescheduled", timer_id)

    async def _rearm_after_commit(self, tx: Transaction | None) -> None:
        """After a change that may make the earliest timer later, re-arm for the new earliest.

        Inside a caller's transaction (passed as ``tx`` or joined implicitly) the change may still
        roll back, so the wake-up stays where it is (possibly early, which is harmless).
        """
        if tx is None and not self._db.in_transaction():
            await self._arm_next()

    # -- reading ----------------------------------------------------------------------------------

    async def get(self, timer_id: int) -> Timer | None:
        return await repo.get(self._db, timer_id)

    async def upcoming(self, limit: int = 10) -> list[Timer]:
        return await repo.upcoming(self._db, limit)

    async def pending_matching(self, kind: str, **payload_fields: Any) -> list[Timer]:
        """Pending timers of ``kind`` whose payload has these fields, soonest first."""
        _check_payload_fields(payload_fields)
        return await repo.pending_matching(self._db, kind, payload_fields)

    async def pending_count(self) -> int:
        return await repo.pending_count(self._db)

    async def next_due(self) -> datetime | None:
        """The earliest due time of any pending timer (with or without a handler)."""
        return await repo.earliest_due(self._db)


def _check_kind(kind: str) -> None:
    if not isinstance(kind, str) or not 1 <= len(kind) <= MAX_KIND_LENGTH:
        raise ValueError(f"timer kind must be a string of 1 to {MAX_KIND_LENGTH} characters, not {kind!r}")


def _check_payload_fields(payload_fields: dict[str, Any]) -> None:
    for name, value in payload_fields.items():
        if not _PAYLOAD_FIELD.match(name):
            raise ValueError(f"payload field name {name!r} must be an identifier")
        if value is None or not isinstance(value, str | int | float):
            raise TypeError(f"payload field {name!r} must be matched against a str, int, float or bool")


def _check_aware(when: datetime) -> None:
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"timer due time must be a timezone-aware datetime, not {when!r}")


def _payload_json(payload: dict[str, Any]) -> str:
    if not isinstance(payload, dict):
        raise TypeError(f"timer payload must be a dict, not {type(payload).__name__}")
    try:
        return json.dumps(payload, allow_nan=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"timer payload is not JSON-serialisable: {exc}") from exc
