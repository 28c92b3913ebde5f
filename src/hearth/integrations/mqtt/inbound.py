"""Bounds on what arrives from the broker: size, JSON depth, and log lines about refusals.

Threat: any client that may publish to a topic the hub reads can send 10 MB, JSON nested
10,000 deep or invalid UTF-8, as often as it likes. Each is refused before anything is built
from it, and the refusals are logged at most once per topic and reason per interval, so a flood
cannot fill the log either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final

import orjson

from hearth import const
from hearth.core.payload import check_payload
from hearth.exceptions import InvalidPayload

_LOGGER = logging.getLogger("hearth.integrations.mqtt")

MAX_REMEMBERED: Final = 1024  # (topic, reason) pairs remembered for rate limiting
MAX_SHOWN_TOPIC: Final = 120


class Refused(Exception):
    """A message that was not used; the text says why (never quotes the payload)."""


def shown(topic: str) -> str:
    """A topic as it may appear in a log line: printable and short."""
    clean = "".join(char if char.isprintable() else "?" for char in topic[:MAX_SHOWN_TOPIC])
    return clean + ("..." if len(topic) > MAX_SHOWN_TOPIC else "")


class LogLimiter:
    """Logs a warning per (topic, reason) at most once per `interval` seconds."""

    def __init__(
        self, interval: float = const.MQTT_LOG_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self.suppressed = 0

    def warning(self, topic: str, reason: str) -> None:
        """`MQTT message on TOPIC refused: REASON`, unless said lately."""
        now = self._clock()
        key = (topic[:MAX_SHOWN_TOPIC], reason)
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            self.suppressed += 1
            return
        if len(self._last) >= MAX_REMEMBERED:
            self._last.clear()
        self._last[key] = now
        more = f" ({self.suppressed} similar lines suppressed)" if self.suppressed else ""
        self.suppressed = 0
        _LOGGER.warning("MQTT message on %s refused: %s%s", shown(topic), reason, more)


def text(payload: bytes, limit: int) -> str:
    """The payload as UTF-8 text, or Refused."""
    if len(payload) > limit:
        raise Refused(f"{len(payload)} bytes, more than the {limit} allowed")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("not valid UTF-8") from None


def json_value(payload: bytes, limit: int, what: str) -> Any:
    """The payload parsed as JSON within the core's bounds (hearth.core.payload), or Refused."""
    if len(payload) > limit:
        raise Refused(f"{len(payload)} bytes, more than the {limit} allowed")
    try:
        # orjson refuses nesting beyond 1024 levels itself, before building anything deeper.
        value = orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        reason = "nested too deep" if "depth" in str(err) else "not valid JSON"
        raise Refused(reason) from None
    try:
        check_payload({"value": value}, what)
    except InvalidPayload as err:
        raise Refused(err.message) from None
    return value
