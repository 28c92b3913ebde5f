"""Fuzz the REST API of a running hub: state writes, events, service calls, any path.

Contract (docs/fuzzing.md): every request gets a 2xx/3xx or a 4xx with a JSON `{"message"}`,
never a 5xx; the hub logs no traceback; another client's reads keep working.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.client import assert_contract, exchange, json_body
from tests.fuzz.harness import FuzzHub
from tests.fuzz.profiles import fuzz_settings, time_limit
from tests.fuzz.strategies import (
    CONTENT_TYPES,
    METHODS,
    encode,
    json_bodies,
    json_values,
    nested,
    objects_with,
    path_segments,
    targets,
    text,
)

# Examples are bounded; the timeout is for a hub that hangs, with room for a busy machine.
pytestmark = [pytest.mark.acceptance, pytest.mark.timeout(time_limit())]

ENTITY_IDS = ["sensor.fuzz", "light.demo_light_1", "switch.demo_switch_1", "Sensor.Fuzz_2"]

entity_segments = st.one_of(st.sampled_from(ENTITY_IDS), path_segments())
state_bodies = json_bodies(
    objects_with(
        {
            "state": st.one_of(text, st.text(min_size=250, max_size=260)),
            "attributes": st.dictionaries(text, json_values(), max_size=5),
            "force_update": st.booleans(),
        }
    )
)
json_types = st.sampled_from(["application/json", "application/json", "text/plain", ""])


def post(fuzz: FuzzHub, path: str, body: bytes, content_type: str) -> None:
    """POST as the admin and hold the answer to the contract."""
    headers = {"Content-Type": content_type} if content_type else {}
    reply = exchange(fuzz.hub, "POST", path, body=body, headers=headers, token=fuzz.token)
    assert_contract(reply, "POST", path)
    if reply.status in (200, 201):
        json_body(reply)


@fuzz_settings(60)
@given(entity=entity_segments, body=state_bodies, content_type=json_types)
def test_state_writes(fuzz_hub: FuzzHub, entity: str, body: bytes, content_type: str) -> None:
    fuzz_hub.begin_example()
    post(fuzz_hub, f"/api/states/{entity}", body, content_type)
    reply = exchange(fuzz_hub.hub, "GET", f"/api/states/{entity}", token=fuzz_hub.token)
    assert_contract(reply, "GET", f"/api/states/{entity}")
    fuzz_hub.assert_healthy()


def deep_attributes(depth: int) -> bytes:
    return encode({"state": "on", "attributes": {"deep": nested(depth)}})


@fuzz_settings(3)
@given(depth=st.integers(min_value=253, max_value=1024))
def test_state_with_deep_attributes(own_hub: FuzzHub, depth: int) -> None:
    own_hub.begin_example()
    post(own_hub, "/api/states/sensor.deep", deep_attributes(depth), "application/json")
    own_hub.assert_healthy()


@fuzz_settings(60)
@given(
    event_type=st.one_of(st.sampled_from(["fuzz_event", "state_changed", "*"]), path_segments()),
    body=json_bodies(st.dictionaries(text, json_values(), max_size=5)),
    content_type=json_types,
)
def test_events(fuzz_hub: FuzzHub, event_type: str, body: bytes, content_type: str) -> None:
    fuzz_hub.begin_example()
    post(fuzz_hub, f"/api/events/{event_type}", body, content_type)
    fuzz_hub.assert_healthy()


@fuzz_settings(3)
@given(depth=st.integers(min_value=253, max_value=1024))
def test_event_with_deep_data(own_hub: FuzzHub, depth: int) -> None:
    own_hub.begin_example()
    # A subscriber that cannot serialise the event logs a traceback and misses it.
    post(own_hub, "/api/events/fuzz_event", encode({"deep": nested(depth)}), "application/json")
    own_hub.assert_healthy()


SERVICE_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "entity_id": st.one_of(
        st.sampled_from(["light.demo_light_1", "switch.demo_switch_1", "all", "none"]),
        st.lists(st.sampled_from(["light.demo_light_2", "light.nope", "sensor.fuzz"]), max_size=3),
        text,
    ),
    "brightness": st.one_of(st.integers(-5, 300), st.floats(), st.booleans()),
    "brightness_pct": st.one_of(st.floats(-5, 105), st.integers()),
    "area_id": text,
}


@fuzz_settings(60)
@given(
    domain=st.one_of(
        st.sampled_from(["light", "switch", "homeassistant", "LIGHT"]), path_segments()
    ),
    service=st.one_of(st.sampled_from(["turn_on", "turn_off", "toggle"]), path_segments()),
    query=st.sampled_from(["", "?return_response", "?return_response=false", "?x=1"]),
    body=json_bodies(objects_with(SERVICE_FIELDS)),
)
def test_service_calls(
    fuzz_hub: FuzzHub, domain: str, service: str, query: str, body: bytes
) -> None:
    fuzz_hub.begin_example()
    post(fuzz_hub, f"/api/services/{domain}/{service}{query}", body, "application/json")
    fuzz_hub.assert_healthy()


HEADER_NAMES = [
    "Content-Type",
    "Accept",
    "Origin",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Forwarded-Host",
    "Authorization",
    "Access-Control-Request-Method",
    "Cookie",
    "Range",
    "If-None-Match",
    "Sec-Fetch-Site",
    "X-Fuzz",
]
header_values = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    st.sampled_from(["", "Bearer", "Bearer x.y.z", "*", "null", "1.2.3.4, 5.6.7.8", "bytes=0-"]),
)


@fuzz_settings(100)
@given(
    method=st.sampled_from(METHODS),
    target=targets(),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_values, max_size=3),
    content_type=st.sampled_from(CONTENT_TYPES),
    body=st.one_of(st.just(b""), json_values().map(encode)),
    authorized=st.booleans(),
)
def test_any_path(
    fuzz_hub: FuzzHub,
    method: str,
    target: str,
    headers: dict[str, str],
    content_type: str,
    body: bytes,
    authorized: bool,
) -> None:
    fuzz_hub.begin_example()
    sent = {"Content-Type": content_type, **headers} if content_type else headers
    token = fuzz_hub.token if authorized and "Authorization" not in headers else None
    reply = exchange(fuzz_hub.hub, method, target, body=body, headers=sent, token=token)
    assert_contract(reply, method, target.split("?")[0])
    fuzz_hub.assert_healthy()


@fuzz_settings(20)
@given(query=st.builds(lambda k, v: f"?{quote(k)}={quote(v)}", text, text))
def test_config_reads(fuzz_hub: FuzzHub, query: str) -> None:
    fuzz_hub.begin_example()
    reply = exchange(fuzz_hub.hub, "GET", "/api/config" + query, token=fuzz_hub.token)
    assert_contract(reply, "GET", "/api/config")
    # A query the request filter refuses (an unassigned code point, say) is a 400; else 200.
    if reply.status == 200:
        assert json_body(reply)["location_name"] == "Acceptance Home"
    fuzz_hub.assert_healthy()
