"""Reads of the history database, in their own thread: the event loop never runs a query.

Each read is one read transaction (a consistent snapshot beside the writer, thanks to WAL) on a
read-only connection, interrupted after RECORDER_QUERY_TIMEOUT seconds. At most
RECORDER_MAX_READS reads wait or run at once; more are refused (503) rather than queued.

The hub opens the connection (`open`) before it gives root up and keeps it: afterwards its
user may not reach the configuration directory by path (hearth.privileges). Only a database
that did not exist then is opened later, on the first read, by path.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from hearth import const
from hearth.exceptions import Unavailable
from hearth.recorder.schema import open_reader

T = TypeVar("T")
_PROGRESS_STEPS = 10_000  # SQLite virtual machine steps between two looks at the clock


class Reader:
    """Runs read functions against the history database in one worker thread."""

    def __init__(self, path: Path, *, timeout: float = const.RECORDER_QUERY_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hearth-history")
        self._lock = threading.Lock()  # one read at a time on the connection
        self._conn: sqlite3.Connection | None = None
        self._pending = 0

    def open(self) -> None:
        """Open the connection now, if the database exists (blocking; before the hub gives
        root up). Without it, the first read opens it."""
        with self._lock:
            conn = self._connection()
            if conn is not None:
                # SQLite opens a connection's -wal file at its first read, by path: read now.
                try:
                    conn.execute("BEGIN")
                    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                except sqlite3.Error:
                    pass  # the first read says what is wrong
                finally:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")

    async def run(self, read: Callable[[sqlite3.Connection], T], empty: Callable[[], T]) -> T:
        """`read(conn)` in the reader thread; `empty()` when there is no database yet.

        Unavailable when too many reads are waiting or when the read takes too long.
        """
        if self._pending >= const.RECORDER_MAX_READS:
            raise Unavailable("Too many history requests at once; try again in a moment.")
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._call, read, empty)
        finally:
            self._pending -= 1

    def read_now(self, read: Callable[[sqlite3.Connection], T], empty: Callable[[], T]) -> T:
        """`read(conn)` in the calling thread (the CLI and the benchmark; never the event loop)."""
        return self._call(read, empty)

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is None:
            try:
                if not self.path.exists():
                    return None
                self._conn = open_reader(self.path)
            except (OSError, sqlite3.Error):  # not there yet, or out of reach (see above)
                return None
        return self._conn

    def _call(self, read: Callable[[sqlite3.Connection], T], empty: Callable[[], T]) -> T:
        with self._lock:
            return self._read(read, empty)

    def _read(self, read: Callable[[sqlite3.Connection], T], empty: Callable[[], T]) -> T:
        conn = self._connection()
        if conn is None:
            return empty()
        deadline = time.monotonic() + self.timeout
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), _PROGRESS_STEPS)
        try:
            conn.execute("BEGIN")
            try:
                return read(conn)
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.OperationalError as err:
            if time.monotonic() > deadline:
                raise Unavailable(
                    "The history query took too long; ask for a shorter period or fewer entities."
                ) from None
            if "no such table" in str(err):
                return empty()  # created but not yet migrated
            raise
        finally:
            conn.set_progress_handler(None, 0)

    def close(self) -> None:
        """Stop the thread and close the connections (reads in progress finish first)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
