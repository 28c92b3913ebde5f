"""The frontend's files on the running hub, attacked through a raw socket (nothing normalises
the targets on the way), and requests to its public routes never counting toward a ban."""

from __future__ import annotations

import socket
import ssl
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearth.frontend.ha_index import package_root
from tests.acceptance.support import (
    USERNAME,
    HubFactory,
    RunningHub,
    assert_serving,
    free_port,
    raw_exchange,
    request,
)
from tests.acceptance.support_tls import TlsHub, prepare_config, start_tls_hub

pytestmark = pytest.mark.acceptance

TRAVERSALS = [
    "/static/../../hearth.db",
    "/static/../configuration.yaml",
    "/frontend_latest/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/hearth.db",
    "/static/..%2f..%2f..%2fconfiguration.yaml",
    "/static/%252e%252e/%252e%252e/configuration.yaml",
    "/static/..\\..\\configuration.yaml",
    "/static/icons/../../../__init__.py",
    "/frontend_es5/..;/..;/index.html",
    "/static//etc/passwd",
    "/static/.%2e/.%2e/configuration.yaml",
    "/sw-modern.js/../configuration.yaml",
]


def test_path_traversal_cannot_leave_the_frontend_package(hub: RunningHub) -> None:
    for target in TRAVERSALS:
        head = f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        reply = raw_exchange(hub.port, head.encode())
        assert reply.status in (400, 404), (target, reply.status)
        for leaked in (b"server_port", b"SQLite format", b"root:", b"import ", b"<home-"):
            assert leaked not in reply.body, target
    # No directory listings either.
    for target in ("/static/", "/static/icons/", "/frontend_latest/", "/frontend_es5/"):
        assert request(hub, "GET", target).status == 404, target


def test_frontend_routes_never_count_toward_a_ban(hub_factory: HubFactory) -> None:
    """Wrong tokens sent to public routes and 404s there: far past the threshold, no ban."""
    hub = hub_factory(http_extra="  login_attempts_threshold: 3\n")
    bad = {"Authorization": "Bearer not-a-token"}
    for index in range(12):
        path = ("/", "/lovelace/0", "/static/missing.png", "/frontend_latest/x.js")[index % 4]
        status = request(hub, "GET", path, headers=bad).status
        assert status in (200, 302, 404), (path, status)
    assert_serving(hub)
    assert "Banned" not in hub.log()
    assert f"Login failed for user '{USERNAME}'" not in hub.log()


@pytest.fixture
def tls_hub(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[TlsHub]:
    """A demo hub serving HTTPS; stopped (and its log checked) however the test ends."""
    template, token = hub_template
    config_dir = tmp_path / "config"
    port = free_port()
    prepare_config(template, config_dir, port)
    hub = start_tls_hub(config_dir, port, token, tmp_path / "hub.log")
    try:
        yield hub
    finally:
        hub.hub.stop()
    hub.hub.assert_clean_log()


def test_clients_leaving_mid_file_over_tls_leave_no_error(tls_hub: TlsHub) -> None:
    """asyncio's sendfile fallback on a TLS connection fails (AttributeError, a traceback per
    request) when the client goes away in the middle of a file; the frontend's files must not
    take that path."""
    big = max(
        (package_root() / "frontend_latest").glob("*.js"), key=lambda path: path.stat().st_size
    )
    context = ssl.create_default_context(cafile=str(tls_hub.ca))
    head = (
        f"GET /frontend_latest/{big.name} HTTP/1.1\r\nHost: localhost\r\n"
        "Accept-Encoding: identity\r\n\r\n"
    ).encode()
    for _ in range(5):
        raw = socket.create_connection(("127.0.0.1", tls_hub.port), timeout=5)
        tls = context.wrap_socket(raw, server_hostname="localhost")
        tls.sendall(head)
        assert tls.recv(4096).startswith(b"HTTP/1.1 200")
        # Leave abruptly: a reset, with most of the file still to come.
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        tls.close()
    time.sleep(1.0)
    assert_serving_tls(tls_hub)


def assert_serving_tls(tls_hub: TlsHub) -> None:
    context = ssl.create_default_context(cafile=str(tls_hub.ca))
    with (
        socket.create_connection(("127.0.0.1", tls_hub.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert tls.recv(4096).startswith(b"HTTP/1.1 200")
