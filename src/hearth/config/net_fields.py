"""Field types of the network keys in `http:` (local networks, proxies, CORS origins)."""

from __future__ import annotations

import ipaddress
import string
from typing import Annotated, Any, Final

from pydantic import AfterValidator

from hearth.config import net_rules

# Messages never contain the value: it may come from secrets.yaml. The error names key and line.
_HOST_CHARACTERS: Final = frozenset(string.ascii_lowercase + string.digits + "-.")
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}


def one_is_a_list(value: Any) -> Any:
    """Accept a single value where a list is expected, as Home Assistant does."""
    return [value] if isinstance(value, str) else value


def _network(value: str) -> str:
    """Accept an address or a network in CIDR notation with the host bits zero."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=True))
    except ValueError:
        raise ValueError(
            "expected an address or a network such as 192.168.1.0/24 or fd00::/64 "
            "(with the host bits zero)"
        ) from None


def _is_host(host: str) -> bool:
    """A DNS name, an IPv4 address or a bracketed IPv6 address (already lower-cased)."""
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    labels = host.split(".")
    return (
        0 < len(host) <= 253
        and set(host) <= _HOST_CHARACTERS
        and all(
            0 < len(label) <= 63 and not label.startswith("-") and not label.endswith("-")
            for label in labels
        )
    )


def _origin(value: str) -> str:
    """Accept an exact origin, `scheme://host[:port]`, and write it as browsers send it."""
    problem = "expected an origin such as https://example.com or http://192.168.1.5:8080"
    if "*" in value:
        raise ValueError(f"{problem}; wildcards are not allowed, list each origin")
    scheme, separator, rest = value.strip().lower().partition("://")
    if not separator or scheme not in _DEFAULT_PORTS or not rest:
        raise ValueError(problem)
    if any(mark in rest for mark in "/?#@\\ "):
        raise ValueError(f"{problem} (no path, query or user name)")
    host, port = rest, ""
    if ":" in rest and not rest.endswith("]"):
        host, _, port = rest.rpartition(":")
        if not (0 < len(port) <= 5 and port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(problem)
        port = str(int(port))
    if not _is_host(host):
        raise ValueError(problem)
    if port and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def check_use_x_forwarded_for(value: bool, trusted_proxies: Any) -> bool:
    """`use_x_forwarded_for` without `trusted_proxies` would trust nobody (or, worse, anybody)."""
    # None: trusted_proxies itself was invalid, and that error is the one to report.
    if value and trusted_proxies is not None and not trusted_proxies:
        raise ValueError(
            "use_x_forwarded_for needs trusted_proxies: list the address of your reverse proxy"
        )
    return value


NetworkEntry = Annotated[str, AfterValidator(_network)]
ProxyEntry = Annotated[NetworkEntry, AfterValidator(net_rules.check_proxy)]
LocalNetworkEntry = Annotated[NetworkEntry, AfterValidator(net_rules.check_local_network)]
Origin = Annotated[str, AfterValidator(_origin)]
