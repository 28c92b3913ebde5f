"""Raw WebSocket traffic against the real hub: malformed auth and commands, limits."""

from __future__ import annotations

import json

import aiohttp
import pytest

from hearth.const import HA_COMPAT_VERSION
from tests.acceptance.support import RunningHub, assert_serving, tampered
from tests.acceptance.support_ws import (
    assert_ws_error,
    expect_closed,
    next_error,
    ws_auth,
    ws_result,
)

pytestmark = pytest.mark.acceptance

LIGHT = "light.demo_light_1"


BAD_AUTH_FRAMES = (
    "not json",
    "{",
    '{"type": "auth"}',
    '{"type": "auth", "access_token": 5}',
    "[]",
    "42",
)


async def test_ws_bad_auth_message(hub: RunningHub) -> None:
    """A malformed auth message: auth_invalid with a message, then close; the hub keeps serving."""
    problems = {}
    async with aiohttp.ClientSession() as session:
        for frame in BAD_AUTH_FRAMES:
            try:
                async with session.ws_connect(hub.ws_url) as ws:
                    first = await ws.receive_json(timeout=5)
                    assert first == {"type": "auth_required", "ha_version": HA_COMPAT_VERSION}
                    await ws.send_str(frame)
                    reply = await ws.receive_json(timeout=5)
                    assert reply["type"] == "auth_invalid", reply
                    assert isinstance(reply["message"], str), reply
                    assert reply["message"], reply
                    await expect_closed(ws)
                assert_serving(hub)
            except (AssertionError, TimeoutError, TypeError) as err:
                problems[frame] = repr(err)
    assert not problems, "\n".join(f"{frame}: {problem}" for frame, problem in problems.items())


async def test_ws_wrong_token(hub: RunningHub) -> None:
    """A wrong token: auth_invalid, close; the right token still works afterwards."""
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(hub.ws_url) as ws:
            await ws.receive_json(timeout=5)
            await ws.send_json({"type": "auth", "access_token": tampered(hub.token)})
            reply = await ws.receive_json(timeout=5)
            assert reply["type"] == "auth_invalid", reply
            assert hub.token not in json.dumps(reply)
            await expect_closed(ws)
        async with session.ws_connect(hub.ws_url) as ws:
            await ws_auth(ws, hub.token)


# Frames a connection cannot carry on after in Hearth's design. Home Assistant answers the
# shape errors with an invalid_format result (id 0) and closes on invalid JSON; Hearth may do
# either: an invalid_format result on a connection that still works, or a close whose code says
# why (1003 unsupported data, 1008 policy violation) and whose reason is a sentence.
UNRECOVERABLE_FRAMES: dict[str, str | bytes] = {
    "empty-object": "{}",
    "no-id": '{"type": "ping"}',
    "string-id": '{"id": "1", "type": "ping"}',
    "bool-id": '{"id": true, "type": "ping"}',
    "json-string": '"text"',
    "json-number": "7",
    "array-of-non-objects": "[1, 2]",
    "invalid-json": "{not json",
    "binary": b"\x00\x01binary",
    "too-many-in-batch": json.dumps([{"id": 100 + n, "type": "ping"} for n in range(300)]),
}
CLOSE_CODES = {aiohttp.WSCloseCode.UNSUPPORTED_DATA, aiohttp.WSCloseCode.POLICY_VIOLATION}


async def test_ws_unrecoverable_frames(hub: RunningHub) -> None:
    """Each: invalid_format or a reasoned close, on its own connection; the hub keeps serving."""
    problems = {}
    async with aiohttp.ClientSession() as session:
        for name, frame in UNRECOVERABLE_FRAMES.items():
            try:
                async with session.ws_connect(hub.ws_url) as ws:
                    await ws_auth(ws, hub.token)
                    if isinstance(frame, bytes):
                        await ws.send_bytes(frame)
                    else:
                        await ws.send_str(frame)
                    msg = await ws.receive(timeout=5)
                    if msg.type is aiohttp.WSMsgType.TEXT:
                        error = json.loads(msg.data)
                        assert_ws_error(error, error.get("id"), {"invalid_format"})
                        await ws.send_json({"id": 10_000, "type": "ping"})
                        assert await ws_result(ws, 10_000) == {"id": 10_000, "type": "pong"}
                    else:
                        assert msg.type is aiohttp.WSMsgType.CLOSE, msg
                        assert msg.data in CLOSE_CODES, msg
                        assert isinstance(msg.extra, str), msg
                        assert msg.extra, msg
                assert_serving(hub)
            except (AssertionError, TimeoutError, TypeError, KeyError) as err:
                problems[name] = repr(err)
    assert not problems, "\n".join(f"{name}: {problem}" for name, problem in problems.items())


async def test_ws_malformed_commands(hub: RunningHub) -> None:
    """Commands with a usable id get HA's error result, and the connection stays usable."""
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, hub.token)
        await ws.send_str('{"id": 10, "type": 5}')
        assert_ws_error(await next_error(ws), 10, {"invalid_format"})
        await ws.send_str('{"id": 11}')
        assert_ws_error(await next_error(ws), 11, {"invalid_format"})
        await ws.send_json({"id": -5, "type": "ping"})
        assert_ws_error(await next_error(ws), -5, {"invalid_format", "id_reuse"})

        await ws.send_json({"id": 1000, "type": "no_such_command"})
        assert_ws_error(await ws_result(ws, 1000), 1000, {"unknown_command"})
        await ws.send_json({"id": 1000, "type": "ping"})
        assert_ws_error(await ws_result(ws, 1000), 1000, {"id_reuse"})
        await ws.send_json({"id": 999, "type": "ping"})
        assert_ws_error(await ws_result(ws, 999), 999, {"id_reuse"})
        await ws.send_json({"id": 1001, "type": "call_service", "domain": "light"})
        assert_ws_error(await ws_result(ws, 1001), 1001, {"invalid_format"})
        await ws.send_json(
            {
                "id": 1002,
                "type": "call_service",
                "domain": "light",
                "service": "turn_on",
                "service_data": {"entity_id": LIGHT, "brightness": 999},
            }
        )
        error = await ws_result(ws, 1002)
        assert_ws_error(
            error, 1002, {"invalid_format", "home_assistant_error", "service_validation_error"}
        )
        assert "brightness" in error["error"]["message"]
        await ws.send_json(
            {"id": 1003, "type": "call_service", "domain": "light", "service": "frobnicate"}
        )
        assert_ws_error(await ws_result(ws, 1003), 1003, {"not_found"})
        await ws.send_json({"id": 1004, "type": "unsubscribe_events", "subscription": 4242})
        assert_ws_error(await ws_result(ws, 1004), 1004, {"not_found"})
        await ws.send_json({"id": 1005, "type": "subscribe_events", "event_type": 5})
        assert_ws_error(await ws_result(ws, 1005), 1005, {"invalid_format"})
        await ws.send_json({"id": 1006, "type": "get_states", "unexpected": {"x": 1}})
        reply = await ws_result(ws, 1006)
        assert reply["success"] is True or reply["error"]["code"] == "invalid_format", reply

        await ws.send_json({"id": 1007, "type": "ping"})
        assert await ws_result(ws, 1007) == {"id": 1007, "type": "pong"}
    assert_serving(hub)


async def test_ws_oversized_message_closes_connection(hub: RunningHub) -> None:
    """A message above the size limit closes that connection (1009) and nothing else."""
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(hub.ws_url, max_msg_size=0) as ws:
            await ws_auth(ws, hub.token)
            await ws.send_str(json.dumps({"id": 1, "type": "ping", "pad": "x" * (2 * 1024 * 1024)}))
            msg = await expect_closed(ws)
            assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG, (msg, ws.close_code)
        async with session.ws_connect(hub.ws_url) as ws:
            await ws_auth(ws, hub.token)
            await ws.send_json({"id": 1, "type": "ping"})
            assert await ws_result(ws, 1) == {"id": 1, "type": "pong"}
    assert_serving(hub)
