"""The REST API as a whole: its routes, and no 500 for any malformed request."""

from __future__ import annotations

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from yarl import URL

from hearth.api import setup

Client = TestClient[web.Request, web.Application]

EXPECTED_ROUTES = {
    ("GET", "/api/"),
    ("GET", "/api/config"),
    ("GET", "/api/core/state"),
    ("GET", "/api/components"),
    ("GET", "/api/states"),
    ("GET", "/api/states/{entity_id}"),
    ("POST", "/api/states/{entity_id}"),
    ("DELETE", "/api/states/{entity_id}"),
    ("GET", "/api/events"),
    ("POST", "/api/events/{event_type}"),
    ("GET", "/api/services"),
    ("POST", "/api/services/{domain}/{service}"),
    ("GET", "/api/bans"),
    ("DELETE", "/api/bans/{ip}"),
    ("GET", "/api/hearth/check"),
    ("GET", "/api/openapi.json"),
}

ADMIN_ONLY = {
    ("POST", "/api/states/{entity_id}"),
    ("DELETE", "/api/states/{entity_id}"),
    ("POST", "/api/events/{event_type}"),
    ("GET", "/api/bans"),
    ("HEAD", "/api/bans"),
    ("DELETE", "/api/bans/{ip}"),
    ("GET", "/api/hearth/check"),
    ("HEAD", "/api/hearth/check"),
    ("GET", "/api/openapi.json"),
    ("HEAD", "/api/openapi.json"),
}

ENDPOINTS = [
    ("GET", "/api/"),
    ("GET", "/api/config"),
    ("GET", "/api/states"),
    ("GET", "/api/states/light.demo_light_1"),
    ("POST", "/api/states/light.demo_light_1"),
    ("POST", "/api/states/sensor.fuzz"),
    ("DELETE", "/api/states/sensor.fuzz"),
    ("GET", "/api/events"),
    ("POST", "/api/events/fuzz_event"),
    ("GET", "/api/services"),
    ("POST", "/api/services/light/turn_on"),
    ("POST", "/api/services/light/turn_off"),
    ("POST", "/api/services/light/toggle"),
    ("POST", "/api/services/switch/toggle"),
    ("POST", "/api/services/homeassistant/turn_on"),
    ("POST", "/api/services/homeassistant/toggle"),
    ("POST", "/api/services/nope/nothing"),
]

MALFORMED_BODIES = [
    b"",
    b" ",
    b"\x00",
    b"\xff\xfe\xfd",
    b"{",
    b"}",
    b"[",
    b"null",
    b"true",
    b"0",
    b"-1e999",
    b"NaN",
    b'"\\ud800"',
    b"[]",
    b"[{}]",
    b"{}",
    b'{"": null}',
    b'{"state": null}',
    b'{"state": 1.5}',
    b'{"state": "on", "attributes": null}',
    b'{"state": "on", "attributes": [1, 2]}',
    b'{"state": "on", "attributes": {"nested": {"deep": [1, {"x": null}]}}}',
    b'{"state": "on", "force_update": null}',
    b'{"state": "' + b"\xc3\xa9" * 300 + b'"}',
    b'{"state": "\\u0000\\u001f"}',
    b'{"entity_id": null}',
    b'{"entity_id": 5}',
    b'{"entity_id": ""}',
    b'{"entity_id": "all"}',
    b'{"entity_id": "light.nowhere"}',
    b'{"entity_id": "not an id"}',
    b'{"entity_id": ["light.demo_light_1", null]}',
    b'{"entity_id": ["light.demo_light_1", ["light.demo_light_2"]]}',
    b'{"entity_id": {"a": "b"}}',
    b'{"entity_id": "light.demo_light_1", "brightness": -1}',
    b'{"entity_id": "light.demo_light_1", "brightness": 1e300}',
    b'{"entity_id": "light.demo_light_1", "brightness": 18446744073709551616}',
    b'{"entity_id": "light.demo_light_1", "brightness": "full"}',
    b'{"entity_id": "light.demo_light_1", "brightness_pct": 101}',
    b'{"entity_id": "light.demo_light_1", "brightness_pct": true}',
    b'{"entity_id": "switch.demo_switch_1"}',
    b'{"entity_id": "light.demo_light_1", "extra": {"__class__": "x"}}',
    b"[" * 2000 + b"]" * 2000,
    b'{"a":' * 1500 + b"1" + b"}" * 1500,
    orjson.dumps({"state": "x" * 10_000}),
    orjson.dumps({f"k{n}": n for n in range(5000)}),
]


def test_setup_adds_every_route() -> None:
    app = web.Application()
    setup(app)
    routes = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    assert routes == EXPECTED_ROUTES


def test_admin_routes_are_marked() -> None:
    app = web.Application()
    setup(app)
    for route in app.router.routes():
        assert route.resource is not None
        key = (route.method, route.resource.canonical)
        assert getattr(route.handler, "hearth_admin", False) == (key in ADMIN_ONLY), key
        assert not getattr(route.handler, "hearth_public", False), key


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=lambda value: str(value))
async def test_no_500_for_malformed_bodies(
    client: Client, admin_headers: dict[str, str], method: str, path: str
) -> None:
    headers = {**admin_headers, "Content-Type": "application/json"}
    for body in MALFORMED_BODIES:
        response = await client.request(method, path, headers=headers, data=body)
        assert response.status < 500, (body[:80], await response.text())
        assert response.content_type == "application/json", body[:80]
        payload = orjson.loads(await response.read())
        if response.status >= 400:
            assert isinstance(payload, dict), body[:80]
            assert isinstance(payload["message"], str), body[:80]


MALFORMED_PATHS = [
    "/api/states/%ZZ",
    "/api/states/light..x",
    "/api/states/%00",
    "/api/states/light.demo_light_1%00",
    "/api/states/light.%2e%2e",
    "/api/states/" + "a" * 4000,
    "/api/events/%FF%FE",
    "/api/events/%C0%AE",
    "/api/events/" + "e" * 4000,
    "/api/services/%00/turn_on",
    "/api/services/light/%FF",
    "/api/services/light/turn_on/extra",
]


@pytest.mark.parametrize("path", MALFORMED_PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_no_500_for_malformed_paths(
    client: Client, admin_headers: dict[str, str], method: str, path: str
) -> None:
    response = await client.request(
        method, URL(path, encoded=True), headers=admin_headers, json={"state": "on"}
    )
    assert response.status < 500, await response.text()
    payload = await response.json()
    if response.status >= 400:
        assert isinstance(payload["message"], str)
