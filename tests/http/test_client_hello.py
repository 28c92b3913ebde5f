"""The ClientHello reader: real hellos from Python's own client, and garbage that never raises."""

from __future__ import annotations

import random
import socket
import ssl
import threading

import pytest

from hearth.http.tls.client_hello import NEED_MORE, ClientHello, parse_client_hello


def captured_hello(server_name: str | None, alpn: list[str] | None) -> bytes:
    """The bytes Python's TLS client sends first, caught on a plain socket."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def client() -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        if alpn:
            context.set_alpn_protocols(alpn)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                context.wrap_socket(raw, server_hostname=server_name)
        except OSError:
            pass

    thread = threading.Thread(target=client)
    thread.start()
    conn, _ = listener.accept()
    conn.settimeout(5)
    data = b""
    while True:
        parsed = parse_client_hello(data)
        if parsed != NEED_MORE and data:
            break
        data += conn.recv(65536)
    conn.close()
    listener.close()
    thread.join(timeout=10)
    return data


@pytest.mark.parametrize(
    ("server_name", "alpn"),
    [("hub.example.com", ["acme-tls/1"]), ("hub.example.com", ["h2", "http/1.1"]), (None, None)],
)
def test_real_hellos(server_name: str | None, alpn: list[str] | None) -> None:
    data = captured_hello(server_name, alpn)
    assert parse_client_hello(data) == ClientHello(server_name, tuple(alpn or ()))
    for end in range(1, len(data)):
        assert parse_client_hello(data[:end]) == NEED_MORE


def test_not_a_hello() -> None:
    assert parse_client_hello(b"GET / HTTP/1.1\r\n") is None
    assert parse_client_hello(b"") is None
    assert parse_client_hello(b"\x16\x03\x01\xff\xff") is None  # longer than any record


def test_garbage_never_raises() -> None:
    """The fuzz contract: NEED_MORE, None or a ClientHello, whatever the bytes."""
    rng = random.Random(16)
    hello = captured_hello("hub.example.com", ["acme-tls/1"])
    for _ in range(2000):
        data = bytearray(hello)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        result = parse_client_hello(bytes(data))
        assert result is None or result == NEED_MORE or isinstance(result, ClientHello)
    for _ in range(500):
        noise = bytes([0x16]) + rng.randbytes(rng.randint(0, 600))
        result = parse_client_hello(noise)
        assert result is None or result == NEED_MORE or isinstance(result, ClientHello)
