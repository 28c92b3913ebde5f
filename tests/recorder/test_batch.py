"""Events become rows: one attribute set stored once, contexts only when they say something,
secrets never written to the file."""

from __future__ import annotations

from pathlib import Path

from hearth.core.context import Context
from hearth.core.events import EVENT_HUB_START, Event
from hearth.recorder.items import snapshot_of
from hearth.recorder.schema import open_writer
from tests.recorder.support import T0, at, call, change, database, history

SENSOR = {"unit_of_measurement": "°C", "state_class": "measurement", "friendly_name": "T"}


def test_an_attribute_set_is_stored_once(tmp_path: Path) -> None:
    with database(tmp_path / "h.db") as (conn, batch):
        events = history("sensor.t", [(i, f"{20 + i / 10:.1f}") for i in range(50)], SENSOR)
        assert batch.write(events[:20]) == 20
        assert batch.write(events[20:]) == 30
        batch.forget()  # a fresh cache finds the stored set by its hash
        batch.write(history("sensor.t", [(100, "1.0"), (101, "2.0")], SENSOR))
        assert conn.execute("SELECT count(*) FROM attributes").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM states").fetchone()[0] == 52
        assert conn.execute("SELECT continuous FROM entities").fetchone()[0] == 1


def test_rows_hold_numbers_and_mark_appearance(tmp_path: Path) -> None:
    with database(tmp_path / "h.db") as (conn, batch):
        first, old = change("light.a", "on", 0)
        moved, _ = change("light.a", "on", 5, old=old, attributes={"brightness": 9}, changed=0)
        off, _ = change("light.a", "off", 9, old=old)
        batch.write([first, moved, off])
        rows = conn.execute("SELECT updated, changed, state FROM states ORDER BY updated")
        assert rows.fetchall() == [(T0, T0, "on"), (T0 + 5, T0, "on"), (T0 + 9, None, "off")]


def test_same_time_twice_keeps_both(tmp_path: Path) -> None:
    with database(tmp_path / "h.db") as (conn, batch):
        one, old = change("switch.s", "on", 1)
        two, _ = change("switch.s", "off", 1, old=old)
        batch.write([one, two])
        states = conn.execute("SELECT state FROM states ORDER BY updated").fetchall()
        assert states == [("on",), ("off",)]


def test_contexts_only_when_they_say_something(tmp_path: Path) -> None:
    user = Context(user_id="u" * 32)
    by_call = Context()
    with database(tmp_path / "h.db") as (conn, batch):
        plain, _ = change("sensor.a", "1", 0)
        by_user, _ = change("light.a", "on", 1, context=user)
        called, _ = change("light.b", "on", 2, context=by_call)
        batch.write([plain, by_user, call("light", "turn_on", by_call, 1.9), called])
        assert conn.execute("SELECT count(*) FROM contexts").fetchone()[0] == 2
        linked = conn.execute(
            "SELECT e.entity_id, c.user_id FROM states s JOIN entities e ON e.id = s.entity "
            "JOIN contexts c ON c.id = s.context ORDER BY e.entity_id"
        ).fetchall()
        assert linked == [("light.a", "u" * 32), ("light.b", None)]
        (data,) = conn.execute("SELECT data FROM events WHERE type = 'call_service'").fetchone()
        assert data == b'{"domain":"light","service":"turn_on"}'  # never the service data


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    """Attributes named like secrets, of sensitive entities, tokens in URLs: not on disk."""
    secret = "S3cr3t-Val-91"
    path = tmp_path / "h.db"
    with database(path) as (conn, batch):
        events = [
            change("sensor.api", "ok", 0, attributes={"access_token": secret, "n": 1})[0],
            change("camera.door", "idle", 1, attributes={"friendly_name": secret})[0],
            change("media_player.tv", "on", 2, attributes={"art": f"/p?token={secret}"})[0],
            change("lock.front", "locked", 3, attributes={"code_format": secret})[0],
            call("lock", "unlock", Context(), 4),
        ]
        batch.write(events)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for file in tmp_path.iterdir():
        assert secret.encode() not in file.read_bytes(), file.name
        assert b"4711" not in file.read_bytes(), file.name  # the unlock code of the call


def test_snapshot_is_not_recorded_twice(tmp_path: Path) -> None:
    with database(tmp_path / "h.db") as (conn, batch):
        event, state = change("light.a", "on", 0)
        batch.write([event])
        batch.write([snapshot_of(state)])
        batch.forget()
        batch.write([snapshot_of(state)])  # the key (entity, time) is already there
        assert conn.execute("SELECT count(*) FROM states").fetchone()[0] == 1


def test_hub_events_are_kept(tmp_path: Path) -> None:
    with database(tmp_path / "h.db") as (conn, batch):
        batch.write([Event(EVENT_HUB_START, time_fired=at(0))])
        assert conn.execute("SELECT time, type FROM events").fetchall() == [(T0, EVENT_HUB_START)]


def test_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    conn = open_writer(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        conn.close()
    assert path.stat().st_mode & 0o777 == 0o600
