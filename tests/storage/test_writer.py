"""The writer thread: transactions per job, group commits, batched bookkeeping, storage faults."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearth.exceptions import StorageBusy, StorageError, StorageFull
from hearth.storage import Database
from hearth.storage import writer as writer_module
from hearth.storage.faults import storage_error

M1 = ("CREATE TABLE a (x INTEGER NOT NULL UNIQUE) STRICT",)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hearth.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database.open(db_path, [M1])
    yield database
    database.close()


def values(db: Database) -> list[int]:
    return [row[0] for row in db.query("SELECT x FROM a ORDER BY x")]


def insert(*xs: int, fail: bool = False) -> writer_module.WriteFn[int]:
    def run(conn: sqlite3.Connection) -> int:
        for x in xs:
            conn.execute("INSERT INTO a VALUES (?)", (x,))
        if fail:
            raise RuntimeError("fail")
        return len(xs)

    return run


async def test_a_write_runs_off_the_calling_thread_and_returns_its_result(db: Database) -> None:
    threads: list[str] = []

    def job(conn: sqlite3.Connection) -> int:
        threads.append(threading.current_thread().name)
        return insert(1, 2)(conn)

    assert await db.write(job) == 2
    assert threads == ["hearth-db-writer"]
    assert values(db) == [1, 2]


async def test_a_failing_write_leaves_nothing_and_others_in_its_commit_survive(
    db: Database,
) -> None:
    results = await asyncio.gather(
        db.write(insert(1)),
        db.write(insert(2, 3, fail=True)),
        db.write(insert(4, 4)),  # a constraint violation undoes its own first insert too
        db.write(insert(5)),
        return_exceptions=True,
    )
    assert results[0] == 1
    assert isinstance(results[1], RuntimeError)
    assert isinstance(results[2], sqlite3.IntegrityError)
    assert results[3] == 1
    assert values(db) == [1, 5]


async def test_bookkeeping_is_batched_and_flush_waits_for_it(db: Database) -> None:
    for x in range(10):
        db.submit(insert(x))
    # Not yet visible: it waits for its batch (at most BATCH_DELAY).
    await db.flush()
    assert values(db) == list(range(10))


async def test_bookkeeping_commits_by_itself(db: Database) -> None:
    db.submit(insert(7))
    for _ in range(50):
        if values(db):
            break
        await asyncio.sleep(writer_module.BATCH_DELAY)
    assert values(db) == [7]


async def test_a_broken_bookkeeping_job_is_dropped_alone(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    db.submit(insert(1))
    db.submit(insert(1))  # violates the constraint: dropped, logged once
    db.submit(insert(2))
    await db.flush()
    assert values(db) == [1, 2]
    assert "Dropped a bookkeeping record" in caplog.text


async def test_a_burst_of_bookkeeping_wakes_the_writer_once_per_batch(db: Database) -> None:
    writer = db._writer  # the wake-ups are what this test is about
    gate = threading.Event()
    held = asyncio.ensure_future(db.write(lambda conn: gate.wait(10)))  # the writer is busy
    await asyncio.sleep(0.05)
    for x in range(100):
        db.submit(insert(x))
    # One announcement for the whole burst (the writer was busy and could not drain it).
    assert writer._queue.qsize() == 1
    gate.set()
    await held
    await db.flush()
    assert values(db) == list(range(100))


async def test_bookkeeping_beyond_the_bound_drops_the_oldest_and_says_so(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    writer = db._writer
    gate = threading.Event()
    held = asyncio.ensure_future(db.write(lambda conn: gate.wait(10)))
    await asyncio.sleep(0.05)
    limit = writer._inbox.maxlen
    assert limit == writer_module.MAX_PENDING
    for x in range(limit + 5):
        db.submit(insert(x))
    gate.set()
    await held
    await db.flush()
    kept = values(db)
    assert kept == list(range(5, limit + 5))  # the five oldest went, in order
    assert "5 bookkeeping record(s) dropped" in caplog.text


async def test_close_commits_pending_bookkeeping(db_path: Path) -> None:
    db = Database.open(db_path, [M1])
    db.submit(insert(3))
    db.close()
    reopened = Database.open(db_path, [M1])
    try:
        assert values(reopened) == [3]
    finally:
        reopened.close()


def limit_pages(pages: int) -> writer_module.WriteFn[None]:
    def run(conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA max_page_count = {pages}")

    return run


def big_rows(start: int) -> writer_module.WriteFn[int]:
    def run(conn: sqlite3.Connection) -> int:
        conn.executemany("INSERT INTO a VALUES (?)", [(start + i,) for i in range(2000)])
        return 2000

    return run


async def test_a_full_disk_is_storage_full_logged_once_and_recovers(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite's page limit stands in for the disk here (the real disk: tests/acceptance)."""
    db.log_write_failures()  # as a running hub does
    pages = db.query("PRAGMA page_count")[0][0]
    await db.write(limit_pages(pages + 1))
    caplog.set_level(logging.WARNING, logger="hearth.storage.writer")
    for attempt in range(5):
        with pytest.raises(StorageFull, match=r"^storage full"):
            await db.write(big_rows(attempt * 10_000))
        db.submit(big_rows(100_000 + attempt * 10_000))
    storage_lines = [r for r in caplog.records if "Cannot write" in r.getMessage()]
    assert len(storage_lines) == 1, caplog.text
    assert db.query("SELECT count(*) FROM a")[0][0] == 0
    # Space comes back: writes and the waiting bookkeeping go through, without a restart.
    await db.write(limit_pages(1_000_000))
    assert await db.write(big_rows(500_000)) == 2000
    await db.flush()
    assert db.query("SELECT count(*) FROM a")[0][0] == 2000 * 6
    assert "writable again" in caplog.text


async def test_a_lock_held_elsewhere_is_storage_busy_and_the_loop_keeps_running(
    db: Database, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "WRITE_TIMEOUT", 0.5)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        write = asyncio.ensure_future(db.write(insert(1)))
        ticks = 0
        while not write.done():
            await asyncio.sleep(0.01)
            ticks += 1
        # The event loop ran meanwhile: the write waited in the writer thread.
        assert ticks > 5
        with pytest.raises(StorageBusy, match=r"^storage busy"):
            await write
        # Reads still work while another process holds the write lock.
        assert values(db) == []
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await db.write(insert(2)) == 1
    assert values(db) == [2]


def test_storage_errors_are_mapped_by_sqlite_code() -> None:
    def error(code: int) -> sqlite3.OperationalError:
        err = sqlite3.OperationalError("x")
        err.sqlite_errorcode = code  # type: ignore[attr-defined]
        return err

    assert isinstance(storage_error(error(5)), StorageBusy)
    assert isinstance(storage_error(error(5 | (1 << 8))), StorageBusy)
    assert isinstance(storage_error(error(13)), StorageFull)
    assert isinstance(storage_error(error(10 | (3 << 8))), StorageFull)  # a quota, a size limit
    assert type(storage_error(error(10 | (4 << 8)))) is StorageError  # fsync failed
    assert storage_error(error(19)) is None  # a constraint: the job's own error
    assert storage_error(RuntimeError()) is None


async def test_a_write_after_close_fails_cleanly(db_path: Path) -> None:
    db = Database.open(db_path, [M1])
    db.close()
    with pytest.raises(StorageError):
        await db.write(insert(1))
    db.submit(insert(2))  # dropped, never raises
