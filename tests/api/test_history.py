"""GET /api/history/period and /api/logbook against a hub with a real recorder."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import quote

from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.auth.models import User
from hearth.core.hub import Hub
from tests.recorder import hub_fixtures

Client = TestClient[web.Request, web.Application]
LIGHT = "light.demo_light_1"
recorder_hub, hub, app = hub_fixtures.recorder_hub, hub_fixtures.hub, hub_fixtures.app


def ago(seconds: float) -> str:
    return quote(datetime.fromtimestamp(time.time() - seconds, UTC).isoformat())


async def toggle(client: Client, headers: dict[str, str]) -> None:
    reply = await client.post(
        "/api/services/light/toggle", json={"entity_id": LIGHT}, headers=headers
    )
    assert reply.status == 200


async def test_history_in_home_assistants_shape(
    client: Client, admin_headers: dict[str, str], user_headers: dict[str, str], hub: Hub
) -> None:
    await toggle(client, admin_headers)
    reply = await client.get(
        f"/api/history/period/{ago(600)}?filter_entity_id={LIGHT},sensor.demo_sensor_1",
        headers=user_headers,  # any user may read the history
    )
    assert reply.status == 200
    lamp, sensor = await reply.json()
    assert [state["state"] for state in lamp] == ["on", "off"]
    assert set(lamp[0]) == {"entity_id", "state", "attributes", "last_changed", "last_updated"}
    assert lamp[-1]["last_updated"] == hub.states.get(LIGHT).last_updated.isoformat()  # type: ignore[union-attr]
    assert sensor[0]["entity_id"] == "sensor.demo_sensor_1"
    minimal = await client.get(
        f"/api/history/period/{ago(600)}?filter_entity_id={LIGHT}&minimal_response&no_attributes",
        headers=user_headers,
    )
    (states,) = await minimal.json()
    assert states[0]["attributes"] == {}
    assert set(states[1]) == {"state", "last_changed"}


async def test_bad_history_requests(client: Client, user_headers: dict[str, str]) -> None:
    cases = {
        f"/api/history/period/{ago(60)}": "filter_entity_id is missing",
        f"/api/history/period/tomorrow?filter_entity_id={LIGHT}": "Invalid datetime",
        f"/api/history/period?filter_entity_id={LIGHT}&end_time=soon": "Invalid end_time",
        "/api/history/period?filter_entity_id=Light%20One": "Invalid entity id(s)",
        "/api/history/period?filter_entity_id="
        + ",".join(f"a.b{i}" for i in range(1001)): "At most 1000",
    }
    for path, message in cases.items():
        reply = await client.get(path, headers=user_headers)
        assert reply.status == 400, path
        assert message in (await reply.json())["message"]
    future = await client.get(
        f"/api/history/period/{ago(-3600)}?filter_entity_id={LIGHT}", headers=user_headers
    )
    assert await future.json() == []


async def test_history_needs_a_token(client: Client) -> None:
    for path in (f"/api/history/period?filter_entity_id={LIGHT}", "/api/logbook"):
        reply = await client.get(path)
        assert reply.status == 401
        assert "message" in await reply.json()


async def test_logbook_names_who_changed_what(
    client: Client, admin_headers: dict[str, str], user_headers: dict[str, str], admin_user: User
) -> None:
    await toggle(client, admin_headers)
    reply = await client.get(f"/api/logbook/{ago(600)}?entity={LIGHT}", headers=user_headers)
    assert reply.status == 200
    (entry,) = await reply.json()
    assert entry["name"] == "Demo Light 1"
    assert entry["context_user_id"] == admin_user.id
    assert entry["context_service"] == "toggle"
    assert datetime.fromisoformat(entry["when"]).tzinfo is not None
    everything = await (await client.get(f"/api/logbook/{ago(600)}", headers=user_headers)).json()
    assert everything[0]["message"] == "started"
    bad = await client.get(
        f"/api/logbook/{ago(60)}?entity={LIGHT}&context_id=x", headers=user_headers
    )
    assert bad.status == 400
    bad = await client.get(f"/api/logbook/{ago(60)}?period=99", headers=user_headers)
    assert bad.status == 400
