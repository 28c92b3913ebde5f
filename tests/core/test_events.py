"""Tests for hearth.core.events."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import orjson
import pytest

from hearth.core.context import Context
from hearth.core.events import (
    EVENT_STATE_CHANGED,
    MATCH_ALL,
    RESERVED_EVENT_TYPES,
    Event,
    EventBus,
    EventOrigin,
)
from hearth.core.state import State
from hearth.exceptions import BadRequest, InvalidPayload


def test_listener_receives_matching_events_only() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.listen("test_event", seen.append)
    fired = bus.fire("test_event", {"a": 1})
    bus.fire("other_event")
    assert seen == [fired]
    assert fired.data == {"a": 1}
    assert fired.origin is EventOrigin.LOCAL


def test_match_all_receives_everything_once() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.listen(MATCH_ALL, lambda event: seen.append(event.event_type))
    bus.fire("one")
    bus.fire("two")
    bus.fire(MATCH_ALL)
    assert seen == ["one", "two", MATCH_ALL]


def test_unsubscribe() -> None:
    bus = EventBus()
    seen: list[Event] = []
    unsubscribe = bus.listen("test_event", seen.append)
    assert bus.listener_counts() == {"test_event": 1}
    unsubscribe()
    unsubscribe()  # a second call is harmless
    bus.fire("test_event")
    assert seen == []
    assert bus.listener_counts() == {}


def test_unsubscribe_during_dispatch() -> None:
    bus = EventBus()
    seen: list[str] = []
    unsubscribers = []

    def first(event: Event) -> None:
        seen.append("first")
        for unsubscribe in unsubscribers:
            unsubscribe()

    unsubscribers.append(bus.listen("e", first))
    unsubscribers.append(bus.listen("e", lambda event: seen.append("second")))
    bus.fire("e")
    bus.fire("e")
    assert seen == ["first", "second"]


def test_same_listener_twice_unsubscribes_one_at_a_time() -> None:
    bus = EventBus()
    seen: list[Event] = []
    first = bus.listen("e", seen.append)
    bus.listen("e", seen.append)
    first()
    bus.fire("e")
    assert len(seen) == 1


def test_raising_listener_does_not_stop_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus.listen("e", broken)
    bus.listen("e", seen.append)
    bus.listen(MATCH_ALL, broken)
    bus.listen(MATCH_ALL, seen.append)
    with caplog.at_level(logging.ERROR):
        bus.fire("e")
    assert len(seen) == 2
    assert "boom" in caplog.text


def test_listener_counts() -> None:
    bus = EventBus()
    bus.listen("a", lambda event: None)
    bus.listen("a", lambda event: None)
    bus.listen(MATCH_ALL, lambda event: None)
    assert bus.listener_counts() == {"a": 2, MATCH_ALL: 1}


@pytest.mark.parametrize("event_type", ["", "x" * 65, "bad\nline", "tab\there", "\x00"])
def test_invalid_event_types(event_type: str) -> None:
    bus = EventBus()
    with pytest.raises(BadRequest):
        bus.fire(event_type)
    with pytest.raises(BadRequest):
        bus.listen(event_type, lambda event: None)


def test_event_data_must_be_a_mapping() -> None:
    with pytest.raises(BadRequest):
        EventBus().fire("e", ["not", "a", "mapping"])  # type: ignore[arg-type]


def test_event_data_is_read_only_copy() -> None:
    source = {"a": 1}
    event = EventBus().fire("e", source)
    source["a"] = 2
    assert event.data["a"] == 1
    with pytest.raises(TypeError):
        event.data["a"] = 3  # type: ignore[index]


def test_event_as_dict_shape() -> None:
    fired = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    context = Context(user_id="u1")
    event = Event("custom", {"x": [1, 2]}, "REMOTE", fired, context)
    expected = {
        "event_type": "custom",
        "data": {"x": [1, 2]},
        "origin": "REMOTE",
        "time_fired": "2024-05-01T12:00:00+00:00",
        "context": {"id": context.id, "parent_id": None, "user_id": "u1"},
    }
    assert event.as_dict() == expected
    assert orjson.loads(event.as_json()) == expected
    assert event.as_json() is event.as_json()


def test_state_changed_event_serialises_states() -> None:
    new = State("light.kitchen", "on", {"brightness": 10})
    event = Event(
        EVENT_STATE_CHANGED, {"entity_id": "light.kitchen", "old_state": None, "new_state": new}
    )
    as_dict = event.as_dict()
    assert as_dict["data"]["new_state"] == new.as_dict()
    assert as_dict["data"]["old_state"] is None
    assert orjson.loads(event.as_json())["data"]["new_state"] == new.as_dict()


def test_invalid_origin() -> None:
    with pytest.raises(ValueError, match="SOMEWHERE"):
        Event("e", origin="SOMEWHERE")


def _deep(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize("data", [_deep(33), _deep(300), {"big": ["x" * 1000] * 300}])
def test_unserialisable_data_is_refused_before_any_listener(data: dict[str, object]) -> None:
    """Poison event data (issue 10.1) reaches no subscriber, whoever fires it."""
    bus = EventBus()
    seen: list[Event] = []
    bus.listen(MATCH_ALL, seen.append)
    with pytest.raises(InvalidPayload, match=r"^event data: "):
        bus.fire("custom", data)
    with pytest.raises(InvalidPayload):
        bus.fire_from_client("custom", data, context=Context())
    assert seen == []


@pytest.mark.parametrize(
    "event_type",
    [
        "state_changed",
        "call_service",
        "homeassistant_start",
        "homeassistant_started",
        "homeassistant_stop",
        "homeassistant_final_write",
        "homeassistant_close",
        "*",
    ],
)
def test_clients_cannot_fire_reserved_events(event_type: str) -> None:
    """One rule for REST and WebSocket (issue 9.14)."""
    assert event_type in RESERVED_EVENT_TYPES
    bus = EventBus()
    seen: list[Event] = []
    bus.listen(MATCH_ALL, seen.append)
    with pytest.raises(BadRequest, match=re.escape(f"Event {event_type} can not be fired through")):
        bus.fire_from_client(event_type, {}, context=Context())
    assert seen == []


def test_client_events_are_remote() -> None:
    bus = EventBus()
    context = Context(user_id="u")
    event = bus.fire_from_client("custom", {"a": 1}, context=context)
    assert (event.origin, event.context, dict(event.data)) == (
        EventOrigin.REMOTE,
        context,
        {"a": 1},
    )
    with pytest.raises(BadRequest, match="Invalid event type"):
        bus.fire_from_client("bad\nline", None, context=context)
