"""A raw HTTP client for fuzzing, and the contract every answer of the hub must meet.

The client writes the request bytes itself (nothing is normalised or refused on the way out),
asks the server to close the connection and reads to the end, so a hang is a timeout here.
"""

from __future__ import annotations

import json
import re
import socket
from typing import Any, Final

from tests.acceptance.support import HOST, HttpReply, RunningHub

# The fuzzer's own address, allow-listed against bans in the fuzz hub's configuration so that the
# failed logins it sends on purpose do not lock it out; the observer comes from 127.0.0.1.
FUZZER: Final = "127.0.0.2"
OBSERVER: Final = "127.0.0.1"
FUZZ_HTTP_CONFIG: Final = f"  ip_ban_allowlist: ['{FUZZER}']\n"

TIMEOUT: Final = 10.0

# Log lines that betray an unhandled error: a traceback, aiohttp's own error report, a 500.
BAD_LOG: Final = re.compile(
    r"Traceback|Error handling request|Unhandled error|Internal error|\" 500 |"
    r"Task exception was never retrieved|Exception in callback|Unexpected error"
)

# Errors that are not `{"message"}`: OAuth's token endpoint says `{"error"}`; pages are HTML.
_OAUTH_PATHS: Final = ("/auth/token", "/auth/revoke")
_PAGE_PATHS: Final = ("/auth/authorize", "/onboarding")


def exchange(
    hub: RunningHub,
    method: str,
    target: str | bytes,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    token: str | None = None,
    source: str = FUZZER,
) -> HttpReply:
    """Send one request as raw bytes (Connection: close) and read the whole answer."""
    raw_target = target.encode("utf-8", "surrogateescape") if isinstance(target, str) else target
    lines = [method.encode("ascii") + b" " + raw_target + b" HTTP/1.1", f"Host: {HOST}".encode()]
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if body or method in ("POST", "PUT", "PATCH", "DELETE"):
        sent["Content-Length"] = str(len(body))
    sent["Connection"] = "close"
    lines += [f"{name}: {value}".encode("utf-8", "surrogateescape") for name, value in sent.items()]
    data = b"\r\n".join(lines) + b"\r\n\r\n" + body
    with socket.create_connection(
        (HOST, hub.port), timeout=TIMEOUT, source_address=(source, 0)
    ) as sock:
        sock.sendall(data)
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk
    return parse_reply(bytes(received), head_only=method == "HEAD")


def parse_reply(
    received: bytes, *, head_only: bool = False, any_version: bool = False
) -> HttpReply:
    """Parse a whole HTTP/1.1 answer (read until the server closed the connection)."""
    assert received, "the hub closed the connection without answering"
    head, sep, body = received.partition(b"\r\n\r\n")
    assert sep, f"incomplete answer: {received[:200]!r}"
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = status_line.split(" ", 2)
    assert version == "HTTP/1.1" or (any_version and version.startswith("HTTP/")), status_line
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if not head_only and headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return HttpReply(int(status), headers, body)


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)


def json_body(reply: HttpReply) -> Any:
    """The body as JSON; fails when the content type or the body is not JSON."""
    content_type = reply.headers.get("content-type", "")
    assert content_type.startswith("application/json"), f"not JSON: {reply}"
    return json.loads(reply.body)


def assert_contract(reply: HttpReply, method: str, path: str) -> None:
    """2xx/3xx, or a 4xx whose body says what was wrong; never a 5xx."""
    assert reply.status < 500, f"{method} {path!r} -> {reply.status}: {reply.body[:300]!r}"
    if reply.status < 400 or method == "HEAD":
        return
    if path.startswith(_PAGE_PATHS):
        assert reply.headers.get("content-type", "").startswith(("text/html", "application/json"))
        assert reply.body, reply
        return
    data = json_body(reply)
    assert isinstance(data, dict), data
    key = "error" if path.startswith(_OAUTH_PATHS) and "error" in data else "message"
    assert isinstance(data.get(key), str), data
    assert data[key], data
    assert "Traceback" not in data[key], data
