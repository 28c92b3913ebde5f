"""aiohttp's own replies, sent before application code runs: no banner, no echo."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiohttp import web, web_protocol, web_response

from hearth.http.headers import BASE_HEADERS
from hearth.http.view import json_bytes

_ORIGINAL_HANDLE_ERROR = web_protocol.RequestHandler.handle_error


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
        content_type="application/json",
    )
    reply.headers.update(BASE_HEADERS)
    reply.force_close()
    return reply


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
