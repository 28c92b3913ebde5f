"""GET /api/, /api/config, /api/core/state and /api/components."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.const import HA_COMPAT_VERSION

Client = TestClient[web.Request, web.Application]

READ_ONLY_PATHS = ["/api/", "/api/config", "/api/core/state", "/api/components"]


async def test_api_status(client: Client, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/", headers=user_headers)
    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == {"message": "API running."}


@pytest.mark.parametrize("path", READ_ONLY_PATHS)
async def test_requires_token(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status == 401
    assert "message" in await response.json()


@pytest.mark.parametrize("path", READ_ONLY_PATHS)
async def test_rejects_invalid_token(client: Client, path: str) -> None:
    response = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert response.status == 401
    assert "message" in await response.json()


@pytest.mark.parametrize("path", READ_ONLY_PATHS)
async def test_non_admin_may_read(client: Client, user_headers: dict[str, str], path: str) -> None:
    response = await client.get(path, headers=user_headers)
    assert response.status == 200


async def test_config_shape(client: Client, admin_headers: dict[str, str]) -> None:
    response = await client.get("/api/config", headers=admin_headers)
    assert response.status == 200
    config = await response.json()
    assert config["location_name"] == "Test Home"
    assert config["latitude"] == pytest.approx(52.37)
    assert config["longitude"] == pytest.approx(4.89)
    assert config["time_zone"] == "Europe/Amsterdam"
    assert config["version"] == HA_COMPAT_VERSION
    assert config["state"] == "RUNNING"
    assert config["unit_system"]["temperature"] == "°C"
    assert config["components"] == sorted(config["components"])
    assert {"demo", "light", "switch", "sensor"} <= set(config["components"])
    # Filesystem paths are never revealed.
    assert "config_dir" not in config


async def test_core_state(client: Client, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/core/state", headers=user_headers)
    assert response.status == 200
    assert await response.json() == {"state": "RUNNING"}


async def test_components(client: Client, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/components", headers=user_headers)
    assert response.status == 200
    components = await response.json()
    assert components == sorted(components)
    assert {"demo", "light", "switch", "sensor"} <= set(components)
