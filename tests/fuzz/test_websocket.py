"""Fuzz the WebSocket API of a running hub: the auth message, then messages and batches.

Contract (docs/fuzzing.md): a frame that has no readable integer id closes the connection with a
documented code (1003, 1008, 1009); otherwise every message gets exactly one well-formed reply (a
result or a pong) with its id, and never `unknown_error`. No traceback in the hub's log; the
observer on another connection keeps receiving events and reading states.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any, Final

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.websocket import COMMANDS
from tests.fuzz.client import FUZZER
from tests.fuzz.harness import FuzzHub
from tests.fuzz.profiles import fuzz_settings, time_limit
from tests.fuzz.strategies import json_values, nested, text
from tests.fuzz.ws_values import BASE, EDGE_VALUES, ERROR_CODES, FIELD_VALUES, TYPES

# Examples are bounded; the timeout is for a hub that hangs, with room for a busy machine.
pytestmark = [pytest.mark.acceptance, pytest.mark.timeout(time_limit())]

TIMEOUT: Final = 10.0
PROTOCOL_CLOSES: Final = {1003, 1008, 1009}
MAX_JSON_DEPTH: Final = 1024  # orjson refuses deeper input as invalid JSON


def payload(msg_type: str) -> st.SearchStrategy[dict[str, Any]]:
    """Some of the command's fields (good values or any JSON) and now and then an unknown one."""
    spec = COMMANDS.get(msg_type)
    names = list(spec.schema.model_fields) if spec is not None else []
    fields = st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(FIELD_VALUES.get(name, json_values(4)), json_values(4))
            for name in names
        },
    )
    extra = st.dictionaries(text, json_values(3), max_size=1)
    return st.builds(lambda a, b: {**b, **a}, fields, extra)


messages = st.one_of(st.sampled_from(TYPES), text).flatmap(
    lambda msg_type: payload(msg_type).map(lambda fields: {"type": msg_type, **fields})
)
id_schemes = st.sampled_from(["increasing", "increasing", "repeat", "any"])


@st.composite
def frames(draw: st.DrawFn) -> tuple[str, Any]:
    """('json', value) for a text frame, ('text', str) for raw text, ('binary', bytes)."""
    kind = draw(st.sampled_from(["one", "one", "batch", "batch", "raw", "binary", "many"]))
    if kind == "raw":
        return "text", draw(st.one_of(text, st.sampled_from(["[", "{}", "[1]", "[[]]", "NaN"])))
    if kind == "binary":
        return "binary", draw(st.binary(max_size=16))
    if kind == "many":  # around the 256-message limit
        count = draw(st.integers(250, 260))
        return "json", [{"id": n + 1, "type": "ping"} for n in range(count)]
    batch = draw(st.lists(messages, min_size=1, max_size=6))
    scheme = draw(id_schemes)
    for position, message in enumerate(batch):
        if scheme == "increasing":
            message["id"] = position + 1
        elif scheme == "repeat":
            message["id"] = draw(st.integers(0, 3))
        else:
            message["id"] = draw(st.one_of(st.integers(), json_values(2)))
    return "json", batch[0] if kind == "one" else batch


def readable_id(value: Any) -> bool:
    """Whether the hub reads `value` as an integer id (orjson makes huge integers floats)."""
    return type(value) is int and -(2**63) <= value < 2**64


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value` (a scalar: 0)."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def expected_replies(kind: str, value: Any) -> Counter[Any] | None:
    """How many replies each id should get, or None when the frame must close the connection."""
    if kind != "json" or depth(value) > MAX_JSON_DEPTH:
        return None
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and (not value or len(value) > 256):
        return None
    if not all(isinstance(item, dict) and readable_id(item.get("id")) for item in items):
        return None
    return Counter(item["id"] for item in items)


async def connect(fuzz: FuzzHub, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    """An authenticated connection from the fuzzer's address."""
    ws = await session.ws_connect(fuzz.hub.ws_url, autoping=True)
    assert (await ws.receive_json(timeout=TIMEOUT))["type"] == "auth_required"
    await ws.send_json({"type": "auth", "access_token": fuzz.token})
    assert (await ws.receive_json(timeout=TIMEOUT))["type"] == "auth_ok"
    return ws


def check_reply(message: dict[str, Any]) -> None:
    """A result is HA's shape, with a documented error code."""
    if message.get("type") == "pong":
        return
    assert message.get("type") == "result", message
    assert isinstance(message.get("success"), bool), message
    if not message["success"]:
        error = message.get("error")
        assert isinstance(error, dict), message
        assert error.get("code") in ERROR_CODES, f"undocumented or unexpected error: {message}"
        assert isinstance(error.get("message"), str), message
        assert error["message"], message


async def exchange_frame(fuzz: FuzzHub, kind: str, value: Any) -> None:
    """Send one frame on a fresh connection and hold the answers to the contract."""
    expected = expected_replies(kind, value)
    connector = aiohttp.TCPConnector(local_addr=(FUZZER, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        ws = await connect(fuzz, session)
        if kind == "binary":
            await ws.send_bytes(value)
        else:
            await ws.send_str(value if kind == "text" else json.dumps(value))
        got: Counter[Any] = Counter()
        async with asyncio.timeout(TIMEOUT):
            while expected is None or got != expected:
                msg = await ws.receive()
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    assert expected is None, f"closed ({msg.data}) before all replies: {got}"
                    assert ws.close_code in PROTOCOL_CLOSES, f"close code {ws.close_code}"
                    return
                assert msg.type == aiohttp.WSMsgType.TEXT, msg
                data = msg.json()
                for message in data if isinstance(data, list) else [data]:
                    if message.get("type") == "event":
                        continue
                    check_reply(message)
                    got[message["id"]] += 1
        assert expected is not None, f"the connection stayed open after {value!r}"
        assert got == expected, (expected, got)
        await ws.close()


def edge_messages() -> list[dict[str, Any]]:
    """Each command with each of its fields set to each edge value (the rest at their base)."""
    messages = []
    for msg_type in TYPES:
        for name in COMMANDS[msg_type].schema.model_fields:
            for value in EDGE_VALUES.get(name, []):
                messages.append({"type": msg_type, **BASE.get(msg_type, {}), name: value})
    return messages


def test_every_edge_value(fuzz_hub: FuzzHub) -> None:
    """Not random: every listed edge value of every field, once, in batches of 16."""
    messages = edge_messages()
    for start in range(0, len(messages), 16):
        batch = [{"id": n + 1, **m} for n, m in enumerate(messages[start : start + 16])]
        fuzz_hub.runner.run(exchange_frame(fuzz_hub, "json", batch))
        fuzz_hub.assert_healthy()


@fuzz_settings(70)
@given(frame=frames())
def test_messages_and_batches(fuzz_hub: FuzzHub, frame: tuple[str, Any]) -> None:
    fuzz_hub.begin_example()
    fuzz_hub.runner.run(exchange_frame(fuzz_hub, *frame))
    fuzz_hub.assert_healthy()


@fuzz_settings(3)
@given(
    depth=st.integers(min_value=253, max_value=1024),
    command=st.sampled_from(["fire_event", "call_service"]),
)
def test_deep_event_and_service_data(own_hub: FuzzHub, depth: int, command: str) -> None:
    own_hub.begin_example()
    if command == "fire_event":
        message = {
            "id": 1,
            "type": "fire_event",
            "event_type": "fuzz",
            "event_data": {"d": nested(depth)},
        }
    else:
        data = {"entity_id": "light.demo_light_1", "d": nested(depth)}
        message = {
            "id": 1,
            "type": "call_service",
            "domain": "light",
            "service": "turn_on",
            "service_data": data,
        }
    own_hub.runner.run(exchange_frame(own_hub, "json", message))
    own_hub.assert_healthy()


auth_messages = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["auth", "Auth", "ping"])},
        optional={"access_token": st.one_of(text, json_values(2)), "x": json_values(2)},
    ),
    json_values(),
)


async def authenticate_with(fuzz: FuzzHub, kind: str, value: Any) -> None:
    """Send `value` as the auth message: auth_invalid and close 1008, or a protocol close."""
    connector = aiohttp.TCPConnector(local_addr=(FUZZER, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        ws = await session.ws_connect(fuzz.hub.ws_url, autoping=True)
        assert (await ws.receive_json(timeout=TIMEOUT))["type"] == "auth_required"
        if kind == "binary":
            await ws.send_bytes(value)
        else:
            await ws.send_str(value if kind == "text" else json.dumps(value))
        async with asyncio.timeout(TIMEOUT):
            msg = await ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT:
                assert msg.json()["type"] == "auth_invalid", msg
                msg = await ws.receive()
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
        assert ws.close_code in PROTOCOL_CLOSES, ws.close_code


@fuzz_settings(40)
@given(
    frame=st.one_of(
        auth_messages.map(lambda value: ("json", value)),
        st.tuples(st.just("text"), text),
        st.tuples(st.just("binary"), st.binary(max_size=8)),
    )
)
def test_auth_message(fuzz_hub: FuzzHub, frame: tuple[str, Any]) -> None:
    fuzz_hub.begin_example()
    fuzz_hub.runner.run(authenticate_with(fuzz_hub, *frame))
    fuzz_hub.assert_healthy()
