"""A bystander on the WebSocket: subscribed to every event and every entity, from another address.

After each fuzz example it must still receive well-formed events, never an error for its
subscriptions, and `get_states` must still succeed: the fuzzer's input may not harm other clients.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, Final

import aiohttp

from tests.acceptance.support import RunningHub
from tests.fuzz.client import OBSERVER

TIMEOUT: Final = 10.0


class Observer:
    """One authenticated WebSocket connection with `subscribe_events` and `subscribe_entities`."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._session = session
        self._ws = ws
        self._ids = itertools.count(1)
        self.subscriptions: set[int] = set()
        self.events = 0

    @classmethod
    async def connect(cls, hub: RunningHub) -> Observer:
        """Connect from the observer's address, authenticate and subscribe."""
        connector = aiohttp.TCPConnector(local_addr=(OBSERVER, 0), force_close=True)
        session = aiohttp.ClientSession(connector=connector)
        try:
            ws = await session.ws_connect(hub.ws_url, autoping=True)
            observer = cls(session, ws)
            await observer._auth(hub.token)
            for command in ({"type": "subscribe_events"}, {"type": "subscribe_entities"}):
                msg_id = await observer.send(command)
                reply = await observer.result(msg_id)
                assert reply["success"] is True, reply
                observer.subscriptions.add(msg_id)
        except BaseException:
            await session.close()
            raise
        return observer

    async def _auth(self, token: str) -> None:
        first = await self._ws.receive_json(timeout=TIMEOUT)
        assert first["type"] == "auth_required", first
        await self._ws.send_json({"type": "auth", "access_token": token})
        reply = await self._ws.receive_json(timeout=TIMEOUT)
        assert reply["type"] == "auth_ok", reply

    async def send(self, command: dict[str, Any]) -> int:
        """Send a command with the next id; return the id."""
        msg_id = next(self._ids)
        await self._ws.send_json({"id": msg_id, **command})
        return msg_id

    async def result(self, msg_id: int) -> dict[str, Any]:
        """Read (checking every event on the way) until the reply to `msg_id`."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                msg = await self._ws.receive()
                assert msg.type == aiohttp.WSMsgType.TEXT, f"observer connection ended: {msg}"
                data = msg.json()
                for message in data if isinstance(data, list) else [data]:
                    if message.get("id") == msg_id and message.get("type") in ("result", "pong"):
                        return dict(message)
                    self._check_other(message)

    def _check_other(self, message: dict[str, Any]) -> None:
        assert message.get("id") in self.subscriptions, f"observer got a stray message: {message}"
        assert message.get("type") == "event", f"observer subscription failed: {message}"
        assert isinstance(message.get("event"), dict), message
        self.events += 1

    async def check(self) -> None:
        """Drain everything sent so far (ping as a barrier), then read all states."""
        pong = await self.result(await self.send({"type": "ping"}))
        assert pong["type"] == "pong", pong
        states = await self.result(await self.send({"type": "get_states"}))
        assert states["success"] is True, f"observer get_states failed: {states}"
        assert isinstance(states["result"], list), states

    async def close(self) -> None:
        """Close the connection and the session."""
        try:
            await self._ws.close()
        finally:
            await self._session.close()
