"""Cross-site requests against the real hub: refused, and never counted as failed logins.

A page on another site can make a household browser post to the hub. Before the check, seven
such posts with a wrong password banned the household device (the browser's own address) for
an hour, and a page inside the home could guess passwords with the victim's address.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Callable

import pytest

from tests.acceptance.support import HOST, PASSWORD, USERNAME, RunningHub, request

pytestmark = pytest.mark.acceptance

DEVICE = "127.0.0.40"  # the household browser the attacker's page runs in
ATTEMPTS = 7  # more than the ban threshold (5)
ATTACKER = "http://attacker.example"
WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def send(port: int, head: str, body: bytes = b"", source: str = DEVICE) -> tuple[int, bytes]:
    """One raw request from `source`; the status and body."""
    with socket.create_connection((HOST, port), timeout=5, source_address=(source, 0)) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\nConnection: close\r\n\r\n" + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if received.startswith(b"HTTP/1.1 101 "):
                break
    status_line, _, rest = received.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def post(port: int, path: str, content_type: str, body: bytes, headers: str) -> tuple[int, bytes]:
    return send(
        port,
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}{headers}",
        body,
    )


WRONG = "wrong password entirely"


def authorize_form(port: int, password: str) -> bytes:
    origin = f"http://127.0.0.1:{port}"
    return urllib.parse.urlencode(
        {
            "client_id": f"{origin}/",
            "redirect_uri": f"{origin}/?auth_callback=1",
            "username": USERNAME,
            "password": password,
        }
    ).encode()


FORM = "application/x-www-form-urlencoded"
Attack = Callable[[int], tuple[int, bytes]]
CROSS_SITE_HEADERS = [
    f"\r\nOrigin: {ATTACKER}",
    "\r\nOrigin: null",  # a sandboxed frame or a data: page
    "\r\nSec-Fetch-Site: cross-site",
    f"\r\nSec-Fetch-Site: same-site\r\nOrigin: {ATTACKER}",  # a sibling subdomain
]


def _attacks(headers: str) -> dict[str, Attack]:
    begin = json.dumps(
        {"client_id": f"{ATTACKER}/", "handler": ["homeassistant", None], "redirect_uri": ATTACKER}
    ).encode()
    return {
        "authorize form": lambda port: post(
            port, "/auth/authorize", FORM, authorize_form(port, WRONG), headers
        ),
        "token": lambda port: post(
            port,
            "/auth/token",
            FORM,
            f"grant_type=authorization_code&client_id={ATTACKER}/&code=guess".encode(),
            headers,
        ),
        "login flow as text/plain": lambda port: post(
            port, "/auth/login_flow", "text/plain;charset=UTF-8", begin, headers
        ),
        "onboarding form": lambda port: post(port, "/onboarding", FORM, b"setup_code=x", headers),
        "websocket": lambda port: send(
            port,
            f"GET /api/websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\n"
            f"Sec-WebSocket-Version: 13{headers}",
        ),
    }


def test_cross_site_posts_are_refused_and_not_counted(hub: RunningHub) -> None:
    answers = []
    for headers in CROSS_SITE_HEADERS:
        for name, attack in _attacks(headers).items():
            for _ in range(ATTEMPTS if name == "authorize form" else 2):
                answers.append((headers, name, *attack(hub.port)))
    # The household device was not banned, and nothing was checked or counted.
    assert request(hub, "GET", "/api/", token=hub.token, source=DEVICE).status == 200
    assert "Login failed" not in hub.log()
    for headers, name, status, body in answers:
        assert status == 403, (headers, name, status, body)
        assert b"another web site" in body, (headers, name, body)
    # One warning per address, not one per refused request.
    assert hub.log().count("Refused a cross-site") == 1


def test_json_without_its_content_type_is_refused_unless_same_origin(hub: RunningHub) -> None:
    begin = json.dumps(
        {
            "client_id": f"http://127.0.0.1:{hub.port}/",
            "handler": ["homeassistant", None],
            "redirect_uri": f"http://127.0.0.1:{hub.port}/?auth_callback=1",
        }
    ).encode()
    text = "text/plain;charset=UTF-8"
    # No browser headers at all (a script, a very old browser): JSON must say it is JSON.
    status, body = post(hub.port, "/auth/login_flow", text, begin, "")
    assert status == 415, body
    status, _ = post(hub.port, "/api/onboarding/users", text, b"{}", "")
    assert status == 415
    # Home Assistant's frontend sends its JSON as text/plain from the hub's own origin.
    own = f"\r\nOrigin: http://127.0.0.1:{hub.port}"
    for headers in (own, "\r\nSec-Fetch-Site: same-origin\r\nOrigin: null"):
        status, body = post(hub.port, "/auth/login_flow", text, begin, headers)
        assert status == 200, body
        assert json.loads(body)["type"] == "form"
    assert request(hub, "GET", "/api/", token=hub.token, source=DEVICE).status == 200


def test_same_origin_and_native_logins_still_work(hub: RunningHub) -> None:
    own = f"http://127.0.0.1:{hub.port}"
    for headers in (
        f"\r\nOrigin: {own}\r\nSec-Fetch-Site: same-origin",  # a browser on the login page
        "\r\nOrigin: null\r\nSec-Fetch-Site: same-origin",  # the same, referrer policy no-referrer
        f"\r\nOrigin: {own}",  # a browser without Sec-Fetch-* (Safari before 16.4)
        "",  # a native app: no Origin at all
    ):
        status, body = post(
            hub.port, "/auth/authorize", FORM, authorize_form(hub.port, PASSWORD), headers
        )
        assert status == 302, (headers, body)
    # A native app's token request: no Origin, form-encoded.
    status, body = post(
        hub.port, "/auth/token", FORM, b"grant_type=refresh_token&refresh_token=x", ""
    )
    assert (status, json.loads(body)) == (400, {"error": "invalid_grant"})
