"""Fuzz the HTTP layer of a running hub with raw request heads: methods, targets, versions and
header fields as bytes, which no client library would send.

Contract (docs/fuzzing.md): an answer (a 4xx for anything malformed, with a JSON message), never a
5xx, no traceback in the log, other clients unaffected; a request that declares more body than it
sends may wait for the rest.
"""

from __future__ import annotations

import socket
from typing import Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.acceptance.support import HOST
from tests.fuzz.client import FUZZER, TIMEOUT, parse_reply
from tests.fuzz.harness import FuzzHub
from tests.fuzz.profiles import fuzz_settings, time_limit

# Examples are bounded; the timeout is for a hub that hangs, with room for a busy machine.
pytestmark = [pytest.mark.acceptance, pytest.mark.timeout(time_limit())]


methods = st.one_of(
    st.sampled_from([b"GET", b"POST", b"HEAD", b"DELETE", b"OPTIONS", b"PRI", b"get", b"G\x00T"]),
    st.binary(min_size=1, max_size=8),
)
targets = st.one_of(
    st.sampled_from([b"/api/", b"/api/states", b"*", b"http://x/api/", b"//", b"/%", b"/api/\x01"]),
    st.binary(min_size=1, max_size=40).map(lambda raw: b"/" + raw.replace(b"\r\n", b"")),
)
versions = st.sampled_from(
    [
        b" HTTP/1.1",
        b" HTTP/1.1",
        b" HTTP/1.0",
        b" HTTP/2.0",
        b" HTTP/9.9",
        b"",
        b" HTTP/1.1 x",
        b" h",
    ]
)
header_names = st.one_of(
    st.sampled_from(
        [
            b"Host",
            b"Content-Type",
            b"Authorization",
            b"Transfer-Encoding",
            b"Content-Length",
            b"Connection",
            b"Upgrade",
            b"Expect",
            b"X-Forwarded-For",
            b"Cookie",
        ]
    ),
    st.binary(min_size=1, max_size=12).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")),
)
header_values = st.one_of(
    st.sampled_from(
        [b"", b"chunked", b"gzip, chunked", b"100-continue", b"websocket", b"-1", b"1e3"]
    ),
    st.binary(max_size=30).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")),
)
HEAD_ONLY: Final = (b"HEAD",)
WAIT_FOR_BODY: Final = 0.3


def exchange_raw(fuzz: FuzzHub, data: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send raw bytes and read until the hub closes, or `timeout` passes without a byte."""
    with socket.create_connection(
        (HOST, fuzz.hub.port), timeout=timeout, source_address=(FUZZER, 0)
    ) as sock:
        sock.sendall(data)
        received = bytearray()
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return bytes(received)


@fuzz_settings(80)
@given(
    method=methods,
    target=targets,
    version=versions,
    headers=st.lists(st.tuples(header_names, header_values), max_size=4),
    body=st.binary(max_size=20),
)
def test_raw_requests(
    fuzz_hub: FuzzHub,
    method: bytes,
    target: bytes,
    version: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    fuzz_hub.begin_example()
    lines = [method + b" " + target + version, b"Host: " + HOST.encode(), b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    if not any(name.lower() == b"content-length" for name, _ in headers):
        lines.append(b"Content-Length: %d" % len(body))
    # With a body length of its own choosing the request may be incomplete: the hub then waits
    # for the rest (up to a minute), which is no fault; a short wait tells the two apart.
    declared_more = any(
        name.lower() in (b"content-length", b"transfer-encoding") for name, _ in headers
    )
    data = b"\r\n".join(lines) + b"\r\n\r\n" + body
    raw = exchange_raw(fuzz_hub, data, WAIT_FOR_BODY if declared_more else TIMEOUT)
    if not raw:
        assert declared_more, "no answer within 10 s"
    else:
        reply = parse_reply(raw, head_only=method.startswith(HEAD_ONLY), any_version=True)
        assert reply.status < 500, reply
        if reply.status >= 400 and not method.startswith(HEAD_ONLY):
            assert reply.headers.get("content-type", "").startswith("application/json"), reply
    fuzz_hub.assert_healthy()


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n",
        b"GET /\r\n\r\n",
    ],
    ids=["control-byte", "bad-header", "http-0.9"],
)
def test_malformed_requests_are_answered_as_http_1_1(
    fuzz_hub: FuzzHub, request_bytes: bytes
) -> None:
    raw = exchange_raw(fuzz_hub, request_bytes)
    assert raw.startswith(b"HTTP/1.1 4"), raw[:200]


@pytest.mark.parametrize(
    "expect",
    [b"\x80", b"chunked", b"100-continue, x", b"\xff\xfe", b"100-continue"],
    ids=["non-utf8", "unknown", "list", "bytes", "continue"],
)
def test_expect_header(fuzz_hub: FuzzHub, expect: bytes) -> None:
    """aiohttp answers Expect before any middleware runs: no 500, no echo, JSON like the rest."""
    fuzz_hub.begin_example()
    request = b"GET /api/ HTTP/1.1\r\nHost: %s\r\nExpect: %s\r\nConnection: close\r\n\r\n"
    raw = exchange_raw(fuzz_hub, request % (HOST.encode(), expect))
    if expect == b"100-continue":
        raw = raw.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
    reply = parse_reply(raw)
    assert reply.status in (401, 417), reply
    assert reply.headers.get("content-type", "").startswith("application/json"), reply
    assert expect not in reply.body, reply
    fuzz_hub.assert_healthy()
