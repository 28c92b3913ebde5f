"""Tests for hearth.websocket.protocol: parsing as data tables, a fuzz test, builders."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearth import const
from hearth.websocket import protocol
from hearth.websocket.protocol import Command, MessageParser, ProtocolError, Rejected

# (frame, expected) with expected a list of Command or (id, error code).
PARSE_CASES: list[tuple[str, list[Any]]] = [
    ('{"id": 1, "type": "ping"}', [Command(1, "ping", {})]),
    (
        '{"id": 2, "type": "call_service", "domain": "light"}',
        [Command(2, "call_service", {"domain": "light"})],
    ),
    ("[]", []),
    (
        '[{"id": 1, "type": "ping"}, {"id": 2, "type": "get_states"}]',
        [Command(1, "ping", {}), Command(2, "get_states", {})],
    ),
    (
        '[{"id": 3, "type": "ping"}, {"id": 3, "type": "ping"}]',
        [Command(3, "ping", {}), (3, "id_reuse")],
    ),
    (
        '[{"id": 5, "type": "ping"}, {"id": 4, "type": "ping"}]',
        [Command(5, "ping", {}), (4, "id_reuse")],
    ),
    ('{"id": 0, "type": "ping"}', [(0, "id_reuse")]),
    ('{"id": -1, "type": "ping"}', [(-1, "invalid_format")]),
    ('{"id": 1}', [(1, "invalid_format")]),
    ('{"id": 1, "type": 5}', [(1, "invalid_format")]),
    ('{"id": 1, "type": ""}', [(1, "invalid_format")]),
    ('{"id": 1, "type": null}', [(1, "invalid_format")]),
    (json.dumps({"id": 1, "type": "x" * 129}), [(1, "invalid_format")]),
    (
        '[{"id": 1}, {"id": 2, "type": "ping"}]',
        [(1, "invalid_format"), Command(2, "ping", {})],
    ),
]


@pytest.mark.parametrize(("frame", "expected"), PARSE_CASES)
def test_parse(frame: str, expected: list[Any]) -> None:
    got = MessageParser().parse(frame)
    normalised = [item if isinstance(item, Command) else (item.id, item.code) for item in got]
    assert normalised == expected


# Frames without a usable id: the connection cannot go on.
PROTOCOL_ERRORS: list[str | bytes] = [
    "",
    "not json",
    "{",
    '"text"',
    "7",
    "null",
    "true",
    "[1, 2]",
    '[{"id": 1, "type": "ping"}, "x"]',
    "{}",
    '{"type": "ping"}',
    '{"id": "1", "type": "ping"}',
    '{"id": true, "type": "ping"}',
    '{"id": 1.5, "type": "ping"}',
    '{"id": null, "type": "ping"}',
    '{"id": 18446744073709551616, "type": "ping"}',
    "[" * 2000 + "]" * 2000,
    b"\xff\xfe",
    "\ud800",
    json.dumps([{"id": n + 1, "type": "ping"} for n in range(const.WS_MAX_BATCH + 1)]),
]


@pytest.mark.parametrize("frame", PROTOCOL_ERRORS)
def test_parse_protocol_errors(frame: str | bytes) -> None:
    with pytest.raises(ProtocolError) as info:
        MessageParser().parse(frame)
    assert info.value.reason
    assert info.value.close_code in (
        protocol.CLOSE_POLICY_VIOLATION,
        protocol.CLOSE_MESSAGE_TOO_BIG,
    )


def test_parse_batch_limit_is_inclusive() -> None:
    frame = json.dumps([{"id": n + 1, "type": "ping"} for n in range(const.WS_MAX_BATCH)])
    assert len(MessageParser().parse(frame)) == const.WS_MAX_BATCH


def test_parse_oversize_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(const, "WS_MAX_MESSAGE", 64)
    with pytest.raises(ProtocolError) as info:
        MessageParser().parse(json.dumps({"id": 1, "type": "ping", "pad": "x" * 64}))
    assert info.value.close_code == protocol.CLOSE_MESSAGE_TOO_BIG


def test_ids_increase_across_frames() -> None:
    parser = MessageParser()
    assert parser.parse('{"id": 10, "type": "ping"}') == [Command(10, "ping", {})]
    assert parser.parse('{"id": 10, "type": "ping"}') == [
        Rejected(10, "id_reuse", "Identifier values have to increase.")
    ]
    assert parser.parse('{"id": 11, "type": "ping"}') == [Command(11, "ping", {})]
    assert parser.last_id == 11


def test_rejected_message_still_uses_up_its_id() -> None:
    parser = MessageParser()
    parser.parse('{"id": 4}')
    assert parser.parse('{"id": 4, "type": "ping"}')[0] == Rejected(
        4, "id_reuse", "Identifier values have to increase."
    )


AUTH_OK_CASES = [
    ('{"type": "auth", "access_token": "abc"}', "abc"),
    (b'{"access_token": "x.y.z", "type": "auth"}', "x.y.z"),
]


@pytest.mark.parametrize(("frame", "token"), AUTH_OK_CASES)
def test_parse_auth(frame: str | bytes, token: str) -> None:
    assert protocol.parse_auth(frame) == token


AUTH_ERRORS: list[str | bytes] = [
    "",
    "not json",
    "[]",
    "42",
    '{"type": "auth"}',
    '{"type": "auth", "access_token": 5}',
    '{"type": "auth", "access_token": ""}',
    '{"type": "auth", "api_password": "secret"}',
    '{"type": "auth", "access_token": "a", "api_password": "b"}',
    '{"type": "login", "access_token": "abc"}',
    '{"id": 1, "type": "auth", "access_token": "abc"}',
    json.dumps({"type": "auth", "access_token": "a" * (protocol.MAX_ACCESS_TOKEN_LENGTH + 1)}),
    json.dumps({"type": "auth", "access_token": "a", "pad": "x" * protocol.MAX_AUTH_MESSAGE}),
]


@pytest.mark.parametrize("frame", AUTH_ERRORS)
def test_parse_auth_errors(frame: str | bytes) -> None:
    with pytest.raises(ProtocolError) as info:
        protocol.parse_auth(frame)
    assert "secret" not in info.value.reason


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["id", "type", "access_token", "x"]), children, max_size=4
        )
    ),
    max_leaves=20,
)


def _check_parse(frame: str | bytes) -> None:
    parser = MessageParser()
    try:
        items = parser.parse(frame)
    except ProtocolError:
        pass
    else:
        assert isinstance(items, list)
        for item in items:
            assert isinstance(item, Command | Rejected)
            assert type(item.id) is int
    try:
        token = protocol.parse_auth(frame)
    except ProtocolError:
        pass
    else:
        assert isinstance(token, str)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_fuzz_arbitrary_frames(frame: str | bytes) -> None:
    """Whatever arrives: messages or ProtocolError, never another exception."""
    _check_parse(frame)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_fuzz_json_shapes(value: Any) -> None:
    """Well-formed JSON of any shape: messages or ProtocolError, never another exception."""
    _check_parse(json.dumps(value))


def test_builders_match_home_assistant_shapes() -> None:
    assert orjson.loads(protocol.auth_required_message()) == {
        "type": "auth_required",
        "ha_version": const.HA_COMPAT_VERSION,
    }
    assert orjson.loads(protocol.auth_ok_message())["type"] == "auth_ok"
    assert orjson.loads(protocol.auth_invalid_message("nope")) == {
        "type": "auth_invalid",
        "message": "nope",
    }
    assert orjson.loads(protocol.result_message(3, {"a": 1})) == {
        "id": 3,
        "type": "result",
        "success": True,
        "result": {"a": 1},
    }
    assert orjson.loads(protocol.raw_result_message(4, b"[1,2]"))["result"] == [1, 2]
    assert orjson.loads(protocol.error_message(5, "not_found", "Gone.")) == {
        "id": 5,
        "type": "result",
        "success": False,
        "error": {"code": "not_found", "message": "Gone."},
    }
    assert orjson.loads(protocol.pong_message(6)) == {"id": 6, "type": "pong"}
    frame = protocol.event_message(protocol.event_prefix(7), b'{"event_type":"x"}')
    assert orjson.loads(frame) == {"id": 7, "type": "event", "event": {"event_type": "x"}}


def test_unserialisable_result_becomes_unknown_error() -> None:
    circular: dict[str, Any] = {}
    circular["self"] = circular
    reply = orjson.loads(protocol.result_message(8, circular))
    assert reply["success"] is False
    assert reply["error"]["code"] == "unknown_error"
