"""The payload check: what it refuses, and that whatever it accepts always serialises."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from enum import Enum, IntEnum, StrEnum
from types import MappingProxyType
from typing import Any
from uuid import UUID

import orjson
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from hearth import const
from hearth.core.events import Event
from hearth.core.payload import check_payload, check_text
from hearth.core.serialize import dumps
from hearth.core.state import State
from hearth.exceptions import BadRequest, InvalidPayload
from hearth.websocket import compressed, protocol


def nested(depth: int, leaf: Any = 1) -> dict[str, Any]:
    """An object `depth` levels deep (the outermost counting 1)."""
    value: Any = leaf
    for _ in range(depth):
        value = {"a": value}
    return dict(value)


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


class Odd(Enum):
    PAIR = (1, 2)


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"a": 1, "b": 2.5, "c": "text", "d": None, "e": True, "f": [1, [2, {"g": "h"}]]},
        nested(const.MAX_PAYLOAD_DEPTH),
        {"list": [[[]]] * 3, "tuple": (1, 2), "set": {1, 2}, "frozen": frozenset({"x"})},
        {"when": datetime.now(UTC), "day": date(2025, 1, 1), "at": time(12, 0)},
        {"id": UUID(int=1), "colour": Colour.RED, "level": Level.HIGH, "pair": Odd.PAIR},
        {Colour.RED: "enum key", Level.HIGH: "int enum key"},
        {"view": MappingProxyType({"a": 1})},
        {1: "int key", 2.5: "float key", None: "none key", False: "bool key"},
        {"big": 2**64 - 1, "small": -(2**63), "nan": math.nan, "inf": math.inf},
        {"unicode": "héllo ☃ \U0001f600", "control": "a\nb\tc\x00"},
        {"long": "x" * const.MAX_PAYLOAD_STRING, "k" * const.MAX_PAYLOAD_KEY: 1},
    ],
)
def test_accepted(value: dict[Any, Any]) -> None:
    check_payload(value, "data")
    assert isinstance(dumps(value), bytes)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (nested(const.MAX_PAYLOAD_DEPTH + 1), "nested deeper than 32 levels."),
        (nested(253), "nested deeper than 32 levels."),
        (nested(1000), "nested deeper than 32 levels."),
        ({"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}, "nested deeper"),
        ({"a": "x" * (const.MAX_PAYLOAD_STRING + 1)}, "a text is longer than 65536 characters."),
        ({"k" * (const.MAX_PAYLOAD_KEY + 1): 1}, "a key is longer than 255 characters."),
        ({f"key{i}": "x" * 60_000 for i in range(5)}, "larger than 256 KiB of JSON."),
        ({"ids": ["light.kitchen"] * 70_000}, "larger than 256 KiB of JSON."),
        ({"a": "\x01" * 50_000}, "larger than 256 KiB of JSON."),  # 6 bytes each, escaped
        ({"a": 2**64}, "a number is out of range (at most 64 bits)."),
        ({"a": -(2**63) - 1}, "a number is out of range (at most 64 bits)."),
        ({"a": "\ud800"}, "a text is not valid Unicode."),
        ({"\udfff": 1}, "a key is not valid Unicode."),
        ({"a": b"bytes"}, "values of type bytes are not supported."),
        ({"a": object()}, "values of type object are not supported."),
        ({("a", "b"): 1}, "keys must be text."),
    ],
)
def test_refused(value: dict[Any, Any], problem: str) -> None:
    with pytest.raises(InvalidPayload) as caught:
        check_payload(value, "data")
    assert caught.value.message.startswith("data: ")
    assert problem in caught.value.message
    assert isinstance(caught.value, BadRequest)  # 400 on REST, invalid_format on the WebSocket


def test_a_cycle_is_refused_not_followed_forever() -> None:
    looped: dict[str, Any] = {}
    looped["self"] = looped
    with pytest.raises(InvalidPayload, match="nested deeper"):
        check_payload(looped, "data")


def test_states_inside_are_leaves() -> None:
    state = State("light.kitchen", "on", {"brightness": 3})
    check_payload({"entity_id": "light.kitchen", "old_state": None, "new_state": state}, "data")


def test_check_text() -> None:
    check_text("plain", "state")
    check_text("☃", "state")
    with pytest.raises(InvalidPayload, match=r"state: a text is not valid Unicode\."):
        check_text("on\ud800", "state")


# Property: whatever the check accepts serialises in every shape the hub sends it.

_SURROGATES = st.sampled_from(["\ud800", "a\udfffb", "\udbff\udc00"])
_TEXT = st.text(max_size=20) | _SURROGATES
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | _TEXT
    | st.datetimes(timezones=st.just(UTC))
    | st.binary(max_size=4)
)
_KEYS = _TEXT | st.integers() | st.booleans() | st.none() | st.tuples(st.integers())


def _deep(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.tuples(st.integers(1, 300), children).map(lambda pair: nested(pair[0], pair[1]))


_VALUES = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_KEYS, children, max_size=4)
        | st.frozensets(st.integers() | _TEXT, max_size=3)
        | _deep(children)
    ),
    max_leaves=20,
)
_PAYLOADS = st.dictionaries(_KEYS, _VALUES, max_size=5)


@seed(20250113)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_PAYLOADS)
def test_whatever_is_accepted_serialises_everywhere(value: dict[Any, Any]) -> None:
    try:
        check_payload(value, "attributes")
    except InvalidPayload:
        return
    # As state attributes: the state, the compressed snapshot and diff, inside a WS message.
    old = State("sensor.fuzz", "a")
    new = State("sensor.fuzz", "b", value)
    orjson.loads(new.as_json())
    event = Event("state_changed", {"entity_id": "sensor.fuzz", "old_state": old, "new_state": new})
    for body in (
        event.as_json(),
        compressed.initial_message([new]),
        compressed.event_diff_json(event),
    ):
        orjson.loads(protocol.event_message(protocol.event_prefix(1), body))
    # As event data and as service data inside call_service.
    orjson.loads(Event("custom", value).as_json())
    orjson.loads(Event("call_service", {"service_data": value}).as_json())
