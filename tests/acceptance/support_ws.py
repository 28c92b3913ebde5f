"""Helpers that speak the HA WebSocket protocol directly (aiohttp client), for edge cases."""

from __future__ import annotations

import asyncio

import aiohttp


async def ws_auth(ws: aiohttp.ClientWebSocketResponse, token: str) -> None:
    """Do the HA handshake and require auth_ok."""
    first = await ws.receive_json(timeout=5)
    assert first["type"] == "auth_required", first
    await ws.send_json({"type": "auth", "access_token": token})
    reply = await ws.receive_json(timeout=5)
    assert reply["type"] == "auth_ok", reply


async def ws_result(ws: aiohttp.ClientWebSocketResponse, msg_id: int | None) -> dict[str, object]:
    """The next result message, skipping events and other messages."""
    async with asyncio.timeout(5):
        while True:
            data = await ws.receive_json()
            messages = data if isinstance(data, list) else [data]
            for message in messages:
                if message.get("type") in ("result", "pong") and message.get("id") == msg_id:
                    return dict(message)


def assert_ws_error(message: dict[str, object], msg_id: int | None, codes: set[str]) -> None:
    """HA's error shape: {"id", "type": "result", "success": false, "error": {code, message}}."""
    assert message["type"] == "result", message
    assert message["success"] is False, message
    assert message["id"] == msg_id, message
    error = message["error"]
    assert isinstance(error, dict), message
    assert error["code"] in codes, message
    assert isinstance(error["message"], str), message
    assert error["message"], message
    assert "Traceback" not in error["message"]


async def next_error(ws: aiohttp.ClientWebSocketResponse) -> dict[str, object]:
    """The next message, which must be an error result."""
    data = await ws.receive_json(timeout=5)
    assert isinstance(data, dict), data
    return data


async def expect_closed(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """Read until the server closes the connection; return the close message."""
    async with asyncio.timeout(5):
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return msg
