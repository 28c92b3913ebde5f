"""GET /api/events and POST /api/events/{event_type}."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from yarl import URL

from hearth.auth.models import User
from hearth.core.events import Event
from hearth.core.hub import Hub

Client = TestClient[web.Request, web.Application]


async def test_list_events(client: Client, hub: Hub, user_headers: dict[str, str]) -> None:
    hub.bus.listen("test_event", lambda event: None)
    hub.bus.listen("test_event", lambda event: None)
    response = await client.get("/api/events", headers=user_headers)
    assert response.status == 200
    listeners = await response.json()
    assert isinstance(listeners, list)
    for item in listeners:
        assert set(item) == {"event", "listener_count"}
        assert isinstance(item["listener_count"], int)
    assert {"event": "test_event", "listener_count": 2} in listeners


async def test_fire_event(
    client: Client, hub: Hub, admin_headers: dict[str, str], admin_user: User
) -> None:
    events: list[Event] = []
    hub.bus.listen("test_event", events.append)
    response = await client.post(
        "/api/events/test_event", headers=admin_headers, json={"answer": 42}
    )
    assert response.status == 200
    assert await response.json() == {"message": "Event test_event fired."}
    assert len(events) == 1
    assert events[0].data == {"answer": 42}
    assert events[0].origin == "REMOTE"
    assert events[0].context.user_id == admin_user.id


async def test_fire_event_without_body(
    client: Client, hub: Hub, admin_headers: dict[str, str]
) -> None:
    events: list[Event] = []
    hub.bus.listen("test_event", events.append)
    response = await client.post("/api/events/test_event", headers=admin_headers)
    assert response.status == 200
    assert len(events) == 1
    assert dict(events[0].data) == {}


async def test_non_admin_may_not_fire(
    client: Client, hub: Hub, user_headers: dict[str, str]
) -> None:
    events: list[Event] = []
    hub.bus.listen("test_event", events.append)
    response = await client.post("/api/events/test_event", headers=user_headers, json={})
    assert response.status == 403
    assert "message" in await response.json()
    assert events == []


async def test_fire_requires_token(client: Client) -> None:
    response = await client.post("/api/events/test_event", json={})
    assert response.status == 401


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{", "Invalid JSON"),
        (b"\xff", "Invalid JSON"),
        (b"[1]", "JSON object"),
        (b"42", "JSON object"),
        (b'"text"', "JSON object"),
    ],
)
async def test_fire_bad_body(
    client: Client, hub: Hub, admin_headers: dict[str, str], body: bytes, fragment: str
) -> None:
    events: list[Event] = []
    hub.bus.listen("test_event", events.append)
    response = await client.post("/api/events/test_event", headers=admin_headers, data=body)
    assert response.status == 400
    assert fragment in (await response.json())["message"]
    assert events == []


async def test_longest_event_type(client: Client, admin_headers: dict[str, str]) -> None:
    response = await client.post(f"/api/events/{'e' * 64}", headers=admin_headers)
    assert response.status == 200


@pytest.mark.parametrize("raw_type", ["e" * 65, "%0A", "bad%00type", "tab%09"])
async def test_fire_invalid_event_type(
    client: Client, admin_headers: dict[str, str], raw_type: str
) -> None:
    url = URL(f"/api/events/{raw_type}", encoded=True)
    response = await client.post(url, headers=admin_headers, json={})
    assert response.status == 400
    assert "message" in await response.json()


@pytest.mark.parametrize(
    "event_type",
    ["state_changed", "call_service", "homeassistant_start", "homeassistant_stop", "*"],
)
async def test_fire_reserved_event_type(
    client: Client, hub: Hub, admin_headers: dict[str, str], event_type: str
) -> None:
    events: list[Event] = []
    hub.bus.listen(event_type, events.append)
    body = {"entity_id": "light.demo_light_1", "old_state": None, "new_state": {"state": "x"}}
    response = await client.post(f"/api/events/{event_type}", headers=admin_headers, json=body)
    assert response.status == 400
    assert "can not be fired" in (await response.json())["message"]
    assert events == []
