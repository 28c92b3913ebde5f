"""GET/POST/DELETE /api/states and /api/states/{entity_id}."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from yarl import URL

from hearth.auth.models import User
from hearth.const import MAX_STATE_LENGTH
from hearth.core.events import EVENT_STATE_CHANGED, Event
from hearth.core.hub import Hub

Client = TestClient[web.Request, web.Application]

STATE_KEYS = {
    "entity_id",
    "state",
    "attributes",
    "last_changed",
    "last_reported",
    "last_updated",
    "context",
}
DEMO_ENTITIES = {
    "light.demo_light_1",
    "light.demo_light_2",
    "light.demo_light_3",
    "switch.demo_switch_1",
    "switch.demo_switch_2",
    "sensor.demo_sensor_1",
    "sensor.demo_sensor_2",
}
INVALID_ENTITY_IDS = [
    "nodot",
    "light.%E2%84%AA",  # KELVIN SIGN, which str.lower() turns into an ASCII "k"
    "light.d%C3%A9mo",
    "light.",
    ".demo",
    "light.demo%20light",
    "light._demo",
    "light.demo_",
    "li__ght.demo",
    "light.demo.x",
    "light." + "a" * 300,
]


def assert_state_shape(state: dict[str, Any]) -> None:
    assert set(state) == STATE_KEYS
    assert isinstance(state["state"], str)
    assert isinstance(state["attributes"], dict)
    assert set(state["context"]) == {"id", "parent_id", "user_id"}


async def test_list_states(client: Client, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/states", headers=user_headers)
    assert response.status == 200
    assert response.content_type == "application/json"
    states = await response.json()
    assert {state["entity_id"] for state in states} == DEMO_ENTITIES
    for state in states:
        assert_state_shape(state)


async def test_list_states_many_entities(
    client: Client, hub: Hub, admin_headers: dict[str, str]
) -> None:
    for n in range(2000):
        hub.states.set(f"sensor.bulk_{n}", str(n), {"unit_of_measurement": "W"})
    response = await client.get("/api/states", headers=admin_headers)
    assert response.status == 200
    states = orjson.loads(await response.read())
    assert len(states) == 2000 + len(DEMO_ENTITIES)
    by_id = {state["entity_id"]: state for state in states}
    assert by_id["sensor.bulk_1999"]["state"] == "1999"


async def test_get_state(client: Client, hub: Hub, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/states/light.demo_light_1", headers=user_headers)
    assert response.status == 200
    state = await response.json()
    assert_state_shape(state)
    expected = hub.states.get("light.demo_light_1")
    assert expected is not None
    assert state == orjson.loads(expected.as_json())


async def test_get_unknown_entity(client: Client, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/states/light.nowhere", headers=user_headers)
    assert response.status == 404
    assert await response.json() == {"message": "Entity not found."}


@pytest.mark.parametrize("entity_id", INVALID_ENTITY_IDS)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_invalid_entity_id(
    client: Client, admin_headers: dict[str, str], method: str, entity_id: str
) -> None:
    url = URL(f"/api/states/{entity_id}", encoded=True)
    response = await client.request(method, url, headers=admin_headers, json={"state": "on"})
    assert response.status == 400
    assert await response.json() == {"message": "Invalid entity ID specified."}


async def test_entity_id_is_lower_cased(client: Client, admin_headers: dict[str, str]) -> None:
    response = await client.get("/api/states/LIGHT.Demo_Light_1", headers=admin_headers)
    assert response.status == 200
    assert (await response.json())["entity_id"] == "light.demo_light_1"
    response = await client.post(
        "/api/states/Sensor.Upper", headers=admin_headers, json={"state": "1"}
    )
    assert response.status == 201
    assert response.headers["Location"] == "/api/states/sensor.upper"
    assert (await response.json())["entity_id"] == "sensor.upper"


async def test_post_delete_round_trip(
    client: Client, hub: Hub, admin_headers: dict[str, str], admin_user: User
) -> None:
    body = {"state": "25.5", "attributes": {"unit_of_measurement": "°C", "friendly_name": "T"}}
    response = await client.post("/api/states/sensor.kitchen", headers=admin_headers, json=body)
    assert response.status == 201
    assert response.headers["Location"] == "/api/states/sensor.kitchen"
    created = await response.json()
    assert_state_shape(created)
    assert created["entity_id"] == "sensor.kitchen"
    assert created["state"] == "25.5"
    assert created["attributes"] == body["attributes"]
    assert created["context"]["user_id"] == admin_user.id

    response = await client.get("/api/states/sensor.kitchen", headers=admin_headers)
    assert response.status == 200
    assert await response.json() == created

    response = await client.post(
        "/api/states/sensor.kitchen", headers=admin_headers, json={"state": "26"}
    )
    assert response.status == 200
    assert response.headers["Location"] == "/api/states/sensor.kitchen"
    updated = await response.json()
    assert updated["state"] == "26"
    assert updated["attributes"] == {}
    assert updated["last_changed"] >= created["last_changed"]

    response = await client.delete("/api/states/sensor.kitchen", headers=admin_headers)
    assert response.status == 200
    assert await response.json() == {"message": "Entity removed."}
    assert hub.states.get("sensor.kitchen") is None

    response = await client.get("/api/states/sensor.kitchen", headers=admin_headers)
    assert response.status == 404
    response = await client.delete("/api/states/sensor.kitchen", headers=admin_headers)
    assert response.status == 404
    assert await response.json() == {"message": "Entity not found."}


async def test_post_fires_state_changed(
    client: Client, hub: Hub, admin_headers: dict[str, str], admin_user: User
) -> None:
    events: list[Event] = []
    hub.bus.listen(EVENT_STATE_CHANGED, events.append)
    response = await client.post(
        "/api/states/switch.demo_switch_1", headers=admin_headers, json={"state": "unknown"}
    )
    assert response.status == 200
    assert len(events) == 1
    assert events[0].data["entity_id"] == "switch.demo_switch_1"
    assert events[0].data["new_state"].state == "unknown"
    assert events[0].context.user_id == admin_user.id


async def test_attribute_change_keeps_last_changed(
    client: Client, admin_headers: dict[str, str]
) -> None:
    url = "/api/states/sensor.attrs"
    first = await (await client.post(url, headers=admin_headers, json={"state": "1"})).json()
    body = {"state": "1", "attributes": {"a": 1}}
    second = await (await client.post(url, headers=admin_headers, json=body)).json()
    assert second["last_changed"] == first["last_changed"]
    assert second["last_updated"] > first["last_updated"]


async def test_force_update(client: Client, hub: Hub, admin_headers: dict[str, str]) -> None:
    url = "/api/states/sensor.forced"
    await client.post(url, headers=admin_headers, json={"state": "1"})
    events: list[Event] = []
    hub.bus.listen(EVENT_STATE_CHANGED, events.append)
    response = await client.post(url, headers=admin_headers, json={"state": "1"})
    assert response.status == 200
    assert events == []
    response = await client.post(
        url, headers=admin_headers, json={"state": "1", "force_update": True}
    )
    assert response.status == 200
    assert len(events) == 1


async def test_longest_state_accepted(client: Client, admin_headers: dict[str, str]) -> None:
    state = "x" * MAX_STATE_LENGTH
    response = await client.post(
        "/api/states/sensor.long", headers=admin_headers, json={"state": state}
    )
    assert response.status == 201
    assert (await response.json())["state"] == state


async def test_non_admin_may_not_write(
    client: Client, hub: Hub, user_headers: dict[str, str]
) -> None:
    before = hub.states.get("light.demo_light_1")
    response = await client.post(
        "/api/states/light.demo_light_1", headers=user_headers, json={"state": "hacked"}
    )
    assert response.status == 403
    assert "message" in await response.json()
    response = await client.post(
        "/api/states/sensor.new", headers=user_headers, json={"state": "hacked"}
    )
    assert response.status == 403
    response = await client.delete("/api/states/light.demo_light_1", headers=user_headers)
    assert response.status == 403
    assert "message" in await response.json()
    assert hub.states.get("light.demo_light_1") is before
    assert hub.states.get("sensor.new") is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty"),
        (b"{", "Invalid JSON"),
        (b"\xff\xfe", "Invalid JSON"),
        (b"[]", "JSON object"),
        (b'"on"', "JSON object"),
        (b"null", "No state"),
        (b"{}", "No state"),
        (b'{"state": null}', "No state"),
        (b'{"state": 1}', "string"),
        (b'{"state": true}', "string"),
        (b'{"state": ["on"]}', "string"),
        (b'{"state": {"a": 1}}', "string"),
        (orjson.dumps({"state": "x" * (MAX_STATE_LENGTH + 1)}), str(MAX_STATE_LENGTH)),
        (b'{"state": "on", "attributes": []}', "attributes"),
        (b'{"state": "on", "attributes": "x"}', "attributes"),
        (b'{"state": "on", "force_update": "yes"}', "force_update"),
        (b'{"state": "on", "force_update": 1}', "force_update"),
    ],
)
async def test_bad_bodies(
    client: Client, hub: Hub, admin_headers: dict[str, str], body: bytes, fragment: str
) -> None:
    before = hub.states.get("light.demo_light_1")
    for entity_id in ("light.demo_light_1", "sensor.brand_new"):
        response = await client.post(f"/api/states/{entity_id}", headers=admin_headers, data=body)
        assert response.status == 400
        message = (await response.json())["message"]
        assert fragment in message
    assert hub.states.get("light.demo_light_1") is before
    assert hub.states.get("sensor.brand_new") is None
