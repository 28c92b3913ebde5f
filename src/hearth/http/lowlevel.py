"""aiohttp's own replies, sent before application code runs: no banner, no echo, no HTTP/1.0."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web, web_protocol, web_response, web_urldispatcher
from aiohttp.http import HttpVersion10, HttpVersion11

from hearth.http.headers import BASE_HEADERS
from hearth.http.view import json_bytes

_ORIGINAL_HANDLE_ERROR = web_protocol.RequestHandler.handle_error
_JSON = "application/json"
# The status line of every reply aiohttp makes on its own (parser errors, HTTP/0.9).
STATUS_VERSION = "HTTP/1.1"


class RawErrorResponse(web.Response):
    """An error reply that looks like any other: HTTP/1.1, no Server header.

    Threat: fingerprinting. aiohttp writes the status line with the request's version, which for
    a request it could not parse is HTTP/1.0 and for `GET /path` without a version is HTTP/0.9;
    both differ from every other answer of the hub and name the software behind it.
    """

    async def _write_headers(self) -> None:
        writer = self._payload_writer
        assert writer is not None  # noqa: S101 - prepare() sets it before calling us
        self._headers.popall(hdrs.SERVER, None)
        status_line = f"{STATUS_VERSION} {self.status} {self.reason}"
        await writer.write_headers(status_line, self._headers)
        if self._send_headers_immediately:
            writer.send_headers()


def error_reply(status: int) -> RawErrorResponse:
    """The fixed JSON reply for a request that never reaches the application."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    reply = RawErrorResponse(
        status=status, body=json_bytes({"message": phrase}), content_type=_JSON
    )
    reply.headers.update(BASE_HEADERS)
    reply.headers[hdrs.CONNECTION] = "close"  # said explicitly: HTTP/1.1 means keep-alive
    reply.force_close()
    return reply


def _handle_error(
    self: web_protocol.RequestHandler,
    request: web.BaseRequest,
    status: int = 500,
    exc: BaseException | None = None,
    message: str | None = None,
) -> web.StreamResponse:
    """Keep aiohttp's logging and checks, but answer with a fixed JSON body."""
    original = _ORIGINAL_HANDLE_ERROR(self, request, status, exc, message)
    return error_reply(original.status)


def predates_http10(request: web.BaseRequest) -> bool:
    """Whether the request line carried no HTTP version (HTTP/0.9: `GET /path`)."""
    return request.version < HttpVersion10


async def _expect_handler(request: web.Request) -> web.StreamResponse | None:
    """`Expect: 100-continue` as aiohttp does; any other expectation: 417 with a fixed message.

    Threat: aiohttp answers Expect before any middleware runs, echoing the header in a text/plain
    417, and a header that is not UTF-8 made building that reply fail: a 500 and a traceback in
    the log for anyone, without a token.
    """
    if request.version != HttpVersion11:
        return None
    if request.headers.get(hdrs.EXPECT, "").lower() == "100-continue":
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the 100 is not part of the response that follows
        return None
    message = "Only Expect: 100-continue is supported."
    return web.Response(status=417, body=json_bytes({"message": message}), content_type=_JSON)


def install() -> None:
    """Patch aiohttp once per process (idempotent)."""
    # Threat: fingerprinting. aiohttp announces "Python/3.x aiohttp/3.x" in a Server header on every
    # response. Emptying the default here, and dropping the header in the response signal
    # (hearth.http.headers) and in RawErrorResponse, means no Server header is sent at all.
    web_response.SERVER_SOFTWARE = ""  # type: ignore[attr-defined]
    # Threat: reflection and missing headers. The parser's 400 replies echo the offending request
    # bytes as text/plain without our security headers; answer with a fixed JSON message instead.
    handler: Any = web_protocol.RequestHandler
    if handler.handle_error is not _handle_error:
        handler.handle_error = _handle_error
    # Read when each route is made, so this must run before the routes are added (create_app).
    web_urldispatcher._default_expect_handler = _expect_handler  # type: ignore[assignment]
