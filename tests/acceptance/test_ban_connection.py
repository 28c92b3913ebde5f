"""A banned client is answered at the connection, by the real hub: only the banned 403, ever."""

from __future__ import annotations

import json
import socket

import pytest

from tests.acceptance.ban_support import (
    ATTACKER,
    StartHub,
    call,
    start_ban_hub_fixture,  # noqa: F401 - a fixture
)
from tests.acceptance.support import HOST

pytestmark = pytest.mark.acceptance

BANNED = {"message": "Access from this address is blocked after repeated failed logins."}


def _replies(sock: socket.socket, count: int) -> list[tuple[int, bytes, bytes]]:
    """`count` responses from a kept-alive connection: status, head, body."""
    buffer, replies = b"", []
    while len(replies) < count:
        head, found, rest = buffer.partition(b"\r\n\r\n")
        if found:
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            if len(rest) >= length:
                replies.append((int(head.split(b" ")[1]), head, rest[:length]))
                buffer = rest[length:]
                continue
        data = sock.recv(65536)
        assert data, f"closed after {len(replies)} replies"
        buffer += data
    return replies


def test_a_banned_client_probing_gets_nothing_but_the_banned_403(start_ban_hub: StartHub) -> None:
    hub = start_ban_hub("  login_attempts_threshold: 1\n")
    assert call(hub, token="wrong", source=ATTACKER).status == 401  # banned from now on
    host = f"Host: {HOST}:{hub.port}"
    probes = [
        f"GET /api/states HTTP/1.1\r\n{host}\r\nAuthorization: Bearer {hub.token}\r\n\r\n",
        f"GET /api/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n{host}\r\n\r\n",  # traversal
        "GET /api/ HTTP/1.1\r\nHost: rebind.example\r\n\r\n",  # a foreign Host
        f"OPTIONS /api/ HTTP/1.1\r\n{host}\r\nOrigin: https://evil.example\r\n\r\n",
    ]
    with socket.create_connection((HOST, hub.port), timeout=5, source_address=(ATTACKER, 0)) as s:
        s.sendall("".join(probes).encode())
        replies = _replies(s, len(probes))
        s.sendall(probes[0].encode())  # still kept alive, still refused
        replies += _replies(s, 1)
    assert [status for status, _, _ in replies] == [403] * 5
    assert all(json.loads(body) == BANNED for _, _, body in replies)
    # Refused before any check looked at the request: none of them logged it.
    log = hub.log()
    assert "rebind.example" not in log
    assert "path traversal" not in log
    assert call(hub, "/api/", token=hub.token).status == 200  # 127.0.0.1 is served
