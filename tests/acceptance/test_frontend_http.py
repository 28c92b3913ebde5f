"""The frontend's files on the running hub, attacked through a raw socket (nothing normalises
the targets on the way), and requests to its public routes never counting toward a ban."""

from __future__ import annotations

import pytest

from tests.acceptance.support import (
    USERNAME,
    HubFactory,
    RunningHub,
    assert_serving,
    raw_exchange,
    request,
)

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
