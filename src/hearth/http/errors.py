"""Turn every failure into a JSON error response with the right status; never leak internals."""

from __future__ import annotations

import logging

from aiohttp import hdrs, web

from hearth.exceptions import HearthError
from hearth.http.view import json_response

_LOGGER = logging.getLogger(__name__)

# Headers of an aiohttp HTTPException worth keeping on the JSON error (405 must say what is allowed)
_KEPT_HEADERS = (hdrs.ALLOW, hdrs.RETRY_AFTER)


def error_response(status: int, message: str) -> web.Response:
    """The one error shape: {"message": ...}."""
    response = json_response({"message": message}, status=status)
    if status == 401:
        response.headers[hdrs.WWW_AUTHENTICATE] = "Bearer"
    return response


def refusal(err: HearthError) -> web.Response:
    """A check's refusal: the error's status and message."""
    return error_response(err.status, err.message)


def error_reply(request: web.Request, exc: Exception) -> web.StreamResponse:
    """HearthError and aiohttp's HTTP errors as JSON; anything else is logged and is a 500.

    An aiohttp HTTPException below 400 (a redirect) is not an error: it is raised again.
    """
    if isinstance(exc, HearthError):
        return error_response(exc.status, exc.message)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        response = error_response(exc.status, exc.reason)
        for name in _KEPT_HEADERS:
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    # The path is attacker-controlled: %r keeps control characters out of the log line.
    _LOGGER.error(
        "Unhandled error for %s %r", request.method, request.rel_url.raw_path, exc_info=exc
    )
    return error_response(500, "Internal error.")
