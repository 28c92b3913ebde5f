"""The writer thread: batches, barriers, a bounded backlog, the last batch written at stop."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from hearth.recorder import space, status
from hearth.recorder.reader import Reader
from hearth.recorder.writer import Writer, WriterSettings
from tests.recorder.support import history, plain_filter, records

TIMEOUT = 10.0


def _writer(tmp_path: Path, **settings: float) -> Writer:
    status_file = status.StatusFile(tmp_path / "h.status")
    status_file.open()
    return Writer(
        tmp_path / "h.db",
        plain_filter(),
        WriterSettings(**settings),  # type: ignore[arg-type]
        status_file,
        on_resume=lambda: None,
    )


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM states").fetchone()[0])


def test_a_barrier_waits_for_the_commit(tmp_path: Path) -> None:
    writer = _writer(tmp_path, commit_interval=30.0)  # only the barrier commits early
    writer.start()
    try:
        for event in records(history("sensor.a", [(i, str(i)) for i in range(5)])):
            assert writer.put(event)
        done = threading.Event()
        writer.barrier(done.set)
        assert done.wait(TIMEOUT)
        assert _count(tmp_path / "h.db") == 5
        found = status.read_status(tmp_path / "h.status")
        assert found is not None
        assert found.state == status.RECORDING
    finally:
        writer.stop(TIMEOUT)


def test_stop_writes_what_waits(tmp_path: Path) -> None:
    writer = _writer(tmp_path, commit_interval=30.0)
    writer.start()
    for event in records(history("sensor.a", [(i, str(i)) for i in range(7)])):
        writer.put(event)
    writer.stop(TIMEOUT)
    assert not writer.running
    assert _count(tmp_path / "h.db") == 7
    found = status.read_status(tmp_path / "h.status")
    assert found is not None
    assert found.state == status.CLOSED
    assert not writer.put(records(history("sensor.a", [(99, "x")]))[0])  # stopped: refused, counted


def test_batches_are_bounded(tmp_path: Path) -> None:
    writer = _writer(tmp_path, commit_interval=30.0, batch_rows=10)
    writer.start()
    try:
        for event in records(history("sensor.a", [(i, str(i)) for i in range(25)])):
            writer.put(event)
        done = threading.Event()
        writer.barrier(done.set)
        assert done.wait(TIMEOUT)
        assert _count(tmp_path / "h.db") == 25
    finally:
        writer.stop(TIMEOUT)


def test_the_backlog_is_bounded(tmp_path: Path) -> None:
    writer = _writer(tmp_path, max_backlog=3)
    writer.recording = True  # accepting, but no thread to drain the queue
    changes = records(history("sensor.a", [(i, str(i)) for i in range(5)]))
    assert [writer.put(change) for change in changes] == [True, True, True, False, False]
    assert (writer.backlog, writer.dropped) == (3, 2)


def test_the_backlog_is_bounded_in_bytes(tmp_path: Path) -> None:
    """Large attribute sets count by their size: a stalled writer cannot hold gigabytes."""
    writer = _writer(tmp_path, max_backlog_bytes=300_000)
    writer.recording = True
    big = [
        records(history(f"sensor.s{i}", [(0, "x")], {"blob": f"{i:03d}" * 30_000}))[0]
        for i in range(5)
    ]
    assert [writer.put(change) for change in big] == [True, True, True, True, False]
    assert writer.dropped == 1


def test_the_files_are_opened_by_start_and_kept(tmp_path: Path) -> None:
    """A hub that gave root up may no longer reach its configuration directory by path (and
    SQLite opens by absolute path): the writer and the reader open everything when started
    and keep it. Moving the directory away stands in for losing the path here."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    writer = _writer(config_dir, commit_interval=30.0)
    reader = Reader(config_dir / "h.db")
    writer.start()
    reader.open()
    config_dir.rename(tmp_path / "moved")
    try:
        for event in records(history("sensor.a", [(i, str(i)) for i in range(3)])):
            assert writer.put(event)
        done = threading.Event()
        writer.barrier(done.set)
        assert done.wait(TIMEOUT)
        assert writer.recording
        count = reader.read_now(
            lambda conn: int(conn.execute("SELECT count(*) FROM states").fetchone()[0]),
            lambda: -1,
        )
        assert count == 3
        # The free space is looked up through the directory held open, not its old path.
        assert space.free_bytes(writer.path) is None
        assert space.free_bytes(writer.path, writer.directory) is not None
    finally:
        reader.close()
        writer.stop(TIMEOUT)
