"""Malformed form bodies against the real hub, without login: 400, never 500, no traceback.

An undecodable urlencoded body, an unknown charset or a broken multipart body used to give 500
and a traceback in the log on every form endpoint (176 of 176 random bodies).
"""

from __future__ import annotations

import json
import random
import socket

import pytest

from tests.acceptance.support import HOST, RunningHub

pytestmark = pytest.mark.acceptance

FORM_ENDPOINTS = ("/auth/token", "/auth/revoke", "/auth/authorize", "/onboarding")
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=xx"

MALFORMED = {
    "undecodable": (URLENCODED, b"grant_type=\xff\xfe&code=\xc3", ""),
    "unknown charset": (f"{URLENCODED}; charset=no-such-charset", b"grant_type=x", ""),
    "odd utf-16": (f"{URLENCODED}; charset=utf-16", b"abc", ""),
    "multipart without boundary": ("multipart/form-data", b"--xx\r\n\r\nv\r\n--xx--\r\n", ""),
    "multipart, wrong boundary": (MULTIPART, b"--yy\r\n\r\nv\r\n--yy--\r\n", ""),
    "multipart, bad header": (MULTIPART, b"--xx\r\n\x82\xbc\r\n\r\nv\r\n--xx--\r\n", ""),
    "multipart, field without name": (
        MULTIPART,
        b"--xx\r\nContent-Disposition: form-data\r\n\r\nv\r\n--xx--\r\n",
        "",
    ),
    "multipart, unknown transfer encoding": (
        MULTIPART,
        b"--xx\r\nContent-Disposition: form-data; name=a\r\n"
        b"Content-Transfer-Encoding: rot13\r\n\r\nv\r\n--xx--\r\n",
        "",
    ),
    "multipart, unfinished": (MULTIPART, b"--xx\r\nContent-Disposition: form-da", ""),
    "gzip that is not gzip": (URLENCODED, b"grant_type=x", "Content-Encoding: gzip\r\n"),
}


def post(
    port: int, path: str, content_type: str, body: bytes, extra: str = ""
) -> tuple[int, bytes]:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
    )
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(head.encode("latin-1") + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def test_malformed_form_bodies_get_400(hub: RunningHub) -> None:
    lines_before = len(hub.log().splitlines())
    answers = {
        (name, path): post(hub.port, path, content_type, body, extra)
        for name, (content_type, body, extra) in MALFORMED.items()
        for path in FORM_ENDPOINTS
    }
    assert {key: status for key, (status, _) in answers.items()} == dict.fromkeys(answers, 400)
    for name in MALFORMED:
        # The OAuth endpoints answer in the OAuth error shape.
        for path in ("/auth/token", "/auth/revoke"):
            error = json.loads(answers[(name, path)][1])
            assert error["error"] == "invalid_request", (name, path, error)
    log = hub.log()
    assert "Traceback" not in log
    assert len(log.splitlines()) - lines_before <= len(answers), log


def test_random_form_bodies_never_give_500(hub: RunningHub) -> None:
    rng = random.Random(20261203)  # a fixed seed: the same bodies every run
    content_types = [
        URLENCODED,
        f"{URLENCODED}; charset=utf-16",
        f"{URLENCODED}; charset=latin-1",
        MULTIPART,
        "multipart/form-data",
        "multipart/mixed; boundary=xx",
    ]
    for _ in range(48):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(80)))
        if rng.random() < 0.5:
            body = b"--xx\r\n" + body
        path = rng.choice(FORM_ENDPOINTS)
        status, answer = post(hub.port, path, rng.choice(content_types), body)
        assert status < 500, (path, body, answer)
    assert "Traceback" not in hub.log()
