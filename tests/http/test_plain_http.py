"""Plain HTTP on the HTTPS port: which requests are redirected to https:// (the rest get 400)."""

from __future__ import annotations

import pytest

from hearth.http.tls.plain_http import redirect_reply, redirect_target


def head(first: str, *headers: str) -> bytes:
    return ("\r\n".join((first, *headers)) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("request_head", "location"),
    [
        (head("GET / HTTP/1.1", "Host: hub.local:8123"), "https://hub.local:8123/"),
        (head("HEAD /lovelace/0 HTTP/1.1", "Host: 192.168.1.5:8123"), "https://192.168.1.5:8123/lovelace/0"),
        (head("GET /config/entities?x=1 HTTP/1.0", "Host: [fd00::5]:8123"), "https://[fd00::5]:8123/config/entities?x=1"),
        (head("GET /auth/authorize?client_id=a&redirect_uri=b HTTP/1.1", "Host: hub"), "https://hub/auth/authorize?client_id=a&redirect_uri=b"),
        (head("GET / HTTP/1.1", "Host: hub", "Content-Length: 0", "Accept: */*"), "https://hub/"),
    ],
)  # fmt: skip
def test_page_views_are_redirected(request_head: bytes, location: str) -> None:
    assert redirect_target(request_head) == location
    reply = redirect_reply(request_head)
    assert reply is not None
    assert reply.startswith(b"HTTP/1.1 301 Moved Permanently\r\n")
    assert f"\r\nLocation: {location}\r\n".encode() in reply
    assert b"Strict-Transport-Security" not in reply
    assert b"\r\nX-Content-Type-Options: nosniff\r\n" in reply


@pytest.mark.parametrize(
    "request_head",
    [
        # Credentials already sent in clear text: the error says so, a redirect would hide it.
        head("GET / HTTP/1.1", "Host: hub", "Authorization: Bearer abc"),
        head("GET / HTTP/1.1", "Host: hub", "Cookie: session=abc"),
        head("GET /?auth_callback=1&code=0123456789abcdef HTTP/1.1", "Host: hub"),
        head("GET /x?Access_Token=abc HTTP/1.1", "Host: hub"),
        head("GET /x?authSig=abc HTTP/1.1", "Host: hub"),
        # Not a page view.
        head("GET /api/ HTTP/1.1", "Host: hub"),
        head("GET /api/websocket HTTP/1.1", "Host: hub", "Upgrade: websocket"),
        head("POST /auth/token HTTP/1.1", "Host: hub", "Content-Length: 3"),
        head("GET / HTTP/1.1", "Host: hub", "Content-Length: 5"),
        head("GET / HTTP/1.1", "Host: hub", "Transfer-Encoding: chunked"),
        head("OPTIONS * HTTP/1.1", "Host: hub"),
        head("GET / HTTP/2.0", "Host: hub"),
        # Nothing unusual is echoed into a header.
        head("GET /<script>alert(1)</script> HTTP/1.1", "Host: hub"),
        head('GET /"x" HTTP/1.1', "Host: hub"),
        head("GET / HTTP/1.1", "Host: hub x"),
        head("GET / HTTP/1.1", "Host: hub/path"),
        head("GET / HTTP/1.1", "Host: hub", "Host: other"),
        head("GET / HTTP/1.1"),
        head("GET http://other/ HTTP/1.1", "Host: hub"),
        b"GET / HTTP/1.1\r\nHost: hub\r\n",  # incomplete
        "GET /é HTTP/1.1\r\nHost: hub\r\n\r\n".encode(),
    ],
)
def test_everything_else_gets_the_error(request_head: bytes) -> None:
    assert redirect_target(request_head) is None
    assert redirect_reply(request_head) is None


def test_a_host_that_is_not_the_hubs_gets_the_error() -> None:
    """Threat: DNS rebinding. A redirect is a link built from Host: only the hub's own names."""
    head = b"GET /lovelace HTTP/1.1\r\nHost: evil.example:8123\r\n\r\n"
    own = {"hub.local:8123"}
    assert redirect_target(head) == "https://evil.example:8123/lovelace"
    assert redirect_target(head, own.__contains__) is None
    assert redirect_reply(head, own.__contains__) is None
    mine = b"GET /lovelace HTTP/1.1\r\nHost: hub.local:8123\r\n\r\n"
    assert redirect_target(mine, own.__contains__) == "https://hub.local:8123/lovelace"
