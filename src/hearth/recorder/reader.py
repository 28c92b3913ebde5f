"""Reads of the history database, in their own thread: the event loop never runs a query.

Each read is one read transaction (a consistent snapshot beside the writer, thanks to WAL) on a
read-only connection, interrupted after RECORDER_QUERY_TIMEOUT seconds. At most
RECORDER_MAX_READS reads wait or run at once; more are refused (503) rather than queued.
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
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._pending = 0

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
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if not self.path.exists():
                return None
            try:
                conn = open_reader(self.path)
            except sqlite3.Error:
                return None
            self._local.conn = conn
            self._connections.append(conn)
        return conn

    def _call(self, read: Callable[[sqlite3.Connection], T], empty: Callable[[], T]) -> T:
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
        for conn in self._connections:
            conn.close()
        self._connections.clear()
