"""Against the running hub: one rule for client events (issue 9.14), prompt shutdown (10.9)."""

from __future__ import annotations

import json
import signal
import struct
import time

import aiohttp
import pytest

from hearth.const import WS_AUTH_TIMEOUT
from tests.acceptance.support import (
    STOP_TIMEOUT,
    RunningHub,
    assert_error_shape,
    assert_serving,
    request,
)
from tests.acceptance.support_rawws import CLOSE, RawWebSocket
from tests.acceptance.support_ws import ws_auth, ws_result

pytestmark = pytest.mark.acceptance

# Events only the hub fires: their listeners trust them.
RESERVED = (
    "state_changed",
    "call_service",
    "homeassistant_start",
    "homeassistant_started",
    "homeassistant_stop",
    "homeassistant_final_write",
    "homeassistant_close",
    "*",
)


async def test_reserved_events_are_refused_over_rest_and_websocket(hub: RunningHub) -> None:
    """The WebSocket used to accept homeassistant_stop and a forged call_service."""
    async with aiohttp.ClientSession() as session:
        watcher = await session.ws_connect(hub.ws_url)
        await ws_auth(watcher, hub.token)
        await watcher.send_json({"id": 1, "type": "subscribe_events", "event_type": "*"})
        assert (await ws_result(watcher, 1))["success"] is True
        admin = await session.ws_connect(hub.ws_url)
        await ws_auth(admin, hub.token)
        forged = {"domain": "light", "service": "turn_off", "service_data": {}}
        for msg_id, event_type in enumerate(RESERVED, start=1):
            reply = request(
                hub,
                "POST",
                f"/api/events/{event_type}",
                token=hub.token,
                body=json.dumps(forged).encode(),
            )
            message = assert_error_shape(reply, 400)
            assert message == f"Event {event_type} can not be fired through the API."
            fire = {"id": msg_id, "type": "fire_event", "event_type": event_type}
            await admin.send_json({**fire, "event_data": forged})
            result = await ws_result(admin, msg_id)
            assert result["success"] is False, (event_type, result)
            assert result["error"] == {"code": "invalid_format", "message": message}
        # Nothing reserved reached the bus: the watcher's next event (bar the demo sensors'
        # own changes) is the one fired now.
        await admin.send_json({"id": 100, "type": "fire_event", "event_type": "hearth_marker"})
        assert (await ws_result(admin, 100))["success"] is True
        while True:
            event = (await watcher.receive_json(timeout=5))["event"]
            if event["event_type"] != "state_changed":
                break
        assert event["event_type"] == "hearth_marker"
        await admin.close()
        await watcher.close()
    assert_serving(hub)


def test_sigterm_closes_an_unauthenticated_websocket_at_once(hub: RunningHub) -> None:
    """It gets 1001 and the hub exits, without waiting for the 10 s auth timeout."""
    waiting = RawWebSocket(hub)
    assert waiting.receive_json()["type"] == "auth_required"
    opened = time.monotonic()
    hub.stopped = True
    hub.process.send_signal(signal.SIGTERM)
    opcode, payload = waiting.receive_frame()
    assert opcode == CLOSE
    assert struct.unpack("!H", payload[:2])[0] == 1001
    assert payload[2:] == b"Server shutting down."
    assert hub.process.wait(timeout=STOP_TIMEOUT) == 0
    # Ordering, not speed: the hub was gone before the auth timeout could have fired.
    assert time.monotonic() - opened < WS_AUTH_TIMEOUT
    waiting.close()
