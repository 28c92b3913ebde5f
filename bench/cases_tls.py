"""TLS cases: full handshakes per second per profile, and GET /api/ over a kept-alive TLS link."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import time

from bench import alternate, certs
from bench.alternate import Endpoint
from bench.context import TLS_INTERMEDIATE, TLS_MODERN, Bench, Case
from bench.hub import Hub
from bench.procs import LOOPBACK_V4
from bench.results import CaseResult

NO_TLS = "TLS (issue 5) not present"


def provision(bench: Bench) -> list[Hub]:
    """Certificates for both key types, and a hub per profile serving them."""
    directory = bench.root / "certs"
    directory.mkdir()
    kinds: tuple[certs.KeyKind, ...] = ("ecdsa", "rsa")
    for kind in kinds:
        bench.certificates[kind] = certs.write_pair(directory, kind)
    hubs = []
    for name, kind, profile in (
        (TLS_MODERN, "ecdsa", "modern"),
        (TLS_INTERMEDIATE, "rsa", "intermediate"),
    ):
        cert, key = bench.certificates[kind]
        extra = f"  ssl_certificate: {cert.name}\n  ssl_key: {key.name}\n  ssl_profile: {profile}\n"
        hubs.append(
            Hub.prepare(
                bench.template, bench.root, name, bench.settings.entities_small, extra, (cert, key)
            )
        )
    return hubs


def negotiated(port: int) -> str:
    """What a default client gets: protocol version and cipher suite."""
    context = _client_context()
    with (
        socket.create_connection((LOOPBACK_V4, port), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        cipher = tls.cipher()
        return f"{tls.version()} {cipher[0] if cipher else '?'}"


def _client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the bench's own self-signed certificate
    return context


def handshakes(port: int, seconds: float) -> float:
    """Full handshakes per second from `openssl s_time -new` (no session reuse).

    Below one second (the smoke run; s_time counts whole seconds) a Python loop does them.
    """
    if seconds < 1:
        context, count = _client_context(), 0
        began = time.perf_counter()
        while time.perf_counter() - began < seconds:
            with (
                socket.create_connection((LOOPBACK_V4, port), timeout=5) as raw,
                context.wrap_socket(raw),
            ):
                count += 1
        return count / (time.perf_counter() - began)
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed")
    began = time.perf_counter()
    done = subprocess.run(
        [openssl, "s_time", "-connect", f"{LOOPBACK_V4}:{port}", "-new", "-time",
         str(max(1, round(seconds)))],
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - began
    found = re.search(r"(\d+) connections in [\d.]+s", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"openssl s_time failed: {(done.stdout + done.stderr)[-500:]}")
    return int(found.group(1)) / elapsed


def _handshake_case(bench: Bench, result: CaseResult, hub_name: str, kind: str) -> None:
    if hub_name not in bench.hubs:
        result.not_available(NO_TLS)
        return
    ports = {"hearth": bench.hub(hub_name).port, "ceiling": bench.ceiling_tls_ports[kind]}
    # Half the usual run time: a few hundred full handshakes per run are plenty.
    seconds = bench.settings.seconds / 2 if bench.settings.seconds >= 2 else bench.settings.seconds
    if bench.settings.warmup:
        for port in ports.values():
            handshakes(port, bench.settings.warmup)
    runs = alternate.rounds(
        list(ports), bench.settings, lambda label: handshakes(ports[label], seconds)
    )
    alternate.paired(result, runs["hearth"], runs["ceiling"])
    result.note = (
        f"Hearth: {negotiated(ports['hearth'])}; ceiling: {negotiated(ports['ceiling'])} "
        "(Python's default server context, same certificate); client openssl s_time -new"
    )


def handshake_modern(bench: Bench, result: CaseResult) -> None:
    """ssl_profile: modern with an ECDSA P-256 certificate."""
    _handshake_case(bench, result, TLS_MODERN, "ecdsa")


def handshake_intermediate(bench: Bench, result: CaseResult) -> None:
    """ssl_profile: intermediate with an RSA 2048 certificate."""
    _handshake_case(bench, result, TLS_INTERMEDIATE, "rsa")


def api_over_tls(bench: Bench, result: CaseResult) -> None:
    """Authenticated GET /api/ on kept-alive TLS connections (modern profile)."""
    if TLS_MODERN not in bench.hubs:
        result.not_available(NO_TLS)
        return
    headers = {"Authorization": f"Bearer {bench.token}"}
    ours = Endpoint(
        "hearth", LOOPBACK_V4, bench.hub(TLS_MODERN).port, "/api/", 200, headers, tls=True
    )
    port = bench.ceiling_tls_ports["ecdsa"]
    theirs = Endpoint("ceiling", LOOPBACK_V4, port, "/api/", 200, tls=True)
    alternate.fill(result, alternate.load([theirs, ours], bench.settings, bench.pinning))


CASES = (
    Case("tls_handshake_modern", "8. TLS handshakes, modern, ECDSA P-256", "handshakes/s",
         handshake_modern),
    Case("tls_handshake_intermediate", "8. TLS handshakes, intermediate, RSA 2048",
         "handshakes/s", handshake_intermediate),
    Case("tls_api", "8. GET /api/ over kept-alive TLS (modern)", "req/s", api_over_tls),
)  # fmt: skip
