"""`probe` (`hearth check --probe`): ask the running hub, on its own address, what it sends.

Only the machine's own addresses are contacted (loopback when the hub listens there). No
credentials are sent, so nothing here can count toward a ban; the certificate is not verified,
since it is our own hub being looked at, not trusted with anything.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity
from hearth.config.schema import HttpSection
from hearth.http.tls.profiles import TLS12_SUITES

_SEED_BANNER = 'Security page: "Server banner" (the fingerprint of an instance)'
TIMEOUT: Final = 5.0
HSTS_MIN_AGE: Final = 31_536_000  # one year, the HSTS preload list's minimum

SERVER_BANNER = Rule(
    "probe.server_banner",
    Severity.WARN,
    "The hub announces its software",
    _SEED_BANNER,
    "Remove whatever adds the `Server` header (a proxy in front? `server_tokens off;` in nginx)",
)
MISSING_HEADERS = Rule(
    "probe.missing_headers",
    Severity.WARN,
    "Security headers are missing",
    "OWASP Secure Headers Project; Mozilla Observatory",
    "Hearth sends them itself; a proxy in front must pass them through (nginx: do not use "
    "`proxy_hide_header` for them)",
)
NO_HSTS = Rule(
    "probe.no_hsts",
    Severity.WARN,
    "HTTPS without HSTS",
    "RFC 6797; Mozilla Server Side TLS (HSTS for at least a year)",
    "Hearth sends `Strict-Transport-Security: max-age=63072000` over TLS; check what sits in "
    "front of it",
)
TLS_PROFILE = Rule(
    "probe.tls_profile",
    Severity.FAIL,
    "The hub's TLS does not match its profile",
    'Security page: "Mozilla\'s Operations Security team recommendations"; Mozilla Server Side '
    "TLS 5.7",
    "Run the hub with Hearth's own TLS (http: ssl_certificate, ssl_key, ssl_profile), not "
    "behind a TLS terminator with weaker settings",
)
API_OPEN = Rule(
    "probe.api_open",
    Severity.FAIL,
    "The API answers without a token",
    'Securing checklist: "If you fail to set a password then it is simply a matter of time '
    'before somebody finds your system"',
    "Something between you and the hub answers /api/ without authentication: check proxies "
    "and port forwards for this port",
    critical=True,
)

_MAX_AGE: Final = re.compile(r"max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Response:
    """What one request got back."""

    status: int
    headers: Mapping[str, str]  # lower-case names


def target(http_section: HttpSection) -> str | None:
    """The address to reach the hub on: loopback when it listens there, else its own address."""
    addresses = []
    for host in http_section.server_host:
        try:
            addresses.append(ipaddress.ip_address(host))
        except ValueError:
            continue
    for address in addresses:
        if address.version == 4 and (address.is_unspecified or address.is_loopback):
            return "127.0.0.1"
    for address in addresses:
        if address.version == 6 and (address.is_unspecified or address.is_loopback):
            return "::1"
    return str(addresses[0]) if addresses else None


def grade_response(response: Response, *, tls: bool, frame_options: bool) -> Iterator[Finding]:
    """Findings about an unauthenticated `GET /api/` (pure)."""
    headers = response.headers
    if response.status != 401:
        yield API_OPEN.found(f"GET /api/ without a token got {response.status}, not 401")
    banner = headers.get("server", "").strip()
    if banner:
        yield SERVER_BANNER.found(f"Server: {banner[:80]}")
    missing = []
    if headers.get("x-content-type-options", "").lower() != "nosniff":
        missing.append("X-Content-Type-Options: nosniff")
    if not headers.get("referrer-policy"):
        missing.append("Referrer-Policy")
    csp = headers.get("content-security-policy", "")
    if not csp:
        missing.append("Content-Security-Policy")
    if frame_options and "frame-ancestors" not in csp and not headers.get("x-frame-options"):
        missing.append("X-Frame-Options or CSP frame-ancestors")
    if missing:
        yield MISSING_HEADERS.found(f"GET /api/ lacks {', '.join(missing)}")
    if tls:
        match = _MAX_AGE.search(headers.get("strict-transport-security", ""))
        if match is None:
            yield NO_HSTS.found("no Strict-Transport-Security header over HTTPS")
        elif int(match.group(1)) < HSTS_MIN_AGE:
            yield NO_HSTS.found(f"Strict-Transport-Security max-age is only {match.group(1)}")


def _client(
    maximum: ssl.TLSVersion, minimum: ssl.TLSVersion, ciphers: str | None
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Our own hub: no credentials are sent, so its identity needs no proof here.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = minimum
    context.maximum_version = maximum
    if ciphers is not None:
        context.set_ciphers(ciphers)
    return context


def handshake(host: str, port: int, context: ssl.SSLContext) -> tuple[str, str] | None:
    """(protocol, cipher) the hub agreed to with `context`, or None when it refused."""
    try:
        with (
            socket.create_connection((host, port), timeout=TIMEOUT) as raw,
            context.wrap_socket(raw) as tls,
        ):
            cipher = tls.cipher()
            return str(tls.version()), cipher[0] if cipher else "?"
    except (ssl.SSLError, OSError):
        return None


def grade_tls(profile: str, attempts: Mapping[str, tuple[str, str] | None]) -> Iterator[Finding]:
    """Findings about handshakes made with `attempts`' client settings (pure).

    Keys: `best` (any version), `tls12` (TLS 1.2 only), `tls12_weak` (TLS 1.2 with CBC or
    non-ECDHE suites only).
    """
    best, tls12, weak = attempts.get("best"), attempts.get("tls12"), attempts.get("tls12_weak")
    if best is None:
        yield TLS_PROFILE.found("no TLS handshake succeeded")
        return
    if best[0] != "TLSv1.3":
        yield TLS_PROFILE.found(f"the best handshake was {best[0]}, not TLS 1.3")
    if profile == "modern" and tls12 is not None:
        yield TLS_PROFILE.found(f"ssl_profile modern, yet TLS 1.2 was accepted ({tls12[1]})")
    if profile == "intermediate" and tls12 is None:
        yield TLS_PROFILE.found("ssl_profile intermediate, yet TLS 1.2 was refused")
    if profile == "intermediate" and tls12 is not None and tls12[1] not in TLS12_SUITES:
        yield TLS_PROFILE.found(f"TLS 1.2 agreed on {tls12[1]}, outside the intermediate suites")
    if weak is not None:
        yield TLS_PROFILE.found(f"a TLS 1.2 client offering only weak suites got {weak[1]}")


def request(host: str, port: int, context: ssl.SSLContext | None) -> Response:
    """GET /api/ without credentials."""
    connection: http.client.HTTPConnection
    if context is None:
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    else:
        connection = http.client.HTTPSConnection(host, port, timeout=TIMEOUT, context=context)
    try:
        connection.request("GET", "/api/", headers={"Accept": "application/json"})
        reply = connection.getresponse()
        reply.read(64 * 1024)
        return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()})
    finally:
        connection.close()


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Request the hub's own URL and grade headers, authentication and TLS."""
    http_section = ctx.config.http
    host = target(http_section)
    if host is None:
        raise NotChecked("not checked: server_host lists only names; the probe needs an address")
    port = http_section.server_port
    tls = http_section.ssl_certificate is not None or http_section.acme is not None
    shown = f"[{host}]" if ":" in host else host
    url = f"{'https' if tls else 'http'}://{shown}:{port}/api/"
    best = ssl.TLSVersion.MAXIMUM_SUPPORTED
    try:
        response = request(host, port, _client(best, ssl.TLSVersion.TLSv1_2, None) if tls else None)
    except (OSError, http.client.HTTPException) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else type(err).__name__
        raise NotChecked(
            f"not checked: nothing answers on {url} ({reason}); is the hub running?"
        ) from None
    yield from grade_response(response, tls=tls, frame_options=http_section.use_x_frame_options)
    if tls:
        v12 = ssl.TLSVersion.TLSv1_2
        attempts = {
            "best": handshake(host, port, _client(best, v12, None)),
            "tls12": handshake(host, port, _client(v12, v12, None)),
            "tls12_weak": handshake(
                host,
                port,
                _client(v12, v12, "AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"),
            ),
        }
        yield from grade_tls(http_section.ssl_profile, attempts)


CHECK = Check(
    "probe",
    "Probe of the running hub",
    (SERVER_BANNER, MISSING_HEADERS, NO_HSTS, TLS_PROFILE, API_OPEN),
    run,
    fast=False,
    on_request=True,
)
