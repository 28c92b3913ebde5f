"""The WebSocket message protocol as pure functions: parse frames, build replies. No I/O.

Fuzz contract: whatever text arrives, `MessageParser.parse` and `parse_auth` either return
values or raise `ProtocolError`, never anything else.
"""

from __future__ import annotations

import logging
from typing import Any, Final, NamedTuple

import orjson

from hearth import const
from hearth.core import serialize

_LOGGER = logging.getLogger(__name__)

# Close codes (RFC 6455, section 7.4.1).
CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_UNSUPPORTED_DATA: Final = 1003
CLOSE_POLICY_VIOLATION: Final = 1008
CLOSE_MESSAGE_TOO_BIG: Final = 1009
CLOSE_INTERNAL_ERROR: Final = 1011

# Error codes in result messages (Home Assistant's names).
ERR_ID_REUSE: Final = "id_reuse"
ERR_INVALID_FORMAT: Final = "invalid_format"
ERR_UNKNOWN_COMMAND: Final = "unknown_command"
ERR_UNAUTHORIZED: Final = "unauthorized"
ERR_NOT_FOUND: Final = "not_found"
ERR_HOME_ASSISTANT_ERROR: Final = "home_assistant_error"
ERR_UNKNOWN_ERROR: Final = "unknown_error"

MAX_TYPE_LENGTH: Final = 128
# Long enough for any access token Hearth issues; the auth manager bounds it again.
MAX_ACCESS_TOKEN_LENGTH: Final = 8192
# The auth message is tiny; an unauthenticated peer gets no more than this parsed.
MAX_AUTH_MESSAGE: Final = 16 * 1024

MSG_INCORRECTLY_FORMATTED: Final = "Message incorrectly formatted."
MSG_AUTH_INCORRECTLY_FORMATTED: Final = "Auth message incorrectly formatted."


class ProtocolError(Exception):
    """The peer broke the protocol; the connection is closed with `close_code`."""

    def __init__(self, reason: str, close_code: int = CLOSE_POLICY_VIOLATION) -> None:
        super().__init__(reason)
        self.reason = reason
        self.close_code = close_code


# Named tuples, not dataclasses: one is made per message, and a tuple is made fastest.
class Command(NamedTuple):
    """A well-formed command: its id, its type and the remaining fields."""

    id: int
    type: str
    payload: dict[str, Any]


class Rejected(NamedTuple):
    """A message with a readable id that cannot be run; answered with an error result."""

    id: int
    code: str
    message: str


Incoming = Command | Rejected


def _loads(data: str | bytes, limit: int) -> Any:
    if len(data) > limit:
        raise ProtocolError("Message too large.", CLOSE_MESSAGE_TOO_BIG)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ProtocolError("Invalid JSON.") from None


class MessageParser:
    """Parses command-phase frames and enforces strictly increasing message ids."""

    __slots__ = ("last_id",)

    def __init__(self) -> None:
        self.last_id = 0

    def parse(self, data: str | bytes) -> list[Incoming]:
        """Turn one text frame (an object, or an array of objects) into messages."""
        value = _loads(data, const.WS_MAX_MESSAGE)
        if isinstance(value, dict):
            return [self._one(value)]
        if isinstance(value, list):
            if len(value) > const.WS_MAX_BATCH:
                raise ProtocolError(f"More than {const.WS_MAX_BATCH} messages in one array.")
            return [self._one(item) for item in value]
        raise ProtocolError("Expected a JSON object or an array of objects.")

    def _one(self, value: Any) -> Incoming:
        if not isinstance(value, dict):
            raise ProtocolError("Expected a JSON object or an array of objects.")
        msg_id = value.get("id")
        # bool is an int subclass; JSON true is not an id.
        if type(msg_id) is not int:
            raise ProtocolError("Message without an integer id.")
        if msg_id < 0:
            return Rejected(msg_id, ERR_INVALID_FORMAT, MSG_INCORRECTLY_FORMATTED)
        if msg_id <= self.last_id:
            return Rejected(msg_id, ERR_ID_REUSE, "Identifier values have to increase.")
        self.last_id = msg_id
        msg_type = value.get("type")
        if type(msg_type) is not str or not 0 < len(msg_type) <= MAX_TYPE_LENGTH:
            return Rejected(msg_id, ERR_INVALID_FORMAT, MSG_INCORRECTLY_FORMATTED)
        if len(value) == 2:  # only id and type (ping, get_states, ...): nothing to copy
            return Command(msg_id, msg_type, {})
        del value["id"], value["type"]  # the rest is the payload (the dict is ours alone)
        return Command(msg_id, msg_type, value)


def parse_auth(data: str | bytes) -> str:
    """The access token from an auth message; ProtocolError if the message is malformed."""
    value = _loads(data, MAX_AUTH_MESSAGE)
    if not isinstance(value, dict) or value.get("type") != "auth":
        raise ProtocolError(MSG_AUTH_INCORRECTLY_FORMATTED)
    token = value.get("access_token")
    if set(value) != {"type", "access_token"} or not isinstance(token, str):
        raise ProtocolError(MSG_AUTH_INCORRECTLY_FORMATTED)
    if not 0 < len(token) <= MAX_ACCESS_TOKEN_LENGTH:
        raise ProtocolError(MSG_AUTH_INCORRECTLY_FORMATTED)
    return token


def dumps(value: Any) -> bytes:
    """Serialise an outgoing value (states and read-only mappings included)."""
    return serialize.dumps(value)


def auth_required_message() -> bytes:
    """The first message of every connection."""
    return dumps({"type": "auth_required", "ha_version": const.HA_COMPAT_VERSION})


def auth_ok_message() -> bytes:
    """Sent when the access token is valid."""
    return dumps({"type": "auth_ok", "ha_version": const.HA_COMPAT_VERSION})


def auth_invalid_message(message: str) -> bytes:
    """Sent before closing when authentication fails."""
    return dumps({"type": "auth_invalid", "message": message})


def error_message(msg_id: int, code: str, message: str) -> bytes:
    """A failed result."""
    error = {"code": code, "message": message}
    return dumps({"id": msg_id, "type": "result", "success": False, "error": error})


def result_message(msg_id: int, result: Any = None) -> bytes:
    """A successful result; an unserialisable result becomes an unknown_error."""
    try:
        return dumps({"id": msg_id, "type": "result", "success": True, "result": result})
    except TypeError:
        _LOGGER.exception("Result of WebSocket message %d is not JSON serialisable", msg_id)
        return error_message(msg_id, ERR_UNKNOWN_ERROR, "Invalid JSON in response.")


def raw_result_message(msg_id: int, result_json: bytes) -> bytes:
    """A successful result whose value is already serialised."""
    return b'{"id":%d,"type":"result","success":true,"result":%b}' % (msg_id, result_json)


def result_head(msg_id: int) -> bytes:
    """The start of a successful result; the serialised value and `}` follow."""
    return b'{"id":%d,"type":"result","success":true,"result":' % msg_id


def pong_message(msg_id: int) -> bytes:
    """The answer to ping."""
    return b'{"id":%d,"type":"pong"}' % msg_id


MESSAGE_TAIL: Final = b"}"


def event_prefix(subscription_id: int) -> bytes:
    """The start of every event frame of one subscription; the event JSON and `}` follow."""
    return b'{"id":%d,"type":"event","event":' % subscription_id


def event_message(prefix: bytes, event_json: bytes) -> bytes:
    """An event frame built from a subscription's prefix and serialised event, without parsing."""
    return prefix + event_json + b"}"
