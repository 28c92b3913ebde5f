"""Serve only requests addressed to the hub by one of its own names: no DNS rebinding.

A page on another site can make its own name resolve to the hub's address ("DNS rebinding");
the browser then sends the hub requests with that site's name in `Host` and lets the page read
the answers. Checking `Host` against the names the hub is known by closes that door, and it
makes `Host` safe to build links from.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web

from hearth.certs.validate import host_matches
from hearth.exceptions import BadRequest
from hearth.http.forwarded import FORWARDED_HOST, forwarded_host, valid_host
from hearth.http.log_limit import LogLimiter
from hearth.http.network import IPAddress, normalize, peer_ip
from hearth.http.refusals import Refusal

if TYPE_CHECKING:
    from hearth.config.schema import HttpSection

_LOGGER = logging.getLogger(__name__)

WILDCARDS: Final = frozenset({IPv4Address(0), IPv6Address(0)})  # 0.0.0.0 and ::
_LOGGED_HOST: Final = 100  # characters of a refused Host that reach the log
_ADDRESS_MEMO: Final = 256
_ADDRESS_MEMO_TTL: Final = 60.0  # seconds; interfaces gain and lose addresses (DHCP)


KEY_ALLOWED_HOSTS: web.AppKey[AllowedHosts] = web.AppKey("hearth_allowed_hosts")


class HostNotAllowed(BadRequest):
    """The request names a host that is not this hub (400)."""


MISSING_HOST: Final = "The request has no Host header."
UNKNOWN_HOST: Final = (
    "This hub does not answer to that host name. If it is the hub's own name, add it to "
    "`allowed_hosts` under `http:` in configuration.yaml."
)
_NO_HOST: Final = Refusal(HostNotAllowed.status, MISSING_HOST)
_FOREIGN_HOST: Final = Refusal(HostNotAllowed.status, UNKNOWN_HOST)


def split_host(value: str) -> tuple[str, IPAddress | None] | None:
    """`host[:port]` as (lower-case name without trailing dot, address or None); None if bad."""
    if not valid_host(value):
        return None
    if value.startswith("["):
        literal = value[1:].partition("]")[0]
        return literal.lower(), normalize(ip_address(literal))
    name = value.rpartition(":")[0] if ":" in value else value
    name = name.lower().removesuffix(".")
    try:
        return name, normalize(ip_address(name))
    except ValueError:
        return name, None


def _assigned_here(address: IPAddress) -> bool:
    """Whether `address` belongs to this machine: binding to it succeeds only then."""
    family = socket.AF_INET6 if isinstance(address, IPv6Address) else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


_NO_NAMES: Final[list[str]] = []


def no_certificate_names() -> list[str]:
    """Without TLS: no certificate names (always the same list, so verdicts can be memoised)."""
    return _NO_NAMES


def machine_names() -> set[str]:
    """This machine's host name, and its mDNS name (`name.local`)."""
    names = {"localhost"}
    hostname = socket.gethostname().lower().removesuffix(".")
    if hostname:
        names.add(hostname)
        names.add(f"{hostname.partition('.')[0]}.local")
    return names


@dataclass
class AllowedHosts:
    """The names and addresses the hub answers to; `allows` is pure apart from a memo."""

    names: set[str] = field(default_factory=set)
    addresses: set[IPAddress] = field(default_factory=set)
    # Listening on 0.0.0.0 or ::: every address of this machine is one of the hub's.
    any_own_address: bool = False
    # The DNS names of the certificate now served: the same list until a renewal replaces it.
    certificate_names: Callable[[], list[str]] = no_certificate_names
    _memo: dict[IPAddress, tuple[bool, float]] = field(default_factory=dict)
    # Verdicts per Host value: nearly every request names the hub the same way.
    _verdicts: dict[str, tuple[bool, list[str], float]] = field(default_factory=dict)

    @classmethod
    def from_config(
        cls, http: HttpSection, certificate_names: Callable[[], list[str]] = no_certificate_names
    ) -> AllowedHosts:
        """server_host, allowed_hosts, localhost and the machine's names."""
        hosts = cls(names=machine_names(), certificate_names=certificate_names)
        hosts.add(http.server_host)
        hosts.add(http.allowed_hosts)
        if http.acme is not None:  # the names the certificate is ordered for (not wildcards)
            hosts.add(name for name in http.acme.domains if not name.startswith("*."))
        return hosts

    def add(self, hosts: Iterable[str]) -> None:
        """Names or address literals the hub answers to."""
        self._verdicts.clear()
        for host in hosts:
            try:
                address = normalize(ip_address(host))
            except ValueError:
                self.names.add(host.lower().removesuffix("."))
                continue
            if address in WILDCARDS:
                self.any_own_address = True
            else:
                self.addresses.add(address)

    def add_bound(self, bound: Iterable[tuple[str, int]]) -> None:
        """The addresses the server is listening on (HttpServer.bound)."""
        self.add(host for host, _port in bound)
        self._verdicts.clear()

    def allows(self, value: str) -> bool:
        """Whether a Host (or X-Forwarded-Host) value names this hub."""
        now = time.monotonic()
        names = self.certificate_names()
        found = self._verdicts.get(value)
        if found is not None and found[1] is names and now - found[2] < _ADDRESS_MEMO_TTL:
            return found[0]
        verdict = self._decide(value, names)
        if len(self._verdicts) >= _ADDRESS_MEMO:  # bounded, however many hosts are tried
            self._verdicts.clear()
        self._verdicts[value] = (verdict, names, now)
        return verdict

    def _decide(self, value: str, certificate_names: list[str]) -> bool:
        parsed = split_host(value)
        if parsed is None:
            return False
        name, address = parsed
        if address is None:
            return name in self.names or host_matches(name, certificate_names)
        if address.is_loopback or address in self.addresses:
            return True
        return self.any_own_address and self._own_address(address)

    def _own_address(self, address: IPAddress) -> bool:
        now = time.monotonic()
        found = self._memo.get(address)
        if found is not None and now - found[1] < _ADDRESS_MEMO_TTL:
            return found[0]
        result = _assigned_here(address)
        if len(self._memo) >= _ADDRESS_MEMO:  # bounded, however many addresses are tried
            self._memo.clear()
        self._memo[address] = (result, now)
        return result


def host_check(hosts: AllowedHosts) -> Callable[[web.Request], web.Response | None]:
    """400 for a request without Host or for a host that is not one of the hub's names."""
    warned = LogLimiter()

    def check_host(request: web.Request) -> web.Response | None:
        # Behind a trusted proxy that reports the original host, that host is what the client
        # used and what links are built from: it is the one checked (hearth.http.forwarded).
        value = forwarded_host(request)
        header = FORWARDED_HOST if value is not None else hdrs.HOST
        if value is None:
            value = request.headers.get(hdrs.HOST)
        if not value:
            # Without Host, aiohttp would make up one with a blocking reverse-DNS lookup.
            return _NO_HOST.response()
        if hosts.allows(value):
            return None
        # Threat: DNS rebinding. A foreign name means a page of another site is talking to the
        # hub through the victim's browser; nothing is served to it.
        peer = peer_ip(request)
        if warned.allow(peer):
            _LOGGER.warning(
                "Refused a request from %s for host %r (%s): not one of the hub's names; "
                "add it to http: allowed_hosts if it is",
                peer,
                value[:_LOGGED_HOST],
                header,
            )
        return _FOREIGN_HOST.response()

    return check_host
