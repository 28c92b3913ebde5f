"""Database: migrations, transactions, file modes, change detection."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hearth.exceptions import ConfigError
from hearth.storage import MIGRATIONS, Database

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
    assert db.query("PRAGMA foreign_keys")[0][0] == 1
    assert db.query("PRAGMA busy_timeout")[0][0] == 5000


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


def test_not_a_database_is_a_config_error(db_path: Path) -> None:
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="cannot use the database"):
        Database.open(db_path)


def insert_all(db: Database, *values: int, fail: bool = False) -> None:
    """Insert values into `a` in one transaction, then optionally fail."""
    with db.transaction() as conn:
        for value in values:
            conn.execute("INSERT INTO a VALUES (?)", (value,))
        if fail:
            raise RuntimeError("fail")


def test_failing_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        insert_all(db, 1, 2, fail=True)
    assert db.query("SELECT x FROM a") == []


def test_constraint_violation_rolls_back_earlier_statements(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        insert_all(db, 1, 1)
    assert db.query("SELECT x FROM a") == []


def test_successful_transaction_commits(db: Database, db_path: Path) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO a VALUES (1)")
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("SELECT x FROM a").fetchall() == [(1,)]
    finally:
        other.close()


def test_nested_failure_undoes_only_the_inner_block(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO a VALUES (1)")
        with pytest.raises(RuntimeError):
            insert_all(db, 2, fail=True)
        conn.execute("INSERT INTO a VALUES (3)")
    assert [r[0] for r in db.query("SELECT x FROM a ORDER BY x")] == [1, 3]


def test_files_are_private_whatever_the_umask(db_path: Path) -> None:
    with umask(0):
        db = Database.open(db_path)
        with db.transaction() as conn:
            conn.execute(
                "INSERT INTO users (id, username, name, password_hash, is_owner, is_admin, "
                "is_active, local_only, created_at) VALUES ('i', 'u', 'n', NULL, 0, 0, 1, 0, 'now')"
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


def test_data_version_notices_other_connections(db: Database, db_path: Path) -> None:
    before = db.data_version()
    with db.transaction() as conn:
        conn.execute("INSERT INTO a VALUES (1)")
    assert db.data_version() == before  # our own commits do not count
    other = Database.open(db_path, [M1])
    try:
        with other.transaction() as conn:
            conn.execute("INSERT INTO a VALUES (2)")
    finally:
        other.close()
    assert db.data_version() != before
