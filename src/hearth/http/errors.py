"""Turn every failure into a JSON error response with the right status; never leak internals."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import hdrs, web

from hearth.exceptions import HearthError
from hearth.http.view import Handler, json_response

_LOGGER = logging.getLogger(__name__)

# Headers of an aiohttp HTTPException worth keeping on the JSON error (405 must say what is allowed)
_KEPT_HEADERS = (hdrs.ALLOW, hdrs.RETRY_AFTER)


def error_response(status: int, message: str) -> web.Response:
    """The one error shape: {"message": ...}."""
    response = json_response({"message": message}, status=status)
    if status == 401:
        response.headers[hdrs.WWW_AUTHENTICATE] = "Bearer"
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map HearthError and aiohttp's HTTP errors to JSON; anything else is logged and is a 500."""
    try:
        return await handler(request)
    except HearthError as err:
        return error_response(err.status, err.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(exc.status, exc.reason)
        for name in _KEPT_HEADERS:
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        # The path is attacker-controlled: %r keeps control characters out of the log line.
        _LOGGER.exception("Unhandled error for %s %r", request.method, request.rel_url.raw_path)
        return error_response(500, "Internal error.")
