"""GET /api/services and POST /api/services/{domain}/{service}."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from yarl import URL

from hearth.auth.models import User
from hearth.core.context import Context
from hearth.core.events import EVENT_CALL_SERVICE, Event
from hearth.core.hub import Hub
from hearth.core.services import ServiceCall

Client = TestClient[web.Request, web.Application]


async def test_list_services(client: Client, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/services", headers=user_headers)
    assert response.status == 200
    services = await response.json()
    assert isinstance(services, list)
    for item in services:
        assert set(item) == {"domain", "services"}
        assert isinstance(item["services"], dict)
    by_domain = {item["domain"]: item["services"] for item in services}
    assert {"turn_on", "turn_off", "toggle"} <= set(by_domain["light"])
    assert {"turn_on", "turn_off", "toggle"} <= set(by_domain["switch"])


async def test_call_returns_changed_states(
    client: Client, hub: Hub, admin_headers: dict[str, str], admin_user: User
) -> None:
    url = "/api/services/light/turn_off"
    await client.post(url, headers=admin_headers, json={"entity_id": "light.demo_light_1"})

    response = await client.post(
        "/api/services/light/turn_on",
        headers=admin_headers,
        json={"entity_id": "light.demo_light_1", "brightness": 100},
    )
    assert response.status == 200
    changed = await response.json()
    assert [state["entity_id"] for state in changed] == ["light.demo_light_1"]
    assert changed[0]["state"] == "on"
    assert changed[0]["attributes"]["brightness"] == 100
    assert changed[0]["context"]["user_id"] == admin_user.id
    current = hub.states.get("light.demo_light_1")
    assert current is not None
    assert current.state == "on"


async def test_call_without_change_returns_empty_list(
    client: Client, admin_headers: dict[str, str]
) -> None:
    url = "/api/services/switch/turn_on"
    body = {"entity_id": "switch.demo_switch_1"}
    await client.post(url, headers=admin_headers, json=body)
    response = await client.post(url, headers=admin_headers, json=body)
    assert response.status == 200
    assert await response.json() == []


async def test_call_many_entities(client: Client, admin_headers: dict[str, str]) -> None:
    await client.post(
        "/api/services/switch/turn_off", headers=admin_headers, json={"entity_id": "all"}
    )
    response = await client.post(
        "/api/services/switch/turn_on",
        headers=admin_headers,
        json={"entity_id": ["switch.demo_switch_1", "switch.demo_switch_2"]},
    )
    assert response.status == 200
    changed = await response.json()
    assert {state["entity_id"] for state in changed} == {
        "switch.demo_switch_1",
        "switch.demo_switch_2",
    }
    assert {state["state"] for state in changed} == {"on"}


async def test_call_fires_call_service(
    client: Client, hub: Hub, user_headers: dict[str, str], plain_user: User
) -> None:
    events: list[Event] = []
    hub.bus.listen(EVENT_CALL_SERVICE, events.append)
    body = {"entity_id": "switch.demo_switch_2"}
    response = await client.post("/api/services/switch/toggle", headers=user_headers, json=body)
    assert response.status == 200
    assert len(events) == 1
    assert events[0].data["domain"] == "switch"
    assert events[0].data["service"] == "toggle"
    assert events[0].data["service_data"] == body
    assert events[0].context.user_id == plain_user.id


async def test_only_changes_from_this_call(
    client: Client, hub: Hub, admin_headers: dict[str, str]
) -> None:
    def handler(call: ServiceCall) -> None:
        hub.states.set("sensor.mine", "1", context=call.context)
        hub.states.set("sensor.someone_else", "1", context=Context())

    hub.services.register("test", "write", handler)
    response = await client.post("/api/services/test/write", headers=admin_headers)
    assert response.status == 200
    assert [state["entity_id"] for state in await response.json()] == ["sensor.mine"]


async def test_same_entity_changed_twice_listed_once(
    client: Client, hub: Hub, admin_headers: dict[str, str]
) -> None:
    def handler(call: ServiceCall) -> None:
        hub.states.set("sensor.twice", "1", context=call.context)
        hub.states.set("sensor.twice", "2", context=call.context)

    hub.services.register("test", "twice", handler)
    response = await client.post("/api/services/test/twice", headers=admin_headers)
    changed = await response.json()
    assert [(state["entity_id"], state["state"]) for state in changed] == [("sensor.twice", "2")]


async def test_service_names_are_lower_cased(client: Client, admin_headers: dict[str, str]) -> None:
    body = {"entity_id": "switch.demo_switch_1"}
    response = await client.post("/api/services/SWITCH/Turn_On", headers=admin_headers, json=body)
    assert response.status == 200


@pytest.mark.parametrize("body", [b"", b"null", b"{}"])
async def test_call_without_data(
    client: Client, hub: Hub, admin_headers: dict[str, str], body: bytes
) -> None:
    calls: list[ServiceCall] = []
    hub.services.register("test", "record", calls.append)
    response = await client.post("/api/services/test/record", headers=admin_headers, data=body)
    assert response.status == 200
    assert await response.json() == []
    assert len(calls) == 1
    assert calls[0].data == {}


async def test_removed_entity_not_listed(
    client: Client, hub: Hub, admin_headers: dict[str, str]
) -> None:
    def handler(call: ServiceCall) -> None:
        hub.states.set("sensor.gone", "1", context=call.context)
        hub.states.remove("sensor.gone", context=call.context)
        hub.states.set("sensor.kept", "1", context=call.context)

    hub.services.register("test", "churn", handler)
    response = await client.post("/api/services/test/churn", headers=admin_headers)
    assert [state["entity_id"] for state in await response.json()] == ["sensor.kept"]


async def test_unknown_service(client: Client, admin_headers: dict[str, str]) -> None:
    response = await client.post("/api/services/light/explode", headers=admin_headers, json={})
    assert response.status == 404
    assert "light.explode" in (await response.json())["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/services/l%C4%B1ght/turn_on",  # dotless i
        "/api/services/light/turn-on",
        "/api/services/light/turn%20on",
        "/api/services/light/turn_on%00",
        "/api/services/%2e%2e/turn_on",
        f"/api/services/{'a' * 65}/turn_on",
        f"/api/services/light/{'a' * 65}",
    ],
)
async def test_invalid_service_names(
    client: Client, admin_headers: dict[str, str], path: str
) -> None:
    response = await client.post(URL(path, encoded=True), headers=admin_headers, json={})
    assert response.status == 400
    assert "message" in await response.json()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{", "Invalid JSON"),
        (b"[]", "JSON object"),
        (b"1", "JSON object"),
        (b'"light.demo_light_1"', "JSON object"),
    ],
)
async def test_bad_bodies(
    client: Client, admin_headers: dict[str, str], body: bytes, fragment: str
) -> None:
    response = await client.post("/api/services/light/turn_on", headers=admin_headers, data=body)
    assert response.status == 400
    assert fragment in (await response.json())["message"]


@pytest.mark.parametrize(
    "data",
    [
        {"entity_id": "light.demo_light_1", "brightness": 999},
        {"entity_id": "light.demo_light_1", "brightness": "bright"},
        {"entity_id": 5},
        {"entity_id": "light.demo_light_1", "unknown_field": 1},
    ],
)
async def test_invalid_service_data(
    client: Client, hub: Hub, admin_headers: dict[str, str], data: dict[str, object]
) -> None:
    before = hub.states.get("light.demo_light_1")
    response = await client.post("/api/services/light/turn_on", headers=admin_headers, json=data)
    assert response.status == 400
    assert "message" in await response.json()
    assert hub.states.get("light.demo_light_1") is before


async def test_return_response_not_supported(client: Client, admin_headers: dict[str, str]) -> None:
    response = await client.post(
        "/api/services/light/turn_on?return_response",
        headers=admin_headers,
        json={"entity_id": "light.demo_light_1"},
    )
    assert response.status == 400
    assert "return_response" in (await response.json())["message"]


async def test_call_requires_token(client: Client, hub: Hub) -> None:
    before = hub.states.get("light.demo_light_1")
    response = await client.post(
        "/api/services/light/toggle", json={"entity_id": "light.demo_light_1"}
    )
    assert response.status == 401
    assert hub.states.get("light.demo_light_1") is before
