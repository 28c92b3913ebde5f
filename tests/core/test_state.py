"""Tests for hearth.core.state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from hearth.const import MAX_ENTITY_ID_LENGTH, MAX_STATE_LENGTH
from hearth.core.context import Context
from hearth.core.state import State, split_entity_id, valid_domain, valid_entity_id
from hearth.exceptions import BadRequest, InvalidEntityId

VALID_IDS = [
    "light.kitchen",
    "light.kitchen_ceiling",
    "sensor.t1",
    "a.b",
    "1.2",
    "binary_sensor.front_door",
    "light.a_b_c",
    "x." + "a" * (MAX_ENTITY_ID_LENGTH - 2),
]

INVALID_IDS = [
    "",
    ".",
    "light",
    "light.",
    ".kitchen",
    ".light.kitchen",
    "light.kitchen.yo",
    "light.kitchen.",
    "_light.kitchen",
    "light_.kitchen",
    "light._kitchen",
    "light.kitchen_",
    "light__x.kitchen",
    "light.kitchen__ceiling",  # Home Assistant rejects a double underscore anywhere
    "Light.kitchen",
    "light.Kitchen",
    "lightkitchen",
    "light.kit chen",
    "light.kitchen\n",
    "light.kitchen\x00",
    "light.küche",
    "light.kitchen-ceiling",
    "light.kitchen/../x",
    "light.１",  # full-width digit: isalnum() would accept it
    "x." + "a" * (MAX_ENTITY_ID_LENGTH - 1),
    "light." + "a" * 100_000,
    "a" * 50_000 + "." + "_" * 50_000,
    "a_" * 50_000 + "." + "b",
]


@pytest.mark.parametrize("entity_id", VALID_IDS)
def test_valid_entity_ids(entity_id: str) -> None:
    assert valid_entity_id(entity_id)


@pytest.mark.parametrize("entity_id", INVALID_IDS)
def test_invalid_entity_ids(entity_id: str) -> None:
    assert not valid_entity_id(entity_id)


@pytest.mark.parametrize("value", [None, 1, b"light.kitchen", ["light.kitchen"]])
def test_non_strings_are_invalid(value: object) -> None:
    assert not valid_entity_id(value)


def test_split_entity_id() -> None:
    assert split_entity_id("light.kitchen") == ("light", "kitchen")
    with pytest.raises(InvalidEntityId) as caught:
        split_entity_id("nope" * 1000)
    assert "nope" not in caught.value.message


@pytest.mark.parametrize(
    ("domain", "valid"),
    [("light", True), ("binary_sensor", True), ("a__b", False), ("_a", False), ("A", False)],
)
def test_valid_domain(domain: str, valid: bool) -> None:
    assert valid_domain(domain) is valid


def test_state_defaults() -> None:
    state = State("light.kitchen", "on")
    assert state.domain == "light"
    assert state.object_id == "kitchen"
    assert dict(state.attributes) == {}
    assert state.last_changed == state.last_updated == state.last_reported
    assert state.last_updated.tzinfo is UTC
    assert state.name == "kitchen"


def test_state_attributes_are_a_read_only_copy() -> None:
    source = {"friendly_name": "Kitchen"}
    state = State("light.kitchen", "on", source)
    source["friendly_name"] = "Changed"
    assert state.attributes["friendly_name"] == "Kitchen"
    assert state.name == "Kitchen"
    with pytest.raises(TypeError):
        state.attributes["x"] = 1  # type: ignore[index]


def test_state_is_immutable() -> None:
    state = State("light.kitchen", "on")
    with pytest.raises(AttributeError):
        state.state = "off"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del state.state


@pytest.mark.parametrize(
    ("entity_id", "value", "attributes", "error"),
    [
        ("Light.kitchen", "on", None, InvalidEntityId),
        ("light.kitchen", "x" * (MAX_STATE_LENGTH + 1), None, BadRequest),
        ("light.kitchen", 5, None, BadRequest),
        ("light.kitchen", "on", ["not", "a", "mapping"], BadRequest),
    ],
)
def test_state_rejects_bad_values(
    entity_id: str, value: object, attributes: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        State(entity_id, value, attributes)  # type: ignore[arg-type]


def test_state_as_dict_shape() -> None:
    changed = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    updated = changed + timedelta(seconds=5)
    reported = changed + timedelta(seconds=9)
    context = Context(user_id="user1")
    state = State("sensor.t", "21.5", {"unit": "°C"}, changed, updated, reported, context)
    assert state.as_dict() == {
        "entity_id": "sensor.t",
        "state": "21.5",
        "attributes": {"unit": "°C"},
        "last_changed": "2024-05-01T12:00:00.123456+00:00",
        "last_reported": "2024-05-01T12:00:09.123456+00:00",
        "last_updated": "2024-05-01T12:00:05.123456+00:00",
        "context": {"id": context.id, "parent_id": None, "user_id": "user1"},
    }
    assert orjson.loads(state.as_json()) == state.as_dict()


def test_as_json_is_cached() -> None:
    state = State("light.kitchen", "on", {"list": [1, 2], "nested": {"a": 1}})
    assert state.as_json() is state.as_json()


def test_as_json_handles_unusual_attribute_values() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    state = State(
        "light.kitchen", "on", {"modes": ("a", "b"), "set": {"x"}, "when": when, "obj": object()}
    )
    attributes = orjson.loads(state.as_json())["attributes"]
    assert attributes["modes"] == ["a", "b"]
    assert attributes["set"] == ["x"]
    assert attributes["when"] == "2024-01-01T00:00:00+00:00"
    assert isinstance(attributes["obj"], str)


def test_compressed_dict() -> None:
    changed = datetime(2024, 5, 1, tzinfo=UTC)
    state = State("light.kitchen", "on", {"a": 1}, changed, changed + timedelta(seconds=1))
    compressed = state.as_compressed_dict()
    assert compressed == {
        "s": "on",
        "a": {"a": 1},
        "c": state.context.id,
        "lc": changed.timestamp(),
        "lu": changed.timestamp() + 1,
    }
    with_user = State("light.kitchen", "on", context=Context(user_id="u"))
    assert with_user.as_compressed_dict()["c"] == with_user.context.as_dict()
    assert "lu" not in with_user.as_compressed_dict()


def test_equality() -> None:
    context = Context()
    first = State("light.kitchen", "on", {"a": 1}, context=context)
    assert first == State("light.kitchen", "on", {"a": 1}, context=context)
    assert first != State("light.kitchen", "off", {"a": 1}, context=context)
    assert first != "light.kitchen"
