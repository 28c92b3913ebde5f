"""The history database: its schema, and opening it for the writer or for reading.

Hearth's own design, for "one entity over a time range":
- `states` is clustered by (entity, updated): the history of one entity is one contiguous range
  of the table, found with one seek (no separate index, no lookups into another table).
- An attribute set is stored once in `attributes` (found by a hash of its JSON) and referenced.
- Entity ids are stored once in `entities`, contexts only when they say something (a user, a
  parent, a service call): most state changes carry neither.
- Timestamps are seconds since the epoch (REAL); `changed` is NULL when it equals `updated`.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import suppress
from pathlib import Path
from typing import Final

PRIVATE_MODE: Final = 0o600
BUSY_TIMEOUT_MS: Final = 5000
_SIDE_FILES: Final = ("-wal", "-shm", "-journal")

# One list of statements per schema version; `PRAGMA user_version` says which have run.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        # continuous: a sensor with a unit or state class; the logbook leaves those out.
        "CREATE TABLE entities (id INTEGER PRIMARY KEY, entity_id TEXT NOT NULL UNIQUE, "
        "continuous INTEGER NOT NULL DEFAULT 0)",
        # last_used: the newest state using the set (kept within an hour), for the purge.
        "CREATE TABLE attributes (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, "
        "last_used REAL NOT NULL, shared BLOB NOT NULL)",
        "CREATE INDEX attributes_hash ON attributes (hash)",
        "CREATE INDEX attributes_last_used ON attributes (last_used)",
        "CREATE TABLE contexts (id INTEGER PRIMARY KEY, context_id TEXT NOT NULL UNIQUE, "
        "user_id TEXT, parent_id TEXT, time REAL NOT NULL)",
        "CREATE INDEX contexts_time ON contexts (time)",
        # state NULL: the entity was removed. changed = updated (not NULL): the entity appeared
        # (the logbook shows changes only, not the first state after a start).
        "CREATE TABLE states (entity INTEGER NOT NULL, updated REAL NOT NULL, changed REAL, "
        "state TEXT, attributes INTEGER, context INTEGER, PRIMARY KEY (entity, updated)) "
        "WITHOUT ROWID",
        # Hub start and stop, logbook entries, and service calls (their domain and service only:
        # service data may hold codes) as the cause of the changes they made.
        "CREATE TABLE events (id INTEGER PRIMARY KEY, time REAL NOT NULL, type TEXT NOT NULL, "
        "context INTEGER, data BLOB)",
        "CREATE INDEX events_time ON events (time)",
    ),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


class SchemaTooNew(sqlite3.DatabaseError):
    """The file was written by a newer Hearth."""


def _create_private(path: Path) -> None:
    """Create the file with mode 0600 if missing; tighten an existing one that is looser."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, PRIVATE_MODE)
    finally:
        os.close(fd)


def _tighten_side_files(path: Path) -> None:
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        with suppress(FileNotFoundError):
            if stat.S_IMODE(side.stat().st_mode) & 0o077:
                side.chmod(PRIVATE_MODE)


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA trusted_schema = OFF")


def open_writer(path: Path) -> sqlite3.Connection:
    """The writer's connection: file created 0600, WAL, migrated. sqlite3.Error on failure.

    synchronous = FULL: each commit is on disk before the next batch starts, so a power loss
    costs at most the batch being written; WAL keeps the file consistent through any crash.
    """
    # SQLite gives its -wal and -shm files the mode of the database: creating it 0600 first
    # keeps all three private without touching the umask.
    _create_private(path)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        _configure(conn)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError("write-ahead logging is not available")
        conn.execute("PRAGMA synchronous = FULL")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    _tighten_side_files(path)
    return conn


def open_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection (the file must exist); never writes, never creates."""
    conn = sqlite3.connect(
        f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        _configure(conn)
        conn.execute("PRAGMA query_only = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations newer than the file's `user_version`, each in one transaction."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the history database has schema version {current}, newer than this Hearth "
            f"supports ({SCHEMA_VERSION}); upgrade Hearth"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while this one waited for the lock.
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) < version:
                for statement in MIGRATIONS[version - 1]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
