"""One connection attempt's pieces: connecting safely, cleaning up, reading what went wrong.

Kept apart from hearth.integrations.mqtt.client because they work around aiomqtt and paho:
a connect that runs in a worker thread, sockets left open after a refused CONNECT, errors that
arrive as text.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import random
from typing import Final

import aiomqtt
from aiomqtt.exceptions import MqttConnectError

from hearth import const
from hearth.integrations.mqtt.status import ConnectionState

_LOGGER = logging.getLogger("hearth.integrations.mqtt")
PAHO_LOGGER: Final = logging.getLogger("hearth.integrations.mqtt.paho")

# CONNACK codes: MQTT 3.1.1 return codes and MQTT 5 reason codes.
AUTH_CODES: Final = frozenset({4, 5, 0x86, 0x87, 0x8C})
PROTOCOL_CODES: Final = frozenset({1, 0x84})


class _OncePerText(logging.Filter):
    """paho and aiomqtt log some lines per message (a full queue): keep the first of each."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        if text in self._seen:
            return False
        if len(self._seen) < 256:
            self._seen.add(text)
        return True


PAHO_LOGGER.addFilter(_OncePerText())
PAHO_LOGGER.setLevel(logging.WARNING)


class _ClosedSocketWriter(logging.Filter):
    """Drops asyncio's traceback for one known aiomqtt race, and nothing else.

    aiomqtt asks the loop to watch paho's socket for writing through call_soon_threadsafe; when
    the socket closes before that callback runs (the broker hangs up as the hub says goodbye),
    asyncio logs an EBADF traceback from add_writer although nothing is lost.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (
            isinstance(error, OSError)
            and error.errno == errno.EBADF
            and "add_writer" in str(record.msg % record.args if record.args else record.msg)
        )


logging.getLogger("asyncio").addFilter(_ClosedSocketWriter())


def backoff(failures: int, *, auth: bool, rng: random.Random) -> float:
    """Seconds to wait after `failures` failed attempts: doubling, capped, with jitter.

    After the broker refused the credentials the wait starts at MQTT_AUTH_RETRY_MIN: the same
    credentials will not work a second later, and a broker may ban a client that keeps trying.
    """
    base = const.MQTT_RECONNECT_MIN * 2 ** min(max(failures - 1, 0), 16)
    if auth:
        base = max(base, const.MQTT_AUTH_RETRY_MIN)
    delay = min(base, const.MQTT_RECONNECT_MAX)
    return float(delay * (0.5 + rng.random() / 2))


def release(client: aiomqtt.Client) -> None:
    """Close paho's socket now, while the event loop runs.

    aiomqtt leaves it open after a refused CONNECT (wrong password, old protocol); paho would
    close it only when garbage collected, from wherever that happens, loop or no loop.
    """
    paho = getattr(client, "_client", None)
    reset = getattr(paho, "_reset_sockets", None)
    if callable(reset):
        try:
            reset()
        except Exception:
            _LOGGER.debug("Closing an MQTT socket failed", exc_info=True)


async def connect(client: aiomqtt.Client) -> None:
    """Connect; a cancellation waits for the connect that aiomqtt runs in a worker thread.

    Cancelling cannot stop that thread: without waiting, it would open a socket after the
    attempt was cleaned up, and leave it to the garbage collector.
    """
    entering = asyncio.ensure_future(client.__aenter__())
    try:
        await asyncio.shield(entering)
    except asyncio.CancelledError:
        done, _ = await asyncio.wait({entering}, timeout=const.MQTT_CONNECT_TIMEOUT)
        if entering in done and not entering.cancelled() and entering.exception() is None:
            with contextlib.suppress(aiomqtt.MqttError):
                await client.__aexit__(None, None, None)
        raise


def code(err: aiomqtt.MqttError) -> int | None:
    rc = getattr(err, "rc", None)
    if rc is None:
        return None
    return int(getattr(rc, "value", rc))


def wrong_protocol(err: MqttConnectError) -> bool:
    """Whether the broker refused MQTT 5 itself (a 3.1.1-only broker)."""
    return code(err) in PROTOCOL_CODES


def refusal(err: MqttConnectError) -> tuple[ConnectionState, str]:
    """The state and one line for a negative CONNACK."""
    if code(err) in AUTH_CODES:
        return ConnectionState.AUTH_FAILED, (
            "the broker refused the username and password (not authorised); check "
            "mqtt: username and password, and the broker's password file"
        )
    return ConnectionState.DISCONNECTED, f"the broker refused the connection ({err})"


def tls_failure(text: str) -> tuple[ConnectionState, str] | None:
    """The state and one line when aiomqtt's error text is about TLS, else None."""
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
        return ConnectionState.TLS_FAILED, (
            "the broker's TLS certificate could not be verified (check ca_certificate "
            "and that the certificate names the broker)"
        )
    if "SSL" in text or "TLS" in text:
        return ConnectionState.TLS_FAILED, f"the TLS handshake failed ({text[:200]})"
    return None
