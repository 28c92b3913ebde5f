"""The real hub: local network only by default, remote access only when safe, headers, filter."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.acceptance.nginx import NginxFactory, through
from tests.acceptance.support import (
    RUN,
    HttpReply,
    HubFactory,
    assert_error_shape,
    assert_no_banner,
    free_port,
    hearth,
    port_open,
    raw_exchange,
    request,
    write_config,
)
from tests.http.test_security_filter import ATTACKS

pytestmark = pytest.mark.acceptance

BEHIND_NGINX = "  use_x_forwarded_for: true\n  trusted_proxies: [127.0.0.1]\n"
PUBLIC = {"X-Forwarded-For": "203.0.113.5"}  # sent by the test client on 127.0.0.1: an outer proxy

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def assert_security_headers(reply: HttpReply, *, via_nginx: bool = False) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers.get(name) == value, (name, reply)
    assert "frame-ancestors 'self'" in reply.headers["content-security-policy"], reply
    assert "camera=()" in reply.headers["permissions-policy"], reply
    assert "access-control-allow-origin" not in reply.headers, reply
    if not via_nginx:  # nginx always names itself in `Server`; the hub's own header is empty
        assert_no_banner(reply)


def test_remote_access_without_encryption_refuses_to_start(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> None:
    config_dir = tmp_path / "config"
    shutil.copytree(hub_template[0], config_dir)
    port = free_port()
    write_config(config_dir, port, http_extra="  remote_access: true\n")
    result = hearth(config_dir, *RUN)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "Error: configuration.yaml, line 9: http.remote_access: remote access needs encryption: "
        "serve TLS (set ssl_certificate and ssl_key) or put a TLS-terminating reverse proxy in "
        "front "
        "(set use_x_forwarded_for: true and trusted_proxies), or turn remote_access off"
    ], result.stderr
    assert not port_open(port)


def test_public_clients_are_refused_while_remote_access_is_off(
    hub_factory: HubFactory, nginx_factory: NginxFactory
) -> None:
    hub = hub_factory(http_extra=BEHIND_NGINX)
    proxy = nginx_factory(hub.port)
    refused = through(proxy, "/api/", token=hub.token, headers=PUBLIC)
    message = assert_error_shape(refused, 403)
    assert "`remote_access: true`" in message
    assert_security_headers(refused, via_nginx=True)
    assert "Refused a request from 203.0.113.5: not on a local network" in hub.log()
    # The WebSocket is behind the same guard.
    ws = through(
        proxy,
        "/api/websocket",
        headers={**PUBLIC, "Upgrade": "websocket", "Connection": "Upgrade"},
    )
    assert ws.status == 403
    # A LAN address reported by the same proxy is served.
    lan = through(proxy, "/api/", token=hub.token, headers={"X-Forwarded-For": "192.168.1.20"})
    assert lan.status == 200, lan


def test_public_clients_are_served_with_remote_access_through_the_proxy(
    hub_factory: HubFactory, nginx_factory: NginxFactory
) -> None:
    hub = hub_factory(http_extra=BEHIND_NGINX + "  remote_access: true\n")
    proxy = nginx_factory(hub.port)
    reply = through(proxy, "/api/", token=hub.token, headers=PUBLIC)
    assert reply.status == 200, reply
    assert_security_headers(reply, via_nginx=True)


def test_extra_local_networks(hub_factory: HubFactory, nginx_factory: NginxFactory) -> None:
    hub = hub_factory(http_extra=BEHIND_NGINX + "  local_networks: [203.0.113.0/24]\n")
    proxy = nginx_factory(hub.port)
    assert through(proxy, "/api/", token=hub.token, headers=PUBLIC).status == 200
    other = through(proxy, "/api/", token=hub.token, headers={"X-Forwarded-For": "198.51.100.1"})
    assert other.status == 403


def test_security_headers_on_every_status(
    hub_factory: HubFactory, nginx_factory: NginxFactory
) -> None:
    hub = hub_factory(http_extra=BEHIND_NGINX)
    proxy = nginx_factory(hub.port)
    replies = {
        200: request(hub, "GET", "/api/", token=hub.token),
        401: request(hub, "GET", "/api/"),
        # Straight from 127.0.0.1, the trusted proxy's address: no nginx `Server` header.
        403: request(hub, "GET", "/api/", token=hub.token, headers=PUBLIC),
        404: request(hub, "GET", "/api/no/such/thing", token=hub.token),
        400: request(hub, "GET", "/api/%2e%2e/etc/passwd"),
    }
    forged = raw_exchange(
        hub.port, b"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ,,\r\n\r\n"
    )
    for status, reply in [*replies.items(), (400, forged)]:
        assert reply.status == status, reply
        assert_security_headers(reply)
    via_nginx = through(proxy, "/api/", token=hub.token)
    assert via_nginx.status == 200
    assert_security_headers(via_nginx, via_nginx=True)


def test_attack_corpus_against_the_real_hub(hub_factory: HubFactory) -> None:
    hub = hub_factory()
    problems = {}
    for name, (target, _) in ATTACKS.items():
        reply = raw_exchange(hub.port, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        if reply.status != 400 or target in reply.body:
            problems[name] = reply
    assert not problems, problems
    assert request(hub, "GET", "/api/", token=hub.token).status == 200


def test_long_target_is_refused_quickly(hub_factory: HubFactory) -> None:
    hub = hub_factory()
    for target in (b"/api/" + b"a" * 25_000, b"/" + b"%2e%2e/" * 3_600, b"/" + b"%25" * 8_300):
        started = time.monotonic()
        reply = raw_exchange(hub.port, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert reply.status == 400, reply
        assert time.monotonic() - started < 1.0
    assert request(hub, "GET", "/api/", token=hub.token).status == 200
