"""Database: migrations, the read-only reader, file modes, refusing garbage, change detection."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hearth.exceptions import ConfigError
from hearth.storage import MIGRATIONS, Database
from hearth.storage.writer import POLL_INTERVAL

M1 = ("CREATE TABLE a (x INTEGER NOT NULL UNIQUE) STRICT",)
M2 = ("CREATE TABLE b (y TEXT) STRICT", "INSERT INTO b VALUES ('seed')")
BROKEN = ("CREATE TABLE c (z TEXT)", "INSERT INTO no_such_table VALUES (1)")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hearth.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database.open(db_path, [M1])
    yield database
    database.close()


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def tables(db: Database) -> set[str]:
    return {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_new_database_gets_the_full_schema(db_path: Path) -> None:
    db = Database.open(db_path)
    try:
        assert db.schema_version() == len(MIGRATIONS)
        assert {"users", "refresh_tokens"} <= tables(db)
    finally:
        db.close()


def test_connection_settings(db: Database) -> None:
    assert db.query("PRAGMA journal_mode")[0][0] == "wal"
    # The reader waits only briefly and can never write: every write goes through the writer.
    assert db.query("PRAGMA busy_timeout")[0][0] == 250
    assert db.query("PRAGMA query_only")[0][0] == 1


async def test_writer_commits_durably(db: Database) -> None:
    def settings(conn: sqlite3.Connection) -> tuple[int, int]:
        return (
            conn.execute("PRAGMA synchronous").fetchone()[0],
            conn.execute("PRAGMA foreign_keys").fetchone()[0],
        )

    # FULL (2): the WAL is synced at every commit, so an acknowledged write survives power loss.
    assert await db.write(settings) == (2, 1)


def test_reader_refuses_writes(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.query("INSERT INTO a VALUES (1)")


def test_migrations_apply_incrementally(db_path: Path) -> None:
    Database.open(db_path, [M1]).close()
    db = Database.open(db_path, [M1, M2])
    try:
        assert db.schema_version() == 2
        assert db.query("SELECT y FROM b")[0][0] == "seed"
    finally:
        db.close()


def test_failing_migration_leaves_nothing(db_path: Path) -> None:
    Database.open(db_path, [M1]).close()
    with pytest.raises(ConfigError, match=r"hearth\.db"):
        Database.open(db_path, [M1, BROKEN])
    db = Database.open(db_path, [M1])
    try:
        assert db.schema_version() == 1
        assert "c" not in tables(db)
    finally:
        db.close()


def test_newer_schema_is_refused(db_path: Path) -> None:
    Database.open(db_path, [M1, M2]).close()
    with pytest.raises(ConfigError, match="newer than this Hearth supports"):
        Database.open(db_path, [M1])


def test_not_a_database_is_refused_before_anything_is_touched(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path.write_bytes(b"this is not sqlite" * 100)
    db_path.chmod(0o644)
    with pytest.raises(ConfigError, match=r"hearth\.db: not an SQLite database") as raised:
        Database.open(db_path)
    assert "\n" not in str(raised.value)
    # Rejected first: no "tightened permissions" warning about a file that is then refused.
    assert "Tightened" not in caplog.text
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o644


def test_empty_file_becomes_a_database(db_path: Path) -> None:
    db_path.touch(mode=0o600)
    Database.open(db_path).close()
    assert db_path.read_bytes().startswith(b"SQLite format 3\x00")


def test_files_are_private_whatever_the_umask(db_path: Path) -> None:
    with umask(0):
        db = Database.open(db_path)
        asyncio.run(
            db.write(
                lambda conn: conn.execute(
                    "INSERT INTO users (id, username, name, password_hash, is_owner, is_admin, "
                    "is_active, local_only, created_at) "
                    "VALUES ('i', 'u', 'n', NULL, 0, 0, 1, 0, 'now')"
                )
            )
        )
        files = [db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm"))]
        try:
            for path in files:
                assert path.exists(), path
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        finally:
            db.close()


def test_loose_existing_file_is_tightened(db_path: Path) -> None:
    db_path.touch()
    db_path.chmod(0o644)
    Database.open(db_path).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


async def test_other_processes_commits_are_noticed_not_our_own(db: Database, db_path: Path) -> None:
    before = db.external_changes
    await db.write(lambda conn: conn.execute("INSERT INTO a VALUES (1)"))
    await asyncio.sleep(POLL_INTERVAL * 3)
    assert db.external_changes == before  # our own commits do not count
    other = sqlite3.connect(db_path)
    try:
        other.execute("INSERT INTO a VALUES (2)")
        other.commit()
    finally:
        other.close()
    for _ in range(40):
        if db.external_changes != before:
            break
        await asyncio.sleep(POLL_INTERVAL / 2)
    assert db.external_changes != before


def test_opening_retries_while_another_process_holds_the_file_for_a_moment(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite may answer SQLITE_BUSY at once, without its busy handler, to a process opening
    a database that another one is switching to WAL or checkpointing on close (two `hearth
    user add` on an empty hub). Opening tries again instead of failing."""
    from hearth.storage import db as db_module

    real = db_module._configure_writer
    attempts: list[int] = []

    def busy_twice(conn: sqlite3.Connection) -> None:
        attempts.append(1)
        if len(attempts) <= 2:
            err = sqlite3.OperationalError("database is locked")
            err.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
            raise err
        real(conn)

    monkeypatch.setattr(db_module, "_configure_writer", busy_twice)
    database = Database.open(db_path)
    try:
        assert len(attempts) == 3
        assert database.schema_version() == len(MIGRATIONS)
    finally:
        database.close()


def test_opening_gives_up_on_a_database_that_stays_busy(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hearth.storage import db as db_module

    def always_busy(conn: sqlite3.Connection) -> None:
        err = sqlite3.OperationalError("database is locked")
        err.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
        raise err

    monkeypatch.setattr(db_module, "_configure_writer", always_busy)
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT", 0.2)
    with pytest.raises(ConfigError, match="cannot use the database: database is locked"):
        Database.open(db_path)
