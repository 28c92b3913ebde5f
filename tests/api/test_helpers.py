"""Helpers shared by the REST views."""

from __future__ import annotations

import orjson
import pytest

from hearth.api.helpers import states_json
from hearth.core.state import State


@pytest.mark.parametrize("count", [0, 1, 2, 50])
def test_states_json_is_a_json_array(count: int) -> None:
    states = [State(f"sensor.s_{n}", str(n), {"n": n}) for n in range(count)]
    assert orjson.loads(states_json(states)) == [state.as_dict() for state in states]


def test_states_json_accepts_any_iterable() -> None:
    states = (State(f"light.l_{n}", "on") for n in range(3))
    assert [item["entity_id"] for item in orjson.loads(states_json(states))] == [
        "light.l_0",
        "light.l_1",
        "light.l_2",
    ]
