"""aiohttp's own replies, sent before application code runs: no banner, no echo."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web, web_protocol, web_response, web_urldispatcher
from aiohttp.http import HttpVersion11

from hearth.http.headers import BASE_HEADERS
from hearth.http.view import json_bytes

_ORIGINAL_HANDLE_ERROR = web_protocol.RequestHandler.handle_error
_JSON = "application/json"


def _handle_error(
    self: web_protocol.RequestHandler,
    request: web.BaseRequest,
    status: int = 500,
    exc: BaseException | None = None,
    message: str | None = None,
) -> web.StreamResponse:
    """Keep aiohttp's logging and checks, but answer with a fixed JSON body."""
    original = _ORIGINAL_HANDLE_ERROR(self, request, status, exc, message)
    try:
        phrase = HTTPStatus(original.status).phrase
    except ValueError:
        phrase = "Error"
    reply = web.Response(
        status=original.status,
        body=json_bytes({"message": phrase}),
        content_type=_JSON,
    )
    reply.headers.update(BASE_HEADERS)
    reply.force_close()
    return reply


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
    # response, including the 400s its parser sends before middleware and signals run. Replacing
    # the default at the library level makes aiohttp send an empty Server header, naming nothing.
    web_response.SERVER_SOFTWARE = ""  # type: ignore[attr-defined]
    # Threat: reflection and missing headers. The parser's 400 replies echo the offending request
    # bytes as text/plain without our security headers; answer with a fixed JSON message instead.
    handler: Any = web_protocol.RequestHandler
    if handler.handle_error is not _handle_error:
        handler.handle_error = _handle_error
    # Read when each route is made, so this must run before the routes are added (create_app).
    web_urldispatcher._default_expect_handler = _expect_handler  # type: ignore[assignment]
