"""The SQLite store of one process: a read-only connection for its own thread, and one writer.

Reads run on the connection of the thread that opened the store (the event loop's, or the CLI's):
in WAL mode a reader never waits for a writer, and `query_only` proves that nothing writes there.
Every write goes through the writer thread (hearth.storage.writer).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, Final, TypeVar

from hearth.exceptions import ConfigError
from hearth.storage.faults import storage_error
from hearth.storage.migrations import MIGRATIONS, Migration
from hearth.storage.writer import WRITE_TIMEOUT, WriteFn, Writer

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT: Final = WRITE_TIMEOUT  # start-up (migrations) waits this long for the lock
BUSY_RETRY_DELAY: Final = 0.05  # between attempts to open a database another process holds
READ_BUSY_TIMEOUT: Final = 0.25  # readers wait only in SQLite's rare cases (WAL recovery)
PRIVATE_MODE: Final = 0o600
SQLITE_HEADER: Final = b"SQLite format 3\x00"
_SIDE_FILES: Final = ("-wal", "-shm", "-journal")
SQLITE_READONLY: Final = 8

Params = Sequence[Any] | dict[str, Any]


def _check_header(path: Path) -> None:
    """Refuse a file that is not an SQLite database before touching it in any way."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as err:
        raise ConfigError(f"cannot open the database: {err.strerror}", file=path.name) from None
    if head and head != SQLITE_HEADER:
        raise ConfigError(
            "not an SQLite database; move it away to start with an empty store, or restore a "
            "backup",
            file=path.name,
        )


def _create_private(path: Path) -> None:
    """Create the file with mode 0600 (if missing) and tighten an existing file that is looser."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o077:
            os.fchmod(fd, PRIVATE_MODE)
            _LOGGER.warning("Tightened permissions of %s to 0600", path.name)
    finally:
        os.close(fd)


def _tighten(path: Path) -> None:
    """Make a file SQLite created next to the database private (no-op if it does not exist)."""
    with suppress(FileNotFoundError):
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(PRIVATE_MODE)


def _configure_writer(conn: sqlite3.Connection) -> None:
    """The writer's settings: WAL lets others read while it writes; FULL makes commits durable."""
    conn.row_factory = sqlite3.Row
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise sqlite3.OperationalError("write-ahead logging is not available")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    # An acknowledged change survives a power loss: the WAL is synced at every commit.
    conn.execute("PRAGMA synchronous = FULL")
    # Deleted rows (revoked tokens' keys and hashes) are overwritten, not left in free pages.
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA trusted_schema = OFF")


def _configure_reader(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(READ_BUSY_TIMEOUT * 1000)}")
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute("PRAGMA query_only = ON")


def _schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _migrate(conn: sqlite3.Connection, migrations: Sequence[Migration], path: Path) -> None:
    """Apply migrations newer than the file's `user_version`, each in its own transaction."""
    latest = len(migrations)
    current = _schema_version(conn)
    if current > latest:
        raise ConfigError(
            f"the database has schema version {current}, newer than this Hearth supports "
            f"({latest}); upgrade Hearth",
            file=path.name,
        )
    for version in range(current + 1, latest + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            if _schema_version(conn) < version:
                for statement in migrations[version - 1]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        _LOGGER.debug("Database migrated to schema version %d", version)


def _prepare(conn: sqlite3.Connection, migrations: Sequence[Migration], path: Path) -> None:
    """Configure the writer's connection and migrate, retrying while another process briefly
    holds the file (up to BUSY_TIMEOUT in all).

    Two processes opening a new database at once (two `hearth user add` on an empty hub) can
    meet while one switches the file to WAL or checkpoints it on close; SQLite then answers
    SQLITE_BUSY at once instead of calling the busy handler. Both steps can simply run again.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            _configure_writer(conn)
            _migrate(conn, migrations, path)
            return
        except sqlite3.OperationalError as err:
            busy = getattr(err, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() >= deadline:
                raise
            _LOGGER.debug("Database busy while opening (%s); trying again", err)
            time.sleep(BUSY_RETRY_DELAY)


class Database:
    """Reads on the opening thread's connection; writes through `write`/`submit` (the writer)."""

    def __init__(
        self,
        reader: sqlite3.Connection,
        writer: Writer,
        path: Path,
        snapshots: sqlite3.Connection,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._path = path
        # Opened with the others, not per snapshot: a hub that gave root up may no longer be able
        # to reach its database by path (a parent directory closed to its user), only through
        # the connections it already holds.
        self._snapshots = snapshots
        self._snapshots_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> Database:
        """Open (creating with mode 0600 if needed) and migrate the database at `path`."""
        _check_header(path)
        try:
            # SQLite gives its -wal and -shm files the mode of the database file, so creating
            # the database 0600 first keeps every file private without touching the umask.
            _create_private(path)
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as err:
            raise ConfigError(f"cannot open the database: {err}", file=path.name) from None
        reader: sqlite3.Connection | None = None
        snapshots: sqlite3.Connection | None = None
        try:
            _prepare(conn, migrations, path)
            reader = sqlite3.connect(path, isolation_level=None)
            _configure_reader(reader)
            snapshots = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            _configure_reader(snapshots)
        except sqlite3.Error as err:
            _close_all(conn, reader, snapshots)
            raise ConfigError(f"cannot use the database: {err}", file=path.name) from None
        except BaseException:
            _close_all(conn, reader, snapshots)
            raise
        for suffix in _SIDE_FILES:
            _tighten(path.with_name(path.name + suffix))
        return cls(reader, Writer(conn, path.name), path, snapshots)

    @property
    def path(self) -> Path:
        """Where the database file lives."""
        return self._path

    def schema_version(self) -> int:
        """The schema version stored in the file (`PRAGMA user_version`)."""
        return _schema_version(self._reader)

    @property
    def external_changes(self) -> int:
        """A counter that grows when another process (the CLI) has committed a change."""
        return self._writer.external_changes

    # Reads: one statement each, on the opening thread's connection.

    def query(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a query; a storage failure is a StorageError."""
        try:
            return self._reader.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as err:
            raise _read_error(err) from None

    def query_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        try:
            cursor = self._reader.execute(sql, params)
            row: sqlite3.Row | None = cursor.fetchone()
            cursor.close()  # ends the read transaction now, not when collected
        except sqlite3.DatabaseError as err:
            raise _read_error(err) from None
        return row

    def query_tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """All rows as plain tuples: several times cheaper than rows for bulk loads."""
        try:
            cursor = self._reader.execute(sql, params)
            cursor.row_factory = None
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        except sqlite3.DatabaseError as err:
            raise _read_error(err) from None
        return rows

    async def snapshot(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a long read (`fn(conn)`) off the event loop, in a worker thread, on a `query_only`
        connection of its own and in one read transaction (every statement of `fn` sees the
        same state). Snapshots take turns on that connection."""
        return await asyncio.to_thread(self._read_snapshot, fn)

    def _read_snapshot(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._snapshots_lock:
            conn = self._snapshots
            try:
                conn.execute("BEGIN")
                try:
                    return fn(conn)
                finally:
                    conn.execute("ROLLBACK")  # nothing to keep: the connection only reads
            except sqlite3.DatabaseError as err:
                raise _read_error(err) from None

    # Writes: never on the calling thread.

    async def write(self, fn: WriteFn[T]) -> T:
        """Run `fn(conn)` in a write transaction of the writer thread; durable when it returns."""
        return await self._writer.write(fn)

    def submit(self, fn: WriteFn[object]) -> None:
        """Queue bookkeeping for the next batch commit (never fails the caller)."""
        self._writer.submit(fn)

    def log_write_failures(self) -> None:
        """From now on also log failed acknowledged writes (once a minute at most): in a running
        hub nobody else does. While it starts, and in the CLI, the caller reports them."""
        self._writer.log_write_failures = True

    async def flush(self) -> None:
        """Wait until the bookkeeping submitted so far is committed (or storage failed)."""
        await self._writer.flush()

    async def aclose(self) -> None:
        """Close from the event loop: the writer finishes in its thread, then the reader closes."""
        await asyncio.to_thread(self._writer.close)
        self._reader.close()
        with self._snapshots_lock:
            self._snapshots.close()

    def close(self) -> None:
        """Commit pending bookkeeping, stop the writer, close both connections (idempotent)."""
        self._writer.close()
        self._reader.close()
        with self._snapshots_lock:
            self._snapshots.close()


def _read_error(err: sqlite3.DatabaseError) -> Exception:
    """A read's storage failure as a StorageError; a write attempted on the reader stays an
    SQLite error (a bug, which `query_only` exists to expose)."""
    if getattr(err, "sqlite_errorcode", None) == SQLITE_READONLY:
        return err
    return storage_error(err) or err


def _close_all(*conns: sqlite3.Connection | None) -> None:
    for conn in conns:
        if conn is not None:
            conn.close()
