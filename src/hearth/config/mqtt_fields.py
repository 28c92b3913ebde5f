"""The `mqtt:` section: the broker, credentials, TLS, discovery, birth and will messages.

TLS is on by default and certificates are always verified: there is no key to turn the checks
off. A broker outside the local networks without TLS is refused at start
(hearth.integrations.mqtt.security), because whoever sits on the path would read the
credentials and could switch the locks.
"""

from __future__ import annotations

import ipaddress
import string
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from hearth.config import tls_fields

DEFAULT_PORT: Final = 8883
DEFAULT_PREFIX: Final = "homeassistant"
DEFAULT_STATUS_TOPIC: Final = "homeassistant/status"
MAX_TOPIC: Final = 256
MAX_PAYLOAD: Final = 1024
_HOST_CHARACTERS: Final = frozenset(string.ascii_letters + string.digits + "-.")
_CLIENT_ID_CHARACTERS: Final = frozenset(string.ascii_letters + string.digits + "-_.:")

# Messages never contain the value: it may come from secrets.yaml. The error names key and line.


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "expected a number, not true/false")
    return value


def _broker(value: str) -> str:
    """An IP address or a DNS name (no scheme, no port: those have keys of their own)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        name = value.removesuffix(".")
        labels = name.split(".")
        if not (
            0 < len(name) <= 253
            and set(name) <= _HOST_CHARACTERS
            and not labels[-1].isdigit()
            and all(0 < len(label) <= 63 and label[0] != "-" != label[-1] for label in labels)
        ):
            raise ValueError(
                "expected the broker's IP address or host name (no mqtt:// and no port; the "
                "port has a key of its own)"
            ) from None
    return value


def check_topic(value: str, *, wildcards: bool = False) -> str | None:
    """Why `value` is not a usable topic, or None (MQTT 5 §4.7 plus Hearth's own bounds)."""
    if not value or len(value.encode("utf-8", "surrogatepass")) > MAX_TOPIC:
        return f"expected a topic of 1 to {MAX_TOPIC} bytes"
    if not value.isprintable():
        return "expected a topic without control characters"
    if not wildcards and ("+" in value or "#" in value):
        return "expected a topic without the wildcards + and #"
    if value.startswith("$"):
        return "expected a topic that does not start with $ (the broker's own topics)"
    return None


def _topic(value: str) -> str:
    problem = check_topic(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("expected printable text without line breaks")
    return value


def _client_id(value: str) -> str:
    if not set(value) <= _CLIENT_ID_CHARACTERS:
        raise ValueError("expected letters, digits, '-', '_', '.' and ':' only")
    return value


def _prefix(value: str) -> str:
    problem = check_topic(value)
    if problem is None and (value.endswith("/") or "//" in value):
        problem = "expected topic levels without an empty one (no trailing /)"
    if problem is not None:
        raise ValueError(problem)
    return value


def _disabled_message(value: Any) -> Any:
    """`birth_message: {}` (as in Home Assistant) or an empty value turns the message off."""
    return None if value == {} else value


Topic = Annotated[str, Field(max_length=MAX_TOPIC), AfterValidator(_topic)]
Qos = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=2)]


class MqttMessage(BaseModel):
    """`birth_message:` / `will_message:` — a message the hub publishes (or leaves as its will)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: Topic
    payload: Annotated[str, Field(max_length=MAX_PAYLOAD)] = ""
    qos: Qos = 0
    retain: bool = False


class MqttSection(BaseModel):
    """`mqtt:` — the MQTT broker Hearth connects to, and Home Assistant's discovery."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    broker: Annotated[str, Field(max_length=253), AfterValidator(_broker)]
    port: Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=65535)] = DEFAULT_PORT
    username: (
        Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_printable)] | None
    ) = None
    password: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    client_id: (
        Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_client_id)] | None
    ) = None
    tls: bool = True
    ca_certificate: tls_fields.PemFile | None = None
    client_certificate: tls_fields.PemFile | None = None
    client_key: tls_fields.PemFile | None = None
    discovery: bool = True
    discovery_prefix: Annotated[str, Field(max_length=64), AfterValidator(_prefix)] = DEFAULT_PREFIX
    birth_message: Annotated[MqttMessage | None, BeforeValidator(_disabled_message)] = MqttMessage(
        topic=DEFAULT_STATUS_TOPIC, payload="online"
    )
    will_message: Annotated[MqttMessage | None, BeforeValidator(_disabled_message)] = MqttMessage(
        topic=DEFAULT_STATUS_TOPIC, payload="offline"
    )
    keepalive: Annotated[int, BeforeValidator(_not_bool), Field(ge=10, le=3600)] = 60

    @model_validator(mode="after")
    def _tls_keys(self) -> MqttSection:
        """A client certificate comes with its key; certificates need TLS."""
        check_mqtt_tls(self.tls, self.ca_certificate, self.client_certificate, self.client_key)
        if self.password is not None and self.username is None:
            raise ValueError("password needs a username: set both or neither")
        return self


def check_mqtt_tls(tls: bool, ca: Path | None, certificate: Path | None, key: Path | None) -> None:
    """ValueError for certificate settings that cannot work together."""
    if (certificate is None) != (key is None):
        raise ValueError("client_certificate and client_key go together: set both or neither")
    if not tls and (ca is not None or certificate is not None):
        raise ValueError(
            "ca_certificate, client_certificate and client_key need tls: true (they would be "
            "ignored without TLS)"
        )
