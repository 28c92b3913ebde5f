"""The recorder's one writer thread: batches, commits, the nightly purge, a full disk.

The event loop only appends to a deque (`put`) and never waits: a batch is committed at most
`commit_interval` after its first change, or as soon as it holds RECORDER_BATCH_ROWS. Storage
that fails (a full disk) stops recording with one log line and a status for `hearth check`;
the writer tries again every `retry_interval` and resumes by itself once writes succeed.

The connection is opened by `start`, before the hub gives root up: afterwards the hub's user
may not reach the configuration directory by path (a parent closed to it), so the writer keeps
that connection for good and looks at its directory (free space, file sizes) through a
descriptor held from the start (hearth.privileges).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hearth import const
from hearth.recorder import space, status
from hearth.recorder.backlog import Backlog, Record
from hearth.recorder.batch import BatchWriter
from hearth.recorder.filters import AttributeFilter
from hearth.recorder.purge import PurgeSchedule, last_purge
from hearth.recorder.schema import open_writer

_LOGGER = logging.getLogger(__name__)
_BUSY = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED: another process holds the lock
_MAX_BUSY_RETRIES = 5
_MAX_FAILED_BATCHES = 3  # unexplained failures in a row before recording stops
# Readers may ask for an early commit (to see every change so far), at most this often: a flood
# of history requests must not turn into a flood of commits (each one an fsync).
_MIN_EARLY_COMMIT = 0.1


@dataclass(frozen=True, slots=True)
class WriterSettings:
    """How the writer batches, purges and retries."""

    keep_days: int = const.RECORDER_KEEP_DAYS
    commit_interval: float = const.RECORDER_COMMIT_INTERVAL
    retry_interval: float = const.RECORDER_RETRY_INTERVAL
    batch_rows: int = const.RECORDER_BATCH_ROWS
    max_backlog: int = const.RECORDER_MAX_BACKLOG
    max_backlog_bytes: int = const.RECORDER_MAX_BACKLOG_BYTES
    purge_batch: int = const.RECORDER_PURGE_BATCH
    time_zone: str = "UTC"


class Writer:
    """Owns the write connection; its thread is the only one that writes the history."""

    def __init__(
        self,
        path: Path,
        attributes: AttributeFilter,
        settings: WriterSettings,
        status_file: status.StatusFile,
        on_resume: Callable[[], None],
    ) -> None:
        self.path = path
        self.settings = settings
        self._filter = attributes
        self._status = status_file
        self._on_resume = on_resume
        self._backlog = Backlog(
            settings.max_backlog, settings.max_backlog_bytes, settings.batch_rows
        )
        self._wake, self._full = self._backlog.wake, self._backlog.full
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._dir_fd: int | None = None
        self._batch: BatchWriter | None = None
        self.recording = False
        self.written = 0
        self._last_commit = 0.0
        self._retry_at = 0.0
        self._failures = 0
        self._purges = PurgeSchedule(settings.keep_days, settings.purge_batch, settings.time_zone)

    # The event loop's side: never blocks.

    @property
    def backlog(self) -> int:
        """Records waiting for the writer."""
        return len(self._backlog)

    @property
    def dropped(self) -> int:
        """Changes refused (not recording, queue full) or lost (a failed write) so far."""
        return self._backlog.dropped

    @property
    def running(self) -> bool:
        """Whether the writer thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def directory(self) -> int | None:
        """The database's directory, held open from `start` to `stop` (a descriptor)."""
        return self._dir_fd

    def put(self, record: Record) -> bool:
        """Queue one record; False (and counted as dropped) when not recording or overflowing."""
        if not self.recording or self._stopping:
            self._backlog.refuse()
            return False
        return self._backlog.put(record)

    def barrier(self, done: Callable[[], None]) -> None:
        """Call `done` (from the writer thread) once everything queued so far is committed."""
        if not self.recording or not self.running:
            done()
            return
        self._backlog.barrier(done)

    def start(self) -> None:
        """Open the database, then start the thread. Blocking (run it in a worker thread), and
        before the hub gives root up: this is the only time the files are reached by path."""
        self._dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.recording = True
        self._open()
        self._thread = threading.Thread(target=self._run, name="hearth-recorder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Write what is queued, close the database and end the thread (blocking)."""
        self._stopping = True
        self._full.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._dir_fd is not None and not self.running:
            os.close(self._dir_fd)
            self._dir_fd = None

    # The writer thread.

    def _run(self) -> None:
        try:
            while not self._stopping:
                self._wake.clear()
                if not self.recording:
                    self._wait_to_retry()
                elif self._backlog:
                    self._gather_and_write()
                elif self._purges.due():
                    self._purge_step()
                else:
                    self._wake.wait(min(60.0, self._purges.wait()))
            self._flush()
        except Exception:
            _LOGGER.exception("The recorder stopped unexpectedly")
            self.recording = False
            self._status.write(status.STOPPED, status.WRITE_FAILED)
        finally:
            self._backlog.clear()
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self.recording or self._stopping:
                self._status.write(status.CLOSED)

    def _open(self) -> None:
        try:
            self._conn = open_writer(self.path)
            self._purges.schedule(last_purge(self._conn))
        except sqlite3.Error as err:
            self._stop_recording(err)
            return
        self._batch = BatchWriter(self._conn, self._filter)
        self._status.write(status.RECORDING)

    def _gather_and_write(self) -> None:
        deadline = time.monotonic() + self.settings.commit_interval
        early = self._last_commit + _MIN_EARLY_COMMIT
        backlog = self._backlog
        while len(backlog) < self.settings.batch_rows and not self._stopping:
            now = time.monotonic()
            if now >= deadline or (backlog.urgent and now >= early):
                break
            self._full.wait(min(deadline, early) - now if backlog.urgent else deadline - now)
            self._full.clear()
        self._write_some()
        self._last_commit = time.monotonic()

    def _write_some(self) -> None:
        """Write one batch from the queue (at most batch_rows records)."""
        records, done = self._backlog.take()
        try:
            if records:
                self._write(records)
        finally:
            for callback in done:
                callback()

    def _write(self, items: list[Record]) -> None:
        if self._batch is None:
            return
        for attempt in range(_MAX_BUSY_RETRIES + 1):
            try:
                self.written += self._batch.write(items)
            except sqlite3.Error as err:
                code = getattr(err, "sqlite_errorcode", 0) & 0xFF
                if code in _BUSY and attempt < _MAX_BUSY_RETRIES:
                    continue  # the CLI held the lock past the busy timeout: try again
                if space.is_storage_error(err) or self._failures >= _MAX_FAILED_BATCHES - 1:
                    self._stop_recording(err)
                else:
                    self._failures += 1
                    self._backlog.lose(len(items))
                    _LOGGER.error("The recorder could not write %d changes: %s", len(items), err)
                return
            self._failures = 0
            return

    def _stop_recording(self, err: sqlite3.Error) -> None:
        """Stop accepting changes, drop what waits, say why once, and plan a retry."""
        self.recording = False
        self._backlog.clear()
        reason, why = space.explain(self.path, err, self._dir_fd)
        _LOGGER.error(
            "Recording stopped: %s; history is not recorded until that is fixed (retrying every "
            "%g s)",
            why,
            self.settings.retry_interval,
        )
        self._status.write(status.STOPPED, reason)
        self._retry_at = time.monotonic() + self.settings.retry_interval

    def _wait_to_retry(self) -> None:
        left = self._retry_at - time.monotonic()
        if left > 0:
            self._wake.wait(left)
            return
        self._retry_at = time.monotonic() + self.settings.retry_interval
        if not space.room_to_resume(self.path, self._dir_fd):
            return
        try:
            if self._conn is None:  # the first open failed; by path (the hub may be root still)
                self._conn = open_writer(self.path)
            if self._batch is None:
                self._purges.schedule(last_purge(self._conn))
                self._batch = BatchWriter(self._conn, self._filter)
            space.probe_write(self._conn)
        except sqlite3.Error:
            return
        self._failures = 0
        self.recording = True
        _LOGGER.warning("Recording resumed: the history database can be written again")
        self._status.write(status.RECORDING)
        self._on_resume()

    def _flush(self) -> None:
        while self._backlog and self.recording:
            self._write_some()

    # The nightly purge.

    def _purge_step(self) -> None:
        if self._conn is None or self._batch is None:
            return
        try:
            run = self._purges.step(self._conn)
        except sqlite3.Error as err:
            self._purges.retry_at(time.time() + self.settings.retry_interval)
            if space.is_storage_error(err):
                self._stop_recording(err)
            else:
                _LOGGER.error("The history purge failed: %s", err)
            run = None
        finally:
            if self._purges.touched_references:
                self._batch.forget()  # rows the caches point at may be gone
        if run is not None and run.deleted.get("states"):
            _LOGGER.info(
                "History older than %d days purged (%d states)",
                self.settings.keep_days,
                run.deleted.get("states", 0),
            )
