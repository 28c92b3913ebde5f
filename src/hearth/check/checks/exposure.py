"""`exposure`: who can reach the hub, and whom it believes about where a request comes from."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from urllib.parse import urlsplit

from hearth import const
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, Rule, Severity
from hearth.http.network import LOCAL_NETWORKS, IPNetwork

_SEED_REMOTE = "Securing checklist, remote access"
_WILDCARDS = frozenset({"0.0.0.0", "::"})  # noqa: S104 - names of the wildcard addresses

PLAIN_PORT_OPEN = Rule(
    "exposure.plain_http_everywhere",
    Severity.WARN,
    "Remote access through a proxy, but the hub's plain-HTTP port listens on every interface",
    _SEED_REMOTE + ': "Use a proxy."',
    "Let the hub listen only where the proxy connects from: `http: server_host: 127.0.0.1` "
    "when the proxy runs on this machine",
)
REMOTE_WITHOUT_MFA = Rule(
    "exposure.remote_without_mfa",
    Severity.FAIL,
    "Remote access without MFA for remote logins",
    _SEED_REMOTE + ' (a password alone "is simply a matter of time"); NIST SP 800-63B AAL2',
    "Set `auth: mfa_required: remote` (or `all`) in configuration.yaml",
)
TRUSTED_LOOPBACK = Rule(
    "exposure.trusted_loopback",
    Severity.WARN,
    "trusted_networks lets loopback log in without a password",
    _SEED_REMOTE + ': "Use a SSH tunnel", "Protect your communication with Tor": anything '
    "tunnelled or proxied on this machine arrives from loopback",
    "Remove 127.0.0.0/8 and ::1 from `auth: trusted_networks`",
)
TRUSTED_NOT_LOCAL = Rule(
    "exposure.trusted_not_local",
    Severity.FAIL,
    "trusted_networks lets a non-local network log in without a password",
    _SEED_REMOTE + ': "Enable IP Filtering"',
    "Remove {network} from `auth: trusted_networks`; list only your own home networks",
)
FORWARDED_UNUSED = Rule(
    "exposure.forwarded_unused",
    Severity.WARN,
    "trusted_proxies is set but use_x_forwarded_for is off",
    _SEED_REMOTE + ': "Use a proxy" (done right: the hub must see the real client)',
    "Set `http: use_x_forwarded_for: true`, or remove `trusted_proxies` if there is no proxy",
)
PROXY_NOT_LOCAL = Rule(
    "exposure.proxy_not_local",
    Severity.FAIL,
    "A trusted proxy network includes addresses outside the local networks",
    _SEED_REMOTE + ': "Use a proxy"; anyone in a trusted proxy network can claim any address',
    "List only the proxy's own address in `http: trusted_proxies` (not {network})",
)
CORS_NOT_HTTPS = Rule(
    "exposure.cors_not_https",
    Severity.WARN,
    "A CORS origin is not https",
    _SEED_REMOTE + ': "Protect your communication with TLS/SSL"',
    "Serve that page over HTTPS and list it as https://… in `http: cors_allowed_origins`, or "
    "remove {origin}",
)
BANS_DISABLED = Rule(
    "exposure.bans_disabled",
    Severity.WARN,
    "IP bans are off",
    _SEED_REMOTE + ': "Enable IP Filtering and configure a low Login Attempts Threshold"',
    "Remove `http: ip_ban_enabled: false` (bans are on by default)",
)
BAN_THRESHOLD_HIGH = Rule(
    "exposure.ban_threshold_high",
    Severity.WARN,
    "The login attempts threshold is high",
    _SEED_REMOTE + ': "configure a low Login Attempts Threshold"',
    f"Set `http: login_attempts_threshold` to {const.CHECK_MAX_BAN_THRESHOLD} or less (the "
    f"default is {const.IP_BAN_THRESHOLD})",
)


def is_local_network(network: IPNetwork, extra: tuple[IPNetwork, ...] = ()) -> bool:
    """Whether every address of `network` lies in a local network."""
    return any(
        network.version == local.version and network.subnet_of(local)  # type: ignore[arg-type]
        for local in (*LOCAL_NETWORKS, *extra)
    )


def _loopback(network: IPNetwork) -> bool:
    return (
        network.overlaps(ipaddress.ip_network("127.0.0.0/8"))
        if network.version == 4
        else (ipaddress.ip_address("::1") in network)
    )


def _is_loopback_origin(origin: str) -> bool:
    host = (urlsplit(origin).hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Listening addresses, remote access, trusted networks and proxies, CORS and bans."""
    http, auth = ctx.config.http, ctx.config.auth
    own_tls = http.acme is not None or (
        http.ssl_certificate is not None and http.ssl_key is not None
    )
    behind_proxy = http.use_x_forwarded_for and bool(http.trusted_proxies)
    extra = tuple(ipaddress.ip_network(net) for net in http.local_networks)
    if http.remote_access:
        if not own_tls and behind_proxy and _WILDCARDS & set(http.server_host):
            yield PLAIN_PORT_OPEN.found(
                f"server_host is {', '.join(http.server_host)} with remote_access on and no TLS "
                "of the hub's own"
            )
        if auth.mfa_required not in ("remote", "all"):
            policy = auth.mfa_required or "not set"
            yield REMOTE_WITHOUT_MFA.found(
                f"remote_access is on and auth: mfa_required is {policy}"
            )
    for index, entry in enumerate(auth.trusted_networks):
        for text in entry.networks:
            network = ipaddress.ip_network(text)
            where = f"auth.trusted_networks[{index}]: {network} (users: {', '.join(entry.users)})"
            if _loopback(network):
                yield TRUSTED_LOOPBACK.found(where)
            elif not is_local_network(network, extra):
                yield TRUSTED_NOT_LOCAL.found(where, network=network)
    if http.trusted_proxies and not http.use_x_forwarded_for:
        yield FORWARDED_UNUSED.found(
            f"trusted_proxies lists {', '.join(http.trusted_proxies)}; every client then looks "
            "like the proxy"
        )
    for text in http.trusted_proxies:
        network = ipaddress.ip_network(text)
        if not is_local_network(network, extra):
            yield PROXY_NOT_LOCAL.found(f"http.trusted_proxies: {network}", network=network)
    for origin in http.cors_allowed_origins:
        if not origin.startswith("https://") and not _is_loopback_origin(origin):
            yield CORS_NOT_HTTPS.found(f"http.cors_allowed_origins: {origin}", origin=origin)
    if not http.ip_ban_enabled:
        yield BANS_DISABLED.found("http: ip_ban_enabled is false")
    elif http.login_attempts_threshold > const.CHECK_MAX_BAN_THRESHOLD:
        yield BAN_THRESHOLD_HIGH.found(
            f"http: login_attempts_threshold is {http.login_attempts_threshold}"
        )


CHECK = Check(
    "exposure",
    "Network exposure",
    (
        PLAIN_PORT_OPEN,
        REMOTE_WITHOUT_MFA,
        TRUSTED_LOOPBACK,
        TRUSTED_NOT_LOCAL,
        FORWARDED_UNUSED,
        PROXY_NOT_LOCAL,
        CORS_NOT_HTTPS,
        BANS_DISABLED,
        BAN_THRESHOLD_HIGH,
    ),
    run,
)
