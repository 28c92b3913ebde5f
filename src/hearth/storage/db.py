"""A small SQLite wrapper: private file modes, WAL, migrations by `user_version`, transactions."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Final

from hearth.exceptions import ConfigError
from hearth.storage.migrations import MIGRATIONS, Migration

_LOGGER = logging.getLogger(__name__)

BUSY_TIMEOUT: Final = 5.0
PRIVATE_MODE: Final = 0o600
_SIDE_FILES: Final = ("-wal", "-shm", "-journal")

Params = Sequence[Any] | dict[str, Any]


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


class Database:
    """One SQLite connection, used from a single thread (the event loop's or the CLI's)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path
        self._depth = 0

    @classmethod
    def open(cls, path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> Database:
        """Open (creating with mode 0600 if needed) and migrate the database at `path`."""
        try:
            # SQLite gives its -wal and -shm files the mode of the database file, so creating
            # the database 0600 first keeps every file private without touching the umask.
            _create_private(path)
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=True
            )
        except (OSError, sqlite3.Error) as err:
            raise ConfigError(f"cannot open the database: {err}", file=path.name) from None
        db = cls(conn, path)
        try:
            db._configure()
            db._migrate(migrations)
        except sqlite3.Error as err:
            conn.close()
            raise ConfigError(f"cannot use the database: {err}", file=path.name) from None
        except BaseException:
            conn.close()
            raise
        for suffix in _SIDE_FILES:
            _tighten(path.with_name(path.name + suffix))
        return db

    @property
    def path(self) -> Path:
        """Where the database file lives."""
        return self._path

    def _configure(self) -> None:
        """Connection settings; WAL lets the server read while the CLI writes."""
        self._conn.row_factory = sqlite3.Row
        mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError("write-ahead logging is not available")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        # Deleted rows (revoked tokens' keys and hashes) are overwritten, not left in free pages.
        self._conn.execute("PRAGMA secure_delete = ON")
        self._conn.execute("PRAGMA trusted_schema = OFF")

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        """Apply migrations newer than the file's `user_version`, each in its own transaction."""
        latest = len(migrations)
        current = self.schema_version()
        if current > latest:
            raise ConfigError(
                f"the database has schema version {current}, newer than this Hearth supports "
                f"({latest}); upgrade Hearth",
                file=self._path.name,
            )
        for version in range(current + 1, latest + 1):
            with self.transaction() as conn:
                # Another process may have migrated while we waited for the write lock.
                if self.schema_version() >= version:
                    continue
                for statement in migrations[version - 1]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(version)}")
            _LOGGER.debug("Database migrated to schema version %d", version)

    def schema_version(self) -> int:
        """The schema version stored in the file (`PRAGMA user_version`)."""
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def data_version(self) -> int:
        """A number that changes whenever another connection (or process) commits."""
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in a write transaction: commit on success, roll back on any exception.

        Nested blocks become savepoints, so an inner failure undoes only the inner block.
        """
        conn = self._conn
        depth = self._depth
        savepoint = f"sp{depth}"
        conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        self._depth += 1
        try:
            yield conn
            conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
        except BaseException:
            # SQLite may already have rolled back on its own (a full disk, say).
            if conn.in_transaction:
                if depth == 0:
                    conn.execute("ROLLBACK")
                else:
                    conn.execute(f"ROLLBACK TO {savepoint}")
                    conn.execute(f"RELEASE {savepoint}")
            raise
        finally:
            self._depth = depth

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """Run one statement; writes belong inside `transaction()`."""
        return self._conn.execute(sql, params)

    def query(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a query."""
        return self._conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()
