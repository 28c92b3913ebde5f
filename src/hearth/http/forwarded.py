"""The real client address: the socket peer, or what a trusted reverse proxy reports."""

from __future__ import annotations

import logging
import string
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv6Address, ip_address
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web

from hearth import const
from hearth.exceptions import BadRequest
from hearth.http.errors import refusal
from hearth.http.keys import REQ_CLIENT_IP
from hearth.http.log_limit import LogLimiter
from hearth.http.network import IPAddress, NetworkSet, parse_address, parse_networks, peer_ip
from hearth.http.refusals import Refusal

if TYPE_CHECKING:
    from hearth.config.schema import HttpSection

_LOGGER = logging.getLogger(__name__)

FORWARDED_FOR: Final = hdrs.X_FORWARDED_FOR
FORWARDED_PROTO: Final = hdrs.X_FORWARDED_PROTO
FORWARDED_HOST: Final = hdrs.X_FORWARDED_HOST
FORWARDED_HEADERS: Final = (FORWARDED_FOR, FORWARDED_PROTO, FORWARDED_HOST)

_SCHEMES: Final = frozenset({"http", "https"})
_HOST_CHARACTERS: Final = frozenset(string.ascii_letters + string.digits + "-._")


_UNTRUSTED: Final = Refusal(
    BadRequest.status, "Forwarded headers are not accepted from this address."
)


class ForwardedError(ValueError):
    """A forwarded header that cannot be trusted or understood; the message names the header."""


@dataclass(frozen=True, slots=True)
class Forwarded:
    """What a trusted proxy reported about the client."""

    client: IPAddress
    scheme: str | None = None
    host: str | None = None


def _single(values: list[str], name: str) -> str:
    """The one value of a header that must appear once."""
    if len(values) != 1:
        raise ForwardedError(f"Multiple {name} headers.")
    return values[0]


def _items(value: str, name: str) -> list[str]:
    """The comma-separated items of a header; empty items are malformed."""
    items = [item.strip() for item in value.split(",")]
    if len(items) > const.MAX_FORWARDED_HOPS:
        raise ForwardedError(f"Too many entries in {name}.")
    if not all(items):
        raise ForwardedError(f"Empty entry in {name}.")
    return items


def _address(text: str) -> IPAddress:
    address = parse_address(text)
    if address is None:
        raise ForwardedError(f"Invalid address in {FORWARDED_FOR}.")
    return address


def _valid_port(port: str) -> bool:
    # Length first: int() of thousands of digits is slow, and past 4300 a ValueError.
    return 0 < len(port) <= 5 and port.isascii() and port.isdigit() and 0 < int(port) < 65536


def valid_host(value: str) -> bool:
    """Whether `value` is `host[:port]`: a hostname, an IPv4 address or a bracketed IPv6 one."""
    if value.startswith("["):
        literal, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and _valid_port(rest[1:]))):
            return False
        try:
            return isinstance(ip_address(literal), IPv6Address)
        except ValueError:
            return False
    host, colon, port = value.rpartition(":") if ":" in value else (value, "", "")
    if colon and not _valid_port(port):
        return False
    labels = host.removesuffix(".").split(".")
    return 0 < len(host) <= 253 and all(
        0 < len(label) <= 63 and set(label) <= _HOST_CHARACTERS for label in labels
    )


def _scheme(values: list[str], hops: int, index: int) -> str:
    """The scheme the proxy reports for the hop at `index` of `hops` (1 when there is no list)."""
    protos = _items(_single(values, FORWARDED_PROTO), FORWARDED_PROTO)
    if len(protos) not in (1, hops):
        raise ForwardedError(f"{FORWARDED_PROTO} does not match {FORWARDED_FOR}.")
    scheme = (protos[0] if len(protos) == 1 else protos[index]).lower()
    if scheme not in _SCHEMES:
        raise ForwardedError(f"Invalid {FORWARDED_PROTO}.")
    return scheme


def _host(values: list[str]) -> str:
    host = _single(values, FORWARDED_HOST).strip()
    if not valid_host(host):
        raise ForwardedError(f"Invalid {FORWARDED_HOST}.")
    return host


def resolve(
    trusted: NetworkSet,
    forwarded_for: list[str],
    forwarded_proto: list[str],
    forwarded_host: list[str],
) -> Forwarded:
    """Parse headers that a trusted proxy sent; ForwardedError when any is malformed."""
    hops = [_address(item) for item in _items(_single(forwarded_for, FORWARDED_FOR), FORWARDED_FOR)]
    # Right to left: each trusted proxy vouches for the address to its left. The first address
    # that is not a trusted proxy is the client; anything further left it could have made up.
    index = 0
    for position in range(len(hops) - 1, -1, -1):
        if hops[position] not in trusted:
            index = position
            break
    scheme = _scheme(forwarded_proto, len(hops), index) if forwarded_proto else None
    host = _host(forwarded_host) if forwarded_host else None
    return Forwarded(hops[index], scheme, host)


def check_without_client(forwarded_proto: list[str], forwarded_host: list[str]) -> None:
    """X-Forwarded-Proto/-Host from a trusted proxy without X-Forwarded-For: still well-formed."""
    if forwarded_proto:
        _scheme(forwarded_proto, 1, 0)
    if forwarded_host:
        _host(forwarded_host)


def forwarded_host(request: web.Request) -> str | None:
    """The host a trusted proxy reported and the request now carries, or None.

    Only requests that passed the forwarded step reach the views, so an X-Forwarded-Host still
    on one came from a trusted proxy; it was applied when X-Forwarded-For came with it.
    """
    headers = request.headers
    if FORWARDED_FOR not in headers:
        return None
    value = headers.get(FORWARDED_HOST)
    return None if value is None else value.strip()


def _untrusted_advice(peer: IPAddress, name: str, use_x_forwarded_for: bool) -> str:
    """The log line for forwarded headers from a peer we do not trust: what to change, exactly."""
    if not use_x_forwarded_for:
        return (
            f"Refused a request from {peer} carrying {name}: reverse-proxy support is off. If "
            f"{peer} is your reverse proxy, set `use_x_forwarded_for: true` and add {peer} to "
            "`trusted_proxies` under `http:` in configuration.yaml; otherwise something is "
            "forging the header"
        )
    return (
        f"Refused a request from {peer} carrying {name}: {peer} is not in `http: "
        f"trusted_proxies`. If it is your reverse proxy, add it there; otherwise something is "
        "forging the header"
    )


def forwarded_relay(http: HttpSection) -> Callable[[web.Request], web.Request | web.Response]:
    """Set REQ_CLIENT_IP for every request; refuse forwarded headers nobody trusted sent.

    Returns the request to serve: the same one, or (behind a trusted proxy that reported them)
    one carrying the client's address, scheme and host; or the refusal.
    """
    trusted = NetworkSet(parse_networks(http.trusted_proxies))
    use_x_forwarded_for = http.use_x_forwarded_for
    warned = LogLimiter()

    def forwarded(request: web.Request) -> web.Request | web.Response:
        peer = peer_ip(request)
        headers = request.headers
        if (
            FORWARDED_FOR not in headers
            and FORWARDED_PROTO not in headers
            and FORWARDED_HOST not in headers
        ):
            request[REQ_CLIENT_IP] = peer
            return request
        if not use_x_forwarded_for or peer not in trusted:
            # Threat: address spoofing. Anyone can write these headers; believing them from an
            # unknown peer would let a client pick the address that bans and the local-network
            # check see. Refusing (not ignoring) also surfaces a misconfigured proxy at once.
            if warned.allow(peer):
                name = next(name for name in FORWARDED_HEADERS if name in headers)
                _LOGGER.warning(_untrusted_advice(peer, name, use_x_forwarded_for))
            return _UNTRUSTED.response()
        found: Forwarded | None = None
        try:
            if FORWARDED_FOR in headers:
                found = resolve(
                    trusted,
                    headers.getall(FORWARDED_FOR),
                    headers.getall(FORWARDED_PROTO, []),
                    headers.getall(FORWARDED_HOST, []),
                )
            else:
                # The proxy made this request itself (a health check): it is the client. What
                # else it sent must still be well-formed (an empty X-Forwarded-Proto is not).
                check_without_client(
                    headers.getall(FORWARDED_PROTO, []), headers.getall(FORWARDED_HOST, [])
                )
        except ForwardedError as err:
            if warned.allow(peer):
                _LOGGER.warning("Refused a request relayed by %s: %s", peer, err)
            return refusal(BadRequest(str(err)))
        if found is None:
            request[REQ_CLIENT_IP] = peer
            return request
        request[REQ_CLIENT_IP] = found.client
        if found.scheme is None and found.host is None:
            return request.clone(remote=str(found.client))
        return request.clone(
            remote=str(found.client),
            scheme=found.scheme or request.scheme,
            host=found.host or request.host,
        )

    return forwarded
