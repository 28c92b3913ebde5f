"""`reachability`: does the hub listen on a public address? From the bound addresses only:
interface addresses are read from /proc, and no packet leaves the machine."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from pathlib import Path

from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, Rule, Severity
from hearth.http.network import IPAddress

PUBLIC_ADDRESS = Rule(
    "host.public_address",
    Severity.INFO,
    "The hub listens on a public address",
    "Securing checklist: \"If you've forwarded any ports to your Home Assistant system from "
    'the Internet then it *will* be found by others."',
    "Listen on the home network's address only (`http: server_host: {suggestion}`), or block "
    "port {port} from the internet in a firewall",
)


def interface_addresses(proc: Path) -> list[IPAddress]:
    """This machine's addresses, from /proc/net/fib_trie (IPv4) and /proc/net/if_inet6."""
    found: list[IPAddress] = []
    try:
        last = None
        for line in (proc / "net" / "fib_trie").read_text().splitlines():
            text = line.strip()
            if text.startswith(("|--", "+--")):
                last = text.split()[1].split("/")[0]
            elif "/32 host LOCAL" in text and last is not None:
                found.append(ipaddress.IPv4Address(last))
    except (OSError, ValueError):
        pass
    try:
        for line in (proc / "net" / "if_inet6").read_text().splitlines():
            raw = line.split()[0]
            found.append(ipaddress.IPv6Address(":".join(raw[i : i + 4] for i in range(0, 32, 4))))
    except (OSError, ValueError, IndexError):
        pass
    return sorted(set(found), key=lambda a: (a.version, int(a)))


def bound_addresses(server_hosts: Iterable[str], interfaces: list[IPAddress]) -> list[IPAddress]:
    """The addresses the hub listens on: a wildcard stands for every interface of its family."""
    bound: list[IPAddress] = []
    for host in server_hosts:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            continue  # a name: resolving it could send traffic; not looked at
        if address.is_unspecified:
            bound.extend(a for a in interfaces if a.version == address.version)
        else:
            bound.append(address)
    return bound


def run(ctx: CheckContext) -> Iterator[Finding]:
    """A note for every public (globally routable) address the hub listens on."""
    http = ctx.config.http
    interfaces = interface_addresses(ctx.path("/proc"))
    bound = bound_addresses(http.server_host, interfaces)
    public = [str(a) for a in dict.fromkeys(bound) if a.is_global]
    if public:
        private = [a for a in interfaces if a.is_private and not a.is_loopback]
        suggestion = str(private[0]) if private else "192.168.1.10"
        yield PUBLIC_ADDRESS.found(
            f"listening on {', '.join(public)} port {http.server_port}"
            + ("" if http.remote_access else " (remote_access is off: outside clients get 403)"),
            suggestion=suggestion,
            port=http.server_port,
        )


CHECK = Check("reachability", "Public reachability", (PUBLIC_ADDRESS,), run)
