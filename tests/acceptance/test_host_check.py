"""The Host check against the real hub, with raw requests: only the hub's own names are served.

DNS rebinding: a page on rebind.attacker.example makes its name resolve to the hub. The browser
then treats the hub as that page's own origin, so it can read every answer and, on a trusted
network, log in without a password. Before the Host check it got an owner token this way.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from typing import Any

import pytest

from tests.acceptance.support import HOST, HubFactory, RunningHub

pytestmark = pytest.mark.acceptance

TRUSTED_LOOPBACK = (
    "auth:\n  trusted_networks:\n    - networks: [127.0.0.0/8]\n      users: [admin]\n"
)
PROXY = "  use_x_forwarded_for: true\n  trusted_proxies: [127.0.0.1]\n"


def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, dict[str, Any] | str]:
    """One request exactly as written (`head` without the final blank line); status and body."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\nConnection: close\r\n\r\n" + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    payload = rest.partition(b"\r\n\r\n")[2]
    try:
        return int(status_line.split()[1]), json.loads(payload)
    except ValueError:
        return int(status_line.split()[1]), payload.decode("utf-8", "replace")


def api_status(hub: RunningHub, host: str | None, version: str = "HTTP/1.1") -> int:
    host_line = "" if host is None else f"\r\nHost: {host}"
    status, _ = raw_request(
        hub.port, f"GET /api/ {version}{host_line}\r\nAuthorization: Bearer {hub.token}"
    )
    return status


def _own_names_are_served(hub: RunningHub) -> None:
    port = hub.port
    hostname = socket.gethostname()
    own = [
        f"127.0.0.1:{port}",  # the bound address
        "127.0.0.1",
        f"localhost:{port}",
        "LocalHost",  # mixed case
        "localhost.",  # trailing dot
        f"LOCALHOST.:{port}",
        f"[::1]:{port}",  # an IPv6 literal with a port (loopback)
        "[::1]",
        hostname,
        f"{hostname.upper()}:{port}",
        f"{hostname.partition('.')[0]}.local:{port}",
    ]
    statuses = {host: api_status(hub, host) for host in own}
    assert statuses == dict.fromkeys(own, 200)


def _foreign_and_malformed_hosts_get_400_naming_the_setting(hub: RunningHub) -> None:
    port = hub.port
    foreign = [
        "rebind.attacker.example",
        f"rebind.attacker.example:{port}",
        "127.0.0.1.attacker.example",
        "localhost.attacker.example",
        "attacker.example#@localhost",
        "localhost@attacker.example",
        "192.0.2.1",  # an address that is not the hub's
        "[2001:db8::1]:8123",
        "[::1",  # malformed literals and ports
        "::1",
        "localhost:99999",
        "localhost:",
        "127.1",
        "0x7f000001",
        "",
    ]
    answers = {}
    for host in foreign:
        status, body = raw_request(
            port, f"GET /api/ HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {hub.token}"
        )
        answers[host] = status
        if status == 400 and host:
            assert isinstance(body, dict)
            assert "allowed_hosts" in body["message"], body
    assert answers == dict.fromkeys(foreign, 400)
    # Without any Host: HTTP/1.1 requires one; an HTTP/1.0 request without it is refused too.
    assert api_status(hub, None) == 400
    assert api_status(hub, None, "HTTP/1.0") == 400
    # One warning per client address, not one per refused request.
    assert hub.log().count("not one of the hub's names") == 1


def _allowed_hosts_extends_the_names(hub: RunningHub) -> None:
    assert api_status(hub, "HUB.Example.COM.:443") == 200
    assert api_status(hub, "192.0.2.7:8123") == 200
    assert api_status(hub, "other.example.com") == 400
    assert api_status(hub, "example.com") == 400


def _trusted_login(hub: RunningHub, host: str) -> tuple[int, Any]:
    """A password-less login as a page at http://<host> would do it: flow, user, code, token."""
    origin = f"http://{host}"
    begin = json.dumps(
        {
            "client_id": f"{origin}/",
            "handler": ["trusted_networks", None],
            "redirect_uri": f"{origin}/?auth_callback=1",
        }
    ).encode()
    json_head = f"Host: {host}\r\nOrigin: {origin}\r\nContent-Type: application/json"
    status, flow = raw_request(
        hub.port,
        f"POST /auth/login_flow HTTP/1.1\r\n{json_head}\r\nContent-Length: {len(begin)}",
        begin,
    )
    if status != 200:
        return status, flow
    assert isinstance(flow, dict), flow
    user_id = flow["data_schema"][0]["options"][0][0]
    step = json.dumps({"client_id": f"{origin}/", "user": user_id}).encode()
    status, done = raw_request(
        hub.port,
        f"POST /auth/login_flow/{flow['flow_id']} HTTP/1.1\r\n{json_head}\r\n"
        f"Content-Length: {len(step)}",
        step,
    )
    assert status == 200, done
    assert isinstance(done, dict), done
    form = urllib.parse.urlencode(
        {"grant_type": "authorization_code", "client_id": f"{origin}/", "code": done["result"]}
    ).encode()
    return raw_request(
        hub.port,
        f"POST /auth/token HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}",
        form,
    )


def test_dns_rebinding_gets_no_password_less_token(hub_factory: HubFactory) -> None:
    hub = hub_factory(extra_config=TRUSTED_LOOPBACK)
    status, body = _trusted_login(hub, f"rebind.attacker.example:{hub.port}")
    assert status == 400, body
    assert isinstance(body, dict)
    assert "access_token" not in body
    # The same login by the hub's own name works: the refusal is the Host, nothing else.
    status, body = _trusted_login(hub, f"127.0.0.1:{hub.port}")
    assert status == 200, body
    assert isinstance(body, dict)
    assert "access_token" in body


def _behind_a_proxy_the_forwarded_host_is_checked(hub: RunningHub) -> None:
    head = (
        f"GET /api/ HTTP/1.1\r\nAuthorization: Bearer {hub.token}\r\n"
        "X-Forwarded-For: 192.168.1.20\r\n"
    )
    checks = {
        "Host: 127.0.0.1\r\nX-Forwarded-Host: rebind.attacker.example": 400,
        "Host: 127.0.0.1\r\nX-Forwarded-Host: localhost:8443": 200,
        # The proxy's own Host does not matter when it reports the client's.
        "Host: upstream.internal\r\nX-Forwarded-Host: localhost": 200,
        "Host: rebind.attacker.example": 400,
        "Host: localhost": 200,
    }
    statuses = {lines: raw_request(hub.port, head + lines)[0] for lines in checks}
    assert statuses == checks


def _links_are_built_from_the_checked_host_only(hub: RunningHub) -> None:
    status, page = raw_request(hub.port, f"GET /onboarding HTTP/1.1\r\nHost: localhost:{hub.port}")
    assert status == 200
    assert f"http://localhost:{hub.port}/" in str(page)
    status, page = raw_request(hub.port, "GET /onboarding HTTP/1.1\r\nHost: attacker.example")
    assert status == 400
    assert "attacker.example" not in str(page)


def test_only_the_hubs_own_names_are_served(hub: RunningHub) -> None:
    _own_names_are_served(hub)
    _foreign_and_malformed_hosts_get_400_naming_the_setting(hub)
    _links_are_built_from_the_checked_host_only(hub)


def test_allowed_hosts_and_the_proxys_forwarded_host(hub_factory: HubFactory) -> None:
    hub = hub_factory(http_extra=PROXY + "  allowed_hosts: [hub.example.com, 192.0.2.7]\n")
    _allowed_hosts_extends_the_names(hub)
    _behind_a_proxy_the_forwarded_host_is_checked(hub)
