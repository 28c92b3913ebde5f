"""History queries in Home Assistant's shapes: the start state, minimal answers, bounds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hearth.core.state import State
from hearth.exceptions import BadRequest
from hearth.recorder import history
from hearth.recorder.history import HistoryQuery
from tests.recorder.support import T0, at, change, database

LIGHT = {"brightness": 100, "friendly_name": "Lamp"}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """light.lamp: on at 0, brightness change at 10 (still on), off at 20, on at 30;
    climate.room: 18 at 0, a target change at 15 (same state)."""
    with database(tmp_path / "h.db") as (conn, batch):
        first, old = change("light.lamp", "on", 0, attributes=LIGHT)
        dim, old = change(
            "light.lamp", "on", 10, old=old, attributes={**LIGHT, "brightness": 50}, changed=0
        )
        off, old = change("light.lamp", "off", 20, old=old, attributes=LIGHT)
        on, _ = change("light.lamp", "on", 30, old=old, attributes=LIGHT)
        heat, old = change("climate.room", "heat", 0, attributes={"target": 18})
        warmer, _ = change(
            "climate.room", "heat", 15, old=old, attributes={"target": 20}, changed=0
        )
        batch.write([first, heat, dim, warmer, off, on])
        yield conn


def _query(
    db: sqlite3.Connection, **fields: Any
) -> tuple[dict[str, Any], dict[int, Any], HistoryQuery]:
    query = HistoryQuery(**{"start": T0 + 5, "end": None, "entity_ids": ("light.lamp",), **fields})
    found, attributes = history.fetch(db, query)
    return found, attributes, query


def test_compressed_with_start_state(db: sqlite3.Connection) -> None:
    found, attributes, query = _query(db)
    states = history.compressed(found, attributes, query)["light.lamp"]
    # The state at the start is shown from the start; the brightness change is no significant
    # change of a light; off and on again follow.
    assert states == [
        {"s": "on", "a": LIGHT, "lu": T0 + 5},
        {"s": "off", "a": LIGHT, "lu": T0 + 20},
        {"s": "on", "a": LIGHT, "lu": T0 + 30},
    ]


def test_every_change_and_last_changed(db: sqlite3.Connection) -> None:
    found, attributes, query = _query(db, significant_only=False, include_start_state=False)
    states = history.compressed(found, attributes, query)["light.lamp"]
    assert states[0] == {"s": "on", "a": {**LIGHT, "brightness": 50}, "lu": T0 + 10, "lc": T0}
    assert [item["s"] for item in states] == ["on", "off", "on"]


def test_minimal_response_without_attributes(db: sqlite3.Connection) -> None:
    found, attributes, query = _query(
        db, minimal=True, no_attributes=True, entity_ids=("light.lamp", "climate.room")
    )
    assert attributes == {}
    out = history.compressed(found, attributes, query)
    assert list(out) == ["light.lamp", "climate.room"]  # the order asked for
    assert out["light.lamp"] == [
        {"s": "on", "lu": T0 + 5},
        {"s": "off", "lu": T0 + 20},
        {"s": "on", "lu": T0 + 30},
    ]
    # A thermostat's attribute changes are its history: every row, in full.
    assert out["climate.room"] == [
        {"s": "heat", "lu": T0 + 5},
        {"s": "heat", "lu": T0 + 15, "lc": T0},
    ]


def test_full_shape_for_rest(db: sqlite3.Connection) -> None:
    found, attributes, query = _query(db, minimal=True, end=T0 + 25)
    (states,) = history.full(found, attributes, query)
    iso = at(5).isoformat()
    assert states == [
        {"entity_id": "light.lamp", "state": "on", "attributes": LIGHT, "last_changed": iso,
         "last_updated": iso},
        {"state": "off", "last_changed": at(20).isoformat()},
    ]  # fmt: skip


def test_unknown_and_unrecorded_entities_are_left_out(db: sqlite3.Connection) -> None:
    found, attributes, query = _query(db, entity_ids=("light.nope", "light.lamp"))
    assert list(history.compressed(found, attributes, query)) == ["light.lamp"]


def test_current_state_fills_in_for_purged_history(db: sqlite3.Connection) -> None:
    """An entity unchanged since long before the start has no rows left; its current state
    is its state at the start."""
    found, attributes, query = _query(db, entity_ids=("switch.old", "light.lamp"))
    old = State("switch.old", "on", {"friendly_name": "Old"}, at(-99 * 86400), at(-99 * 86400))
    recent = State("switch.new", "on", {}, at(7), at(7))  # changed after the start: unknown
    query = HistoryQuery(T0 + 5, None, ("switch.old", "light.lamp", "switch.new"))
    found = history.with_current_states(found, attributes, query, [old, recent])
    out = history.compressed(found, attributes, query)
    assert list(out) == ["switch.old", "light.lamp"]
    assert out["switch.old"] == [{"s": "on", "a": {"friendly_name": "Old"}, "lu": T0 + 5}]


def test_answers_are_bounded(db: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hearth.const.RECORDER_MAX_QUERY_ROWS", 2)
    with pytest.raises(BadRequest, match="more than 2 states"):
        _query(db)
