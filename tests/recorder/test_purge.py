"""The purge keeps exactly the configured days, in small batches."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hearth.core.context import Context
from hearth.recorder.purge import PurgeRun, last_purge, next_purge_time
from tests.recorder.support import T0, call, database, history

DAY = 86400.0


def _ages(conn: sqlite3.Connection) -> list[float]:
    rows = conn.execute("SELECT updated FROM states ORDER BY updated").fetchall()
    return [round((T0 - updated) / DAY, 3) for (updated,) in rows]


def test_keeps_exactly_the_days(tmp_path: Path) -> None:
    ages = [12.0, 10.5, 10.001, 9.999, 5.0, 1.0, 0.0]
    with database(tmp_path / "h.db") as (conn, batch):
        for number in range(3):
            events = history(
                f"sensor.s{number}",
                [(-age * DAY, f"{number}-{age}") for age in ages],
                {"unit_of_measurement": "W"},
            )
            batch.write(events)
        user = Context(user_id="a" * 32)
        batch.write([call("light", "toggle", user, -11 * DAY), call("light", "toggle", user, 0)])
        run = PurgeRun(T0 - 10 * DAY, batch=4, remove_entities=True)
        steps = 0
        while not run.done:
            before = conn.total_changes
            run.step(conn)
            steps += 1
            assert conn.total_changes - before <= 4 + 1  # the batch, and the last_purge mark
        assert _ages(conn) == sorted([9.999, 5.0, 1.0, 0.0] * 3, reverse=True)
        assert run.deleted["states"] == 9
        assert steps >= 9 // 4
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM contexts").fetchone()[0] == 1
        assert last_purge(conn) is not None


def test_unused_attribute_sets_and_entities_go(tmp_path: Path) -> None:
    with database(tmp_path / "h.db") as (conn, batch):
        batch.write(history("sensor.gone", [(-20 * DAY, "1")], {"unit": "old"}))
        batch.write(history("sensor.here", [(-20 * DAY, "1"), (0, "2")], {"unit": "new"}))
        run = PurgeRun(T0 - 10 * DAY, batch=100, remove_entities=True)
        while not run.done:
            run.step(conn)
        assert conn.execute("SELECT entity_id FROM entities").fetchall() == [("sensor.here",)]
        (shared,) = conn.execute("SELECT shared FROM attributes").fetchone()
        assert shared == b'{"unit":"new"}'


def test_the_cli_keeps_entity_ids(tmp_path: Path) -> None:
    """Beside a running hub, whose writer caches entity ids, the CLI leaves them."""
    with database(tmp_path / "h.db") as (conn, batch):
        batch.write(history("sensor.gone", [(-20 * DAY, "1")]))
        run = PurgeRun(T0 - 10 * DAY, batch=100)
        while not run.done:
            run.step(conn)
        assert conn.execute("SELECT count(*) FROM states").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM entities").fetchone()[0] == 1


def test_next_purge_is_at_night_local_time() -> None:
    noon_utc = 1_717_243_200.0  # 2024-06-01 12:00 UTC
    # 04:00 in Amsterdam (UTC+2 in June) is 02:00 UTC the next day.
    assert next_purge_time(noon_utc, "Europe/Amsterdam") == noon_utc + 14 * 3600
    assert next_purge_time(noon_utc, "UTC") == noon_utc + 16 * 3600
