"""Tests for hearth.websocket.compressed: HA's compressed entity format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from hearth.core.context import Context
from hearth.core.events import EVENT_STATE_CHANGED, Event
from hearth.core.state import State
from hearth.websocket import compressed

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=5)
CTX = Context(id="01JGQZ0000000000000000000A")


def _state(
    state: str = "on",
    attributes: dict[str, object] | None = None,
    *,
    changed: datetime = T0,
    updated: datetime = T0,
    context: Context = CTX,
) -> State:
    return State("light.kitchen", state, attributes or {}, changed, updated, updated, context)


def _changed(old: State | None, new: State | None) -> Event:
    data = {"entity_id": "light.kitchen", "old_state": old, "new_state": new}
    return Event(EVENT_STATE_CHANGED, data)


def test_initial_message_compresses_each_state() -> None:
    plain = _state("on", {"brightness": 10})
    updated = State("light.hall", "off", {}, T0, T1, T1, Context(id="c2", user_id="u1"))
    message = orjson.loads(compressed.initial_message([plain, updated]))
    assert message == {
        "a": {
            "light.kitchen": {
                "s": "on",
                "a": {"brightness": 10},
                "c": CTX.id,
                "lc": T0.timestamp(),
            },
            "light.hall": {
                "s": "off",
                "a": {},
                "c": {"id": "c2", "parent_id": None, "user_id": "u1"},
                "lc": T0.timestamp(),
                "lu": T1.timestamp(),
            },
        }
    }


def test_initial_message_without_states() -> None:
    assert orjson.loads(compressed.initial_message([])) == {"a": {}}


DIFF_CASES = [
    # (old, new, expected diff)
    (
        _state("off"),
        _state("on", changed=T1, updated=T1),
        {"+": {"s": "on", "lc": T1.timestamp()}},
    ),
    (
        _state("on", {"brightness": 10}),
        _state("on", {"brightness": 20}, updated=T1),
        {"+": {"lu": T1.timestamp(), "a": {"brightness": 20}}},
    ),
    (
        _state("on", {"brightness": 10, "color": "red"}),
        _state("on", {"brightness": 10}, updated=T1),
        {"+": {"lu": T1.timestamp()}, "-": {"a": ["color"]}},
    ),
    (
        _state("on"),
        _state("on", updated=T1, context=Context(id="new")),
        {"+": {"lu": T1.timestamp(), "c": "new"}},
    ),
    (
        _state("on"),
        _state("on", updated=T1, context=Context(id="new", user_id="u1")),
        {"+": {"lu": T1.timestamp(), "c": {"user_id": "u1", "id": "new"}}},
    ),
    (
        _state("on", context=Context(id="same", parent_id="p1")),
        _state("on", updated=T1, context=Context(id="same")),
        {"+": {"lu": T1.timestamp(), "c": {"parent_id": None}}},
    ),
]


def test_state_diffs() -> None:
    for old, new, expected in DIFF_CASES:
        assert compressed.state_diff(old, new) == expected


def test_event_diff_add_change_remove() -> None:
    new = _state("on")
    assert compressed.event_diff(_changed(None, new))["a"]["light.kitchen"]["s"] == "on"
    changed = compressed.event_diff(_changed(_state("off"), _state("on", changed=T1)))
    assert changed == {"c": {"light.kitchen": {"+": {"s": "on", "lc": T1.timestamp()}}}}
    assert compressed.event_diff(_changed(new, None)) == {"r": ["light.kitchen"]}


def test_event_diff_json_is_computed_once_per_event() -> None:
    event = _changed(_state("off"), _state("on", changed=T1))
    first = compressed.event_diff_json(event)
    assert compressed.event_diff_json(event) is first
    other = compressed.event_diff_json(_changed(None, _state("on")))
    assert other is not first
    expected = {"s": "on", "a": {}, "c": CTX.id, "lc": T0.timestamp()}
    assert orjson.loads(other) == {"a": {"light.kitchen": expected}}


def test_diff_cache_is_bounded() -> None:
    for _ in range(1000):
        compressed.event_diff_json(_changed(None, _state("on")))
    assert len(compressed._diff_cache) <= compressed._DIFF_CACHE_SIZE
