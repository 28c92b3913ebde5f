"""Tests for hearth.websocket.handshake: auth_required, auth_ok, auth_invalid, timeout."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from hearth import const
from hearth.websocket import URL
from tests.websocket.conftest import TIMEOUT, Client


async def _auth_required(client: Client) -> aiohttp.ClientWebSocketResponse:
    ws = await client.ws_connect(URL)
    first = await ws.receive_json(timeout=TIMEOUT)
    assert first == {"type": "auth_required", "ha_version": const.HA_COMPAT_VERSION}
    return ws


async def _expect_close(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type is aiohttp.WSMsgType.CLOSE, msg
    return msg


async def test_auth_ok(client: Client, admin_token: str) -> None:
    ws = await _auth_required(client)
    await ws.send_json({"type": "auth", "access_token": admin_token})
    assert await ws.receive_json(timeout=TIMEOUT) == {
        "type": "auth_ok",
        "ha_version": const.HA_COMPAT_VERSION,
    }
    await ws.send_json({"id": 1, "type": "ping"})
    assert await ws.receive_json(timeout=TIMEOUT) == {"id": 1, "type": "pong"}
    await ws.close()


async def test_auth_invalid_token(
    client: Client, admin_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    ws = await _auth_required(client)
    wrong = admin_token[:-4] + ("AAAA" if not admin_token.endswith("AAAA") else "BBBB")
    with caplog.at_level(logging.INFO):
        await ws.send_json({"type": "auth", "access_token": wrong})
        reply = await ws.receive_json(timeout=TIMEOUT)
        assert reply == {"type": "auth_invalid", "message": "Invalid access token or password"}
        msg = await _expect_close(ws)
    assert msg.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    # The one failure line every credential failure writes (deploy/fail2ban matches it).
    assert "Login failed for user '' from 127.0.0.1: invalid_access_token" in caplog.text
    assert wrong not in caplog.text
    assert admin_token not in caplog.text


BAD_AUTH_FRAMES = [
    "not json",
    "[]",
    '{"type": "auth"}',
    '{"type": "auth", "access_token": 5}',
    '{"type": "auth", "api_password": "hunter2"}',
    '{"id": 1, "type": "ping"}',
]


@pytest.mark.parametrize("frame", BAD_AUTH_FRAMES)
async def test_auth_malformed(client: Client, frame: str) -> None:
    ws = await _auth_required(client)
    await ws.send_str(frame)
    reply = await ws.receive_json(timeout=TIMEOUT)
    assert reply["type"] == "auth_invalid"
    assert reply["message"]
    assert "hunter2" not in reply["message"]
    await _expect_close(ws)


async def test_auth_binary_frame_closes(client: Client) -> None:
    ws = await _auth_required(client)
    await ws.send_bytes(b"\x00\x01")
    msg = await _expect_close(ws)
    assert msg.data == aiohttp.WSCloseCode.UNSUPPORTED_DATA


async def test_auth_timeout(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(const, "WS_AUTH_TIMEOUT", 0.1)
    ws = await _auth_required(client)
    msg = await _expect_close(ws)
    assert msg.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert msg.extra == "Authentication timed out."


async def test_client_closes_during_auth(client: Client) -> None:
    ws = await _auth_required(client)
    await ws.close()
    assert ws.closed


async def test_plain_get_is_a_clean_400(client: Client) -> None:
    response = await client.get(URL)
    assert response.status == 400
    assert await response.json() == {"message": "Expected a WebSocket upgrade request."}
