"""GET /api/hearth/mqtt: the MQTT connection for administrators (hearth.api.mqtt)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.config.mqtt_fields import MqttSection
from hearth.core.hub import Hub
from hearth.integrations.mqtt import MqttIntegration

Client = TestClient[web.Request, web.Application]


async def test_not_configured_is_404(client: Client, admin_headers: dict[str, str]) -> None:
    response = await client.get("/api/hearth/mqtt", headers=admin_headers)
    assert response.status == 404
    assert await response.json() == {"message": "MQTT is not configured."}


async def test_admins_see_the_connection(
    client: Client, hub: Hub, admin_headers: dict[str, str], user_headers: dict[str, str]
) -> None:
    conf = MqttSection(broker="192.168.1.2", username="hub", password="s3cr3t-pw")
    integration = MqttIntegration(hub, conf)
    hub.diagnostics["mqtt"] = integration.diagnostics
    response = await client.get("/api/hearth/mqtt", headers=admin_headers)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["state"] == "connecting"
    assert body["broker"] == "192.168.1.2:8883"
    assert (body["tls"], body["username"], body["entities"]) == (True, "hub", 0)
    assert "s3cr3t-pw" not in await response.text()
    forbidden = await client.get("/api/hearth/mqtt", headers=user_headers)
    assert forbidden.status == 403
