"""Raw sockets against the real hub: answers that fingerprint nothing, no caching of API answers,
forwarded headers that must be well-formed, and a prompt stop with a half-sent body."""

from __future__ import annotations

import json
import signal
import socket
import time

import pytest

from hearth import const
from tests.acceptance.support import HOST, HubFactory, RunningHub, request

pytestmark = pytest.mark.acceptance

PROXY = "  use_x_forwarded_for: true\n  trusted_proxies: [127.0.0.1]\n"


def exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes and read until the hub closes (every reply here closes)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def split(reply: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status_line, headers, body


MALFORMED = {
    "http-0.9": b"GET /api/\r\n\r\n",
    "http-0.9-root": b"GET /\r\n\r\n",
    "garbage": b"GARBAGE\r\n\r\n",
    "bad-method": b"G\xffT /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "header-without-colon": b"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n",
    "bad-content-length": b"POST /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n",
    "http-1.0-garbage": b"GET /api/ HTTP/1.0\r\nBad Header Line\r\n\r\n",
}


def _malformed_requests_all_get_the_same_http11_400(hub: RunningHub) -> None:
    """HTTP/0.9 used to get "HTTP/0.9 401/200", parser errors "HTTP/1.0 400": aiohttp's tells."""
    answers = {name: split(exchange(hub.port, raw)) for name, raw in MALFORMED.items()}
    for name, (status_line, headers, body) in answers.items():
        assert status_line == "HTTP/1.1 400 Bad Request", name
        assert json.loads(body) == {"message": "Bad Request"}, name
        assert headers["content-type"] == "application/json", name
        assert headers["connection"] == "close", name
        assert "server" not in headers, name
    assert "Traceback" not in hub.log()


def _no_server_header_at_all(hub: RunningHub) -> None:
    replies = [
        request(hub, "GET", "/api/", token=hub.token),
        request(hub, "GET", "/api/"),
        request(hub, "GET", "/no/such/page"),
        request(hub, "GET", "/auth/authorize"),
        request(hub, "GET", "/api/", headers={"Host": "rebinding.example"}),
    ]
    for reply in replies:
        assert "server" not in reply.headers, reply
    with socket.create_connection((HOST, hub.port), timeout=5) as sock:
        sock.sendall(
            b"GET /api/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
    status_line, headers, _ = split(head)
    assert status_line.startswith("HTTP/1.1 101 ")
    assert "server" not in headers


API_ANSWERS = [
    ("/api/states", True, 200),
    ("/api/config", True, 200),
    ("/api/", True, 200),
    ("/api/states/light.nope", True, 404),
    ("/api/states", False, 401),
    ("/api/nothing/here", True, 404),
]


def _api_answers_are_never_stored(hub: RunningHub) -> None:
    for path, authenticated, status in API_ANSWERS:
        reply = request(hub, "GET", path, token=hub.token if authenticated else None)
        assert reply.status == status, (path, reply)
        assert reply.headers.get("cache-control") == "no-store", (path, reply.headers)


def test_answers_name_no_software_and_api_answers_are_not_stored(hub: RunningHub) -> None:
    """One hub for three checks that need nothing but a running hub."""
    _malformed_requests_all_get_the_same_http11_400(hub)
    _no_server_header_at_all(hub)
    _api_answers_are_never_stored(hub)


EMPTY_FORWARDED = [
    "X-Forwarded-Proto: \r\n",
    "X-Forwarded-Proto:\r\n",
    "X-Forwarded-Proto: \r\nX-Forwarded-For: 192.168.1.20\r\n",
    "X-Forwarded-Host: \r\n",
]


def test_empty_forwarded_header_from_the_trusted_proxy_is_400(hub_factory: HubFactory) -> None:
    hub = hub_factory(http_extra=PROXY)
    start = (
        f"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {hub.token}\r\n"
        "Connection: close\r\n"
    )
    for headers in EMPTY_FORWARDED:
        status_line, _, body = split(exchange(hub.port, f"{start}{headers}\r\n".encode()))
        assert status_line.startswith("HTTP/1.1 400 "), (headers, status_line, body)
        assert "X-Forwarded" in json.loads(body)["message"], body
    # The proxy's own well-formed requests still pass.
    fine = exchange(hub.port, f"{start}X-Forwarded-Proto: https\r\n\r\n".encode())
    assert split(fine)[0] == "HTTP/1.1 200 OK"


def test_sigterm_does_not_wait_for_a_half_sent_body(hub_factory: HubFactory) -> None:
    """A client that stops in the middle of its body used to hold the stop for 10 seconds."""
    hub = hub_factory()
    body_start = b"grant_type=authorization_code&code="
    with (
        socket.create_connection((HOST, hub.port), timeout=10) as slow,
        socket.create_connection((HOST, hub.port), timeout=10) as idle,
    ):
        slow.sendall(
            b"POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000\r\n\r\n" + body_start
        )
        # A kept-alive connection that has finished one request and sits idle.
        idle.sendall(b"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert idle.recv(65536).startswith(b"HTTP/1.1 401 ")
        time.sleep(0.3)  # the view is now waiting for the rest of the body
        hub.process.send_signal(signal.SIGTERM)
        # Well before the shutdown timeout, which the old code spent waiting for the body.
        assert hub.process.wait(timeout=const.SHUTDOWN_TIMEOUT / 2) == 0, hub.log()
        hub.stopped = True
        answer = slow.recv(65536)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 503 "), answer
