"""Logbook entries: changes with the user and the service call behind them; no measurements."""

from __future__ import annotations

from pathlib import Path

from hearth.core.context import Context
from hearth.core.events import EVENT_HUB_START, Event
from hearth.recorder.logbook import LogbookQuery, fetch_entries
from tests.recorder.support import T0, at, call, change, database

USER = "0123456789abcdef0123456789abcdef"


def _book(tmp_path: Path) -> Path:
    path = tmp_path / "h.db"
    with database(path) as (_, batch):
        clicked = Context(user_id=USER)
        lamp, old = change("light.lamp", "off", 0)  # appears: no entry
        on, _ = change("light.lamp", "on", 10, old=old, context=clicked)
        temp, old_t = change("sensor.t", "20.1", 0, attributes={"unit_of_measurement": "°C"})
        temp2, _ = change(
            "sensor.t", "20.4", 12, old=old_t, attributes={"unit_of_measurement": "°C"}
        )
        door, old_d = change("sensor.door", "closed", 0)
        opened, _ = change("sensor.door", "open", 15, old=old_d)
        batch.write(
            [Event(EVENT_HUB_START, time_fired=at(1)), lamp, temp, door,
             call("light", "turn_on", clicked, 9.9), on, temp2, opened]
        )  # fmt: skip
    return path


def test_entries_with_who_and_why(tmp_path: Path) -> None:
    with database(_book(tmp_path)) as (conn, _):
        entries = fetch_entries(conn, LogbookQuery(T0 - 1, None), iso=False, names=None)
    assert entries == [
        {"when": T0 + 1, "name": "Hearth", "message": "started", "domain": "homeassistant"},
        {"when": T0 + 10, "state": "on", "entity_id": "light.lamp", "context_user_id": USER,
         "context_event_type": "call_service", "context_domain": "light",
         "context_service": "turn_on"},
        {"when": T0 + 15, "state": "open", "entity_id": "sensor.door"},
    ]  # fmt: skip


def test_rest_shape_and_filters(tmp_path: Path) -> None:
    with database(_book(tmp_path)) as (conn, _):
        query = LogbookQuery(T0 - 1, T0 + 100, ("sensor.door", "sensor.t"))
        entries = fetch_entries(conn, query, iso=True, names={"sensor.door": "Door"})
        assert entries == [
            {"when": at(15).isoformat(), "state": "open", "entity_id": "sensor.door",
             "name": "Door"}
        ]  # fmt: skip
        (context_id,) = conn.execute("SELECT context_id FROM contexts LIMIT 1").fetchone()
        by_context = fetch_entries(
            conn, LogbookQuery(T0 - 1, None, None, context_id), iso=False, names=None
        )
        assert [entry["entity_id"] for entry in by_context] == ["light.lamp"]
        assert (
            fetch_entries(conn, LogbookQuery(T0 - 1, None, None, "nope"), iso=False, names=None)
            == []
        )
