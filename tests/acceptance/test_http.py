"""Raw HTTP against the real hub: malformed requests, error shapes, headers, curl-style calls."""

from __future__ import annotations

import json

import pytest

from hearth import const
from tests.acceptance.support import (
    RunningHub,
    assert_error_shape,
    assert_no_banner,
    assert_serving,
    raw_exchange,
    request,
    tampered,
)

pytestmark = pytest.mark.acceptance

LIGHT = "light.demo_light_1"
WS_UPGRADE = (
    b"GET /api/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


# --- malformed HTTP --------------------------------------------------------------------------

MALFORMED_REQUESTS = {
    "garbage-request-line": b"GARBAGE\r\n\r\n",
    "bad-method": b"G\xffT /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "nul-in-target": b"GET /api/\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "header-without-colon": b"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n",
    "space-before-colon": b"GET /api/ HTTP/1.1\r\nHost : x\r\n\r\n",
    "header-too-long": (
        b"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
    ),
    "request-line-too-long": b"GET /api/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "bad-content-length": b"POST /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
    "length-and-chunked": (
        b"POST /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "bad-chunk-size": (
        b"POST /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nabc\r\n0\r\n\r\n"
    ),
}


def test_malformed_http_gets_400_without_banner(hub: RunningHub) -> None:
    """aiohttp's own low-level rejections: a 400 that names no software; the hub keeps serving."""
    problems = {}
    for name, raw in MALFORMED_REQUESTS.items():
        try:
            reply = raw_exchange(hub.port, raw)
            assert reply.status == 400, reply
            assert_no_banner(reply)
            assert b"Traceback" not in reply.body, reply
            assert b"aiohttp" not in reply.body.lower(), reply
            assert_serving(hub)
        except AssertionError as err:
            problems[name] = str(err)
    assert not problems, "\n".join(f"{name}: {problem}" for name, problem in problems.items())


def test_banner_absent_on_normal_and_error_responses(hub: RunningHub) -> None:
    """No Server banner and the security headers on successes, 401s and 404s alike."""
    replies = [
        request(hub, "GET", "/api/", token=hub.token),
        request(hub, "GET", "/api/"),
        request(hub, "GET", "/api/no/such/thing", token=hub.token),
        raw_exchange(
            hub.port, b"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        ),
    ]
    upgrade = raw_exchange(hub.port, WS_UPGRADE)
    assert upgrade.status == 101, upgrade
    assert_no_banner(upgrade)
    for reply in replies:
        assert_no_banner(reply)
        assert reply.headers.get("x-content-type-options") == "nosniff", reply
        assert "referrer-policy" in reply.headers, reply


def test_application_errors_have_json_shape(hub: RunningHub) -> None:
    """Bad requests that parse as HTTP: JSON {"message"} with the right 4xx; never a 500."""
    token = hub.token
    missing = request(hub, "GET", "/api/")
    assert_error_shape(missing, 401)
    wrong = request(hub, "GET", "/api/", token=tampered(hub.token))
    assert_error_shape(wrong, 401)
    assert_error_shape(request(hub, "GET", "/api/states/light.nope", token=token), 404)
    assert_error_shape(request(hub, "GET", "/api/states/NotAnEntity", token=token), 400)
    assert_error_shape(request(hub, "GET", "/api/no/such/thing", token=token), 404)
    not_allowed = request(hub, "DELETE", "/api/", token=token)
    assert_error_shape(not_allowed, 405)
    assert "GET" in not_allowed.headers.get("allow", "")

    service = "/api/services/light/turn_on"
    for body in (b"{", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"entity_id": 5}'):
        reply = request(hub, "POST", service, token=token, body=body)
        assert_error_shape(reply, 400)
    too_bright = json.dumps({"entity_id": LIGHT, "brightness": 999}).encode()
    message = assert_error_shape(request(hub, "POST", service, token=token, body=too_bright), 400)
    assert "brightness" in message
    unknown = request(hub, "POST", "/api/services/light/frobnicate", token=token, body=b"{}")
    assert unknown.status in (400, 404), unknown
    assert_error_shape(unknown, unknown.status)
    assert_error_shape(request(hub, "POST", "/api/services/Bad-Domain/x", token=token), 400)
    bad_state = json.dumps({"state": 5}).encode()
    reply = request(hub, "POST", "/api/states/sensor.acceptance", token=token, body=bad_state)
    assert_error_shape(reply, 400)
    assert_error_shape(request(hub, "POST", "/api/states/sensor.acceptance", token=token), 400)

    huge = b'{"entity_id": "' + b"a" * (const.MAX_REQUEST_BODY + 1024) + b'"}'
    assert_error_shape(request(hub, "POST", service, token=token, body=huge), 413)
    traversal = request(hub, "GET", "/api/states/..%2f..%2fetc%2fpasswd", token=token)
    assert traversal.status in (400, 404), traversal
    assert_serving(hub)


# --- the REST API as curl would use it -------------------------------------------------------


def test_rest_calls_with_token(hub: RunningHub) -> None:
    """/api/, /api/config, /api/states, a service call and its effect, the event list."""
    token = hub.token
    assert request(hub, "GET", "/api/", token=token).json() == {"message": "API running."}

    config = request(hub, "GET", "/api/config", token=token).json()
    assert config["location_name"] == "Acceptance Home"
    assert config["time_zone"] == "Europe/Amsterdam"
    assert "config_dir" not in config
    assert str(hub.config_dir) not in json.dumps(config)
    assert request(hub, "GET", "/api/core/state", token=token).json() == {"state": "RUNNING"}
    components = request(hub, "GET", "/api/components", token=token).json()
    assert {"demo", "light", "switch", "sensor"} <= set(components)

    states = request(hub, "GET", "/api/states", token=token).json()
    ids = {state["entity_id"] for state in states}
    assert {f"light.demo_light_{n}" for n in (1, 2, 3)} <= ids
    assert {f"switch.demo_switch_{n}" for n in (1, 2)} <= ids
    assert {f"sensor.demo_sensor_{n}" for n in (1, 2)} <= ids
    for state in states:
        assert set(state) == {
            "entity_id",
            "state",
            "attributes",
            "last_changed",
            "last_reported",
            "last_updated",
            "context",
        }, state
        assert set(state["context"]) == {"id", "parent_id", "user_id"}

    services = request(hub, "GET", "/api/services", token=token).json()
    light = next(entry for entry in services if entry["domain"] == "light")
    assert {"turn_on", "turn_off", "toggle"} <= set(light["services"])

    path = "/api/services/light/turn_off"
    request(hub, "POST", path, token=token, body=json.dumps({"entity_id": LIGHT}).encode())
    body = json.dumps({"entity_id": LIGHT, "brightness": 128}).encode()
    changed = request(hub, "POST", "/api/services/light/turn_on", token=token, body=body)
    assert changed.status == 200, changed
    light_states = [s for s in changed.json() if s["entity_id"] == LIGHT]
    assert len(light_states) == 1, changed
    assert light_states[0]["state"] == "on"
    assert light_states[0]["attributes"]["brightness"] == 128
    assert light_states[0]["context"]["user_id"]

    now = request(hub, "GET", f"/api/states/{LIGHT}", token=token).json()
    assert now["state"] == "on"
    assert now["attributes"]["brightness"] == 128

    events = request(hub, "GET", "/api/events", token=token).json()
    assert all(set(event) == {"event", "listener_count"} for event in events), events

    created = request(
        hub,
        "POST",
        "/api/states/sensor.acceptance",
        token=token,
        body=json.dumps({"state": "42", "attributes": {"unit_of_measurement": "W"}}).encode(),
    )
    assert created.status == 201, created
    assert created.headers["location"] == "/api/states/sensor.acceptance"
    removed = request(hub, "DELETE", "/api/states/sensor.acceptance", token=token)
    assert removed.json() == {"message": "Entity removed."}


def test_websocket_requires_upgrade(hub: RunningHub) -> None:
    """A plain GET on the WebSocket URL is a 4xx, not a 500."""
    reply = request(hub, "GET", "/api/websocket")
    assert 400 <= reply.status < 500, reply
    assert_no_banner(reply)
