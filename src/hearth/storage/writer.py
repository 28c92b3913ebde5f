"""The one writer of a process: a thread with its own connection that commits every change.

Threat: a write that waits for SQLite's lock (another process holding it) or for the disk
(fsync) must never stop the event loop, where every client is served. So no write runs there:

- `await write(fn)` is for changes acknowledged to someone (users, passwords, tokens,
  revocations, bans, MFA). `fn(conn)` runs in its own savepoint in this thread, and the await
  returns once the commit is on disk (`synchronous = FULL`). Writes queued together share one
  commit, so a burst costs one fsync. `fn` must only touch the connection: after a storage
  error it may run once more, alone.
- `submit(fn)` is for bookkeeping (a token's last use, failure counters, audit rows of failures):
  never awaited, committed in batches (at most BATCH_DELAY after the first, or BATCH_ROWS at once),
  retried while storage fails, and never the cause of a failed request. Submitting costs an
  append to a deque: only the first job of a batch wakes this thread, so a flood of failed
  logins does not switch threads once per request. A batch runs without a savepoint per job;
  only when a job fails is the batch run again with one each, so that the bad job is dropped
  alone.

A storage failure (full disk, lock held too long) is logged once per LOG_INTERVAL, not per write;
the first successful commit afterwards logs one line saying it is over.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from hearth.exceptions import StorageError
from hearth.storage.faults import FailureLog, storage_error

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], T]

WRITE_TIMEOUT: Final = 5.0  # seconds an acknowledged write may wait, from when it was asked
BOOKKEEPING_TIMEOUT: Final = 0.5  # bookkeeping waits this long for the lock, then retries
BATCH_DELAY: Final = 0.1  # seconds bookkeeping may wait to share a commit
BATCH_ROWS: Final = 256  # bookkeeping jobs that make a batch due at once
RETRY_DELAY: Final = 1.0  # after a failed commit of bookkeeping
MAX_PENDING: Final = 20_000  # bookkeeping jobs kept while storage fails; the oldest go first
MAX_GROUP: Final = 64  # acknowledged writes sharing one commit
POLL_INTERVAL: Final = 0.25  # how often commits of other processes are looked for


_WAKE: Final = object()  # on the queue: bookkeeping is waiting in the inbox


@dataclass(slots=True)
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    future: Future[Any] | None  # None: bookkeeping
    deadline: float
    seq: int = 0


class _Isolate(Exception):
    """A bookkeeping job failed in a batch run without savepoints: run it again with them."""


class _Aborted(Exception):
    """A storage error inside a job: the whole transaction is lost."""

    def __init__(self, error: StorageError) -> None:
        super().__init__(error.message)
        self.error = error


class Writer:
    """Owns one connection, used only by its thread; see the module docstring."""

    def __init__(self, conn: sqlite3.Connection, name: str) -> None:
        self._conn = conn
        self._queue: queue.SimpleQueue[_Job | object | None] = queue.SimpleQueue()
        # Bookkeeping as submitted, moved to _pending when a batch commits. Bounded like
        # _pending: if this thread is stuck (storage hanging), the oldest jobs go.
        self._inbox: deque[_Job] = deque(maxlen=MAX_PENDING)
        self._announced = False  # set by the submitter, cleared when the inbox is drained
        self._last_seq = 0  # the last job moved from the inbox (a gap: jobs it dropped)
        self._pending: deque[_Job] = deque()
        self._waiting = False  # bookkeeping is waiting to be committed at _due
        self._due = 0.0
        self._seq = itertools.count(1)
        self._submitted = 0  # set by the submitting thread
        self._settled = 0  # set by the writer thread: bookkeeping committed (or dropped)
        self._dropped = 0
        self._reporter = FailureLog(name)
        self._next_watch = 0.0
        self._data_version = self._read_data_version()
        # Bumped (by the writer thread) whenever another process has committed since last time.
        self.external_changes = 0
        # Whether a failed acknowledged write is logged here too. Off while a hub starts and in
        # the CLI, where the caller reports it in one line; failed bookkeeping is always logged.
        self.log_write_failures = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="hearth-db-writer", daemon=True)
        self._thread.start()

    # The other threads' side

    async def write(self, fn: WriteFn[T]) -> T:
        """Run `fn(conn)` in a transaction of the writer; durable when this returns.

        Raises what `fn` raised (its changes undone), or a StorageError when the commit failed.
        """
        if self._closed:
            raise StorageError()
        future: Future[T] = Future()
        self._queue.put(_Job(fn, future, time.monotonic() + WRITE_TIMEOUT))
        return await asyncio.wrap_future(future)

    def submit(self, fn: WriteFn[object]) -> None:
        """Queue bookkeeping; committed with the next batch. Never raises."""
        if self._closed:
            _LOGGER.debug("Bookkeeping after close dropped")
            return
        seq = next(self._seq)
        self._submitted = seq
        inbox = self._inbox
        inbox.append(_Job(fn, None, 0.0, seq))
        if not self._announced:
            self._announced = True
            self._queue.put(_WAKE)
        elif len(inbox) == BATCH_ROWS:
            self._queue.put(_WAKE)  # a full batch is due at once

    async def flush(self) -> None:
        """Wait until the bookkeeping submitted so far is committed (or storage failed)."""
        if self._settled >= self._submitted or self._closed:
            return
        try:
            await self.write(_nothing)
        except StorageError:
            return

    def close(self) -> None:
        """Commit what is pending (one attempt), stop the thread and close the connection."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        self._conn.close()

    # The writer thread

    def _run(self) -> None:
        stopping = False
        while True:
            timeout = max(0.0, self._due - time.monotonic()) if self._waiting else POLL_INTERVAL
            writes: list[_Job] = []
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                pass
            else:
                stopping = self._take(item, writes) or stopping
                while len(writes) < MAX_GROUP:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    stopping = self._take(item, writes) or stopping
            due = self._waiting and (stopping or time.monotonic() >= self._due)
            if writes or due or (stopping and self._inbox):
                self._commit(writes)
            self._watch_external()
            if stopping and self._queue.empty():
                if self._pending:
                    lost = len(self._pending)
                    _LOGGER.warning("%d bookkeeping record(s) could not be saved", lost)
                self._refuse_stragglers()
                return

    def _refuse_stragglers(self) -> None:
        """Writes that raced with close: refused, never left waiting."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Job) and item.future is not None and _start(item.future):
                item.future.set_exception(StorageError())

    def _take(self, item: _Job | object | None, writes: list[_Job]) -> bool:
        if item is None:
            return True
        if isinstance(item, _Job):
            writes.append(item)
        elif len(self._inbox) >= BATCH_ROWS:
            self._waiting, self._due = True, time.monotonic()
        elif not self._waiting:
            self._waiting, self._due = True, time.monotonic() + BATCH_DELAY
        return False

    def _drain_inbox(self) -> None:
        """Move the submitted bookkeeping to _pending (its order kept)."""
        # Cleared first: a job appended from here on either is taken below or announces itself.
        self._announced = False
        inbox, pending = self._inbox, self._pending
        while inbox:
            job = inbox.popleft()
            if job.seq != self._last_seq + 1:
                self._note_dropped(job.seq - self._last_seq - 1)
            self._last_seq = job.seq
            pending.append(job)
            if len(pending) > MAX_PENDING:
                pending.popleft()
                self._note_dropped(1)

    def _note_dropped(self, count: int) -> None:
        before, self._dropped = self._dropped, self._dropped + count
        if before == 0 or before // MAX_PENDING != self._dropped // MAX_PENDING:
            _LOGGER.warning("Storage failing: %d bookkeeping record(s) dropped", self._dropped)

    def _commit(self, writes: list[_Job]) -> None:
        jobs = [job for job in writes if job.future is not None and _start(job.future)]
        self._drain_inbox()
        batch = list(self._pending)
        if not batch:
            self._waiting = False
        if not jobs and not batch:
            return
        deadline = min(job.deadline for job in jobs) if jobs else None
        outcomes = self._attempt(batch, jobs, deadline)
        if isinstance(outcomes, StorageError) and batch and jobs:
            # Bookkeeping must never cost an acknowledged write: try the writes on their own
            # (a job only touches the connection, so running it again after a rollback is safe).
            outcomes = self._attempt([], jobs, deadline)
        if isinstance(outcomes, StorageError):
            for job in jobs:
                assert job.future is not None  # noqa: S101 - jobs are acknowledged writes
                job.future.set_exception(type(outcomes)())
            if batch:
                self._waiting, self._due = True, time.monotonic() + RETRY_DELAY
            if batch or self.log_write_failures:
                self._reporter.failed(outcomes)
            return
        self._reporter.recovered()
        for job, result, exc in outcomes:
            assert job.future is not None  # noqa: S101 - jobs are acknowledged writes
            if exc is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(exc)

    def _attempt(
        self, batch: list[_Job], jobs: list[_Job], deadline: float | None, *, isolate: bool = False
    ) -> list[tuple[_Job, Any, Exception | None]] | StorageError:
        """One transaction for `batch` and `jobs`: their outcomes, or the storage error that
        undid all of it. Bookkeeping runs without savepoints unless `isolate`."""
        now = time.monotonic()
        wait = (deadline - now) if deadline is not None else BOOKKEEPING_TIMEOUT
        conn = self._conn
        outcomes: list[tuple[_Job, Any, Exception | None]] = []
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(max(0.0, wait) * 1000)}")
            conn.execute("BEGIN IMMEDIATE")
            if isolate:
                for job in batch:
                    self._run_bookkeeping(job)
            else:
                self._run_batch(batch)
            for job in jobs:
                outcomes.append(self._run_write(job))
            conn.execute("COMMIT")
        except _Isolate:
            self._rollback()
            return self._attempt(batch, jobs, deadline, isolate=True)
        except (sqlite3.Error, _Aborted) as err:
            self._rollback()
            return err.error if isinstance(err, _Aborted) else storage_error(err) or StorageError()
        if batch:
            for _ in batch:
                self._pending.popleft()
            self._settled = batch[-1].seq
            self._waiting = False
        return outcomes

    def _run_batch(self, batch: list[_Job]) -> None:
        """Bookkeeping in the open transaction, no savepoints: the usual case, nothing fails."""
        conn = self._conn
        for job in batch:
            try:
                job.fn(conn)
            except Exception as exc:
                error = storage_error(exc)
                if error is not None or not conn.in_transaction:
                    raise _Aborted(error or StorageError()) from exc
                raise _Isolate from exc

    def _run_write(self, job: _Job) -> tuple[_Job, Any, Exception | None]:
        conn = self._conn
        conn.execute("SAVEPOINT job")
        try:
            result = job.fn(conn)
        except Exception as exc:
            self._undo_job(exc)
            return job, None, exc
        conn.execute("RELEASE job")
        return job, result, None

    def _run_bookkeeping(self, job: _Job) -> None:
        conn = self._conn
        conn.execute("SAVEPOINT job")
        try:
            job.fn(conn)
        except Exception as exc:
            self._undo_job(exc)
            self._reporter.bookkeeping_bug(exc)
            return
        conn.execute("RELEASE job")

    def _undo_job(self, exc: Exception) -> None:
        """Undo one job's changes; a storage error (or a lost transaction) aborts them all."""
        error = storage_error(exc)
        if error is not None or not self._conn.in_transaction:
            raise _Aborted(error or StorageError()) from exc
        self._conn.execute("ROLLBACK TO job")
        self._conn.execute("RELEASE job")

    def _rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error as err:
            _LOGGER.debug("Rollback failed: %s", err)

    def _read_data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _watch_external(self) -> None:
        """Notice commits of other processes (the CLI): our own never change data_version."""
        now = time.monotonic()
        if now < self._next_watch:
            return
        self._next_watch = now + POLL_INTERVAL
        try:
            version = self._read_data_version()
        except sqlite3.Error as err:
            _LOGGER.debug("Cannot read data_version: %s", err)
            return
        if version != self._data_version:
            self._data_version = version
            self.external_changes += 1


def _start(future: Future[Any]) -> bool:
    """Whether the requester still waits (a cancelled write is not run)."""
    return future.set_running_or_notify_cancel()


def _nothing(_conn: sqlite3.Connection) -> None:
    """An empty write: it commits the pending bookkeeping with it."""
