"""The MQTT connection's safety rules: TLS that always verifies, and no clear text off the LAN.

Threat: MQTT without TLS sends the hub's password and every command in clear text; on a path
through networks the user does not own, anyone on it could read the password and switch the
locks. Without TLS the broker must therefore be on a local network (the built-in ones plus
`http: local_networks`), checked on the addresses the name resolves to, and the hub connects
to the checked address itself, so that the name cannot resolve elsewhere between check and
connect.

The CA file, client certificate and key are read once, when the integration is set up: a hub
started as root reads them before it gives root up (hearth.privileges), so they may stay
readable by root alone, and the files the hub trusts cannot change under a running hub.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TYPE_CHECKING, Any, Final

from hearth.exceptions import ConfigError
from hearth.http.network import is_local, normalize

if TYPE_CHECKING:
    from hearth.config.mqtt_fields import MqttSection

PLAINTEXT_REMOTE: Final = (
    "the broker is not on a local network and tls is false: the MQTT password and every "
    "command would cross other networks in clear text; set tls: true (and port: 8883)"
)
RESOLVE_TIMEOUT: Final = 5.0


class PlaintextRefused(Exception):
    """The broker resolved to an address outside the local networks while TLS is off."""


class TrackedContext(ssl.SSLContext):
    """A client context that remembers the sockets it wrapped, so that they can be closed.

    paho does not close a socket whose TLS handshake failed; without this each refused
    certificate would leave a file descriptor to the garbage collector.
    """

    opened: list[ssl.SSLSocket]

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        """Wrap as usual, and remember the result."""
        wrapped = super().wrap_socket(*args, **kwargs)
        if not hasattr(self, "opened"):
            self.opened = []
        self.opened.append(wrapped)
        return wrapped

    def close_all(self) -> None:
        """Close every socket this context made (closing twice is harmless)."""
        for wrapped in getattr(self, "opened", ()):
            wrapped.close()
        self.opened = []


def tls_context(conf: MqttSection) -> TrackedContext | None:
    """A client context that verifies the broker's certificate and name, TLS 1.2 or later.

    The CA file, when given, replaces the system's CAs (a private broker has a private CA);
    the client certificate and key make mutual TLS. There is deliberately no way to turn the
    checks off. Files that cannot be loaded: ConfigError naming the key, in one line.
    """
    if not conf.tls:
        return None
    context = TrackedContext(ssl.PROTOCOL_TLS_CLIENT)
    if conf.ca_certificate is not None:
        try:
            context.load_verify_locations(cafile=str(conf.ca_certificate))
        except (OSError, ValueError) as err:
            raise _unloadable("mqtt.ca_certificate", conf.ca_certificate, err) from None
    else:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    if conf.client_certificate is not None and conf.client_key is not None:
        try:
            context.load_cert_chain(str(conf.client_certificate), str(conf.client_key))
        except (OSError, ValueError) as err:
            raise _unloadable("mqtt.client_certificate", conf.client_certificate, err) from None
    return context


def _unloadable(key: str, path: object, err: Exception) -> ConfigError:
    # ssl's reasons ("PEM_LIB", "KEY_VALUES_MISMATCH") name the problem, never a secret.
    reason = getattr(err, "reason", None) or getattr(err, "strerror", None) or type(err).__name__
    reason = re.sub(r"\s*\(_ssl\.c:\d+\)$", "", str(reason))
    return ConfigError(f"{path}: cannot be loaded ({reason})", key=key)


def plaintext_allowed(
    address: IPv4Address | IPv6Address, local_networks: tuple[str, ...] = ()
) -> bool:
    """Whether a broker at `address` may be reached without TLS."""
    return is_local(normalize(address), local_networks)


async def broker_address(conf: MqttSection, local_networks: tuple[str, ...] = ()) -> str:
    """The address to connect to: with TLS the configured name (its certificate is checked);
    without TLS a resolved address on a local network, or PlaintextRefused."""
    if conf.tls:
        return conf.broker
    try:
        literal = ip_address(conf.broker)
    except ValueError:
        literal = None
    if literal is not None:
        candidates = [literal]
    else:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            infos = await loop.getaddrinfo(
                conf.broker, conf.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        candidates = [ip_address(info[4][0]) for info in infos]
    if not candidates:
        raise OSError("the broker's name did not resolve")
    # Every address must be local: a name that also resolves outside could be sent there.
    if not all(plaintext_allowed(address, local_networks) for address in candidates):
        raise PlaintextRefused(PLAINTEXT_REMOTE)
    return str(candidates[0])
