"""Fixtures for the WebSocket tests: authenticated connections that speak the protocol."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.websocket import URL

Client = TestClient[web.Request, web.Application]
TIMEOUT = 5.0


class WsClient:
    """A test client: numbered commands, results matched by id, events kept in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0
        self._pending: list[dict[str, Any]] = []

    async def send(self, msg_type: str, **fields: Any) -> int:
        """Send one command with the next id; returns the id."""
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "type": msg_type, **fields})
        return self.next_id

    async def receive(self) -> dict[str, Any]:
        """The next message (a frame holding an array is split into its messages)."""
        if self._pending:
            return self._pending.pop(0)
        msg = await self.ws.receive(timeout=TIMEOUT)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        data = json.loads(msg.data)
        if isinstance(data, list):
            self._pending.extend(data[1:])
            return dict(data[0])
        return dict(data)

    async def result(self, msg_id: int) -> dict[str, Any]:
        """The result (or pong) for `msg_id`; other messages stay queued for receive()."""
        skipped: list[dict[str, Any]] = []
        async with asyncio.timeout(TIMEOUT):
            while True:
                message = await self.receive()
                if message.get("id") == msg_id and message["type"] in ("result", "pong"):
                    self._pending[:0] = skipped
                    return message
                skipped.append(message)

    async def command(self, msg_type: str, **fields: Any) -> dict[str, Any]:
        """Send a command and return its result message."""
        return await self.result(await self.send(msg_type, **fields))

    async def ok(self, msg_type: str, **fields: Any) -> Any:
        """Send a command that must succeed; returns its result value."""
        reply = await self.command(msg_type, **fields)
        assert reply["success"] is True, reply
        return reply["result"]

    async def error(self, msg_type: str, **fields: Any) -> dict[str, str]:
        """Send a command that must fail; returns its error object."""
        reply = await self.command(msg_type, **fields)
        assert reply["success"] is False, reply
        return dict(reply["error"])

    async def event(self, subscription: int) -> dict[str, Any]:
        """The next event message's payload for `subscription`."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                message = await self.receive()
                if message["type"] == "event" and message["id"] == subscription:
                    return dict(message["event"])

    async def closed(self) -> aiohttp.WSMessage:
        """Read until the server closes; returns the close message."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                msg = await self.ws.receive()
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    return msg


Connect = Callable[[str], Awaitable[WsClient]]


@pytest.fixture
async def connect(client: Client) -> AsyncIterator[Connect]:
    """Open an authenticated connection with a token; all are closed after the test."""
    opened: list[aiohttp.ClientWebSocketResponse] = []

    async def open_ws(token: str) -> WsClient:
        ws = await client.ws_connect(URL)
        opened.append(ws)
        first = await ws.receive_json(timeout=TIMEOUT)
        assert first["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": token})
        reply = await ws.receive_json(timeout=TIMEOUT)
        assert reply["type"] == "auth_ok", reply
        return WsClient(ws)

    yield open_ws
    for ws in opened:
        await ws.close()


@pytest.fixture
async def admin_ws(connect: Connect, admin_token: str) -> WsClient:
    """A connection authenticated as the admin."""
    return await connect(admin_token)


@pytest.fixture
async def user_ws(connect: Connect, user_token: str) -> WsClient:
    """A connection authenticated as a user without admin rights."""
    return await connect(user_token)
