"""Cross-origin access for an explicit list of origins only; nothing is shared by default."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web

from hearth.exceptions import PermissionDenied
from hearth.http.headers import installed
from hearth.http.refusals import Refusal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from hearth.config.schema import HttpSection

ALLOWED_METHODS: Final = "GET, POST, DELETE"
ALLOWED_HEADERS: Final = "Authorization, Content-Type, Accept, X-Requested-With"
PREFLIGHT_MAX_AGE: Final = "600"
_FOREIGN_ORIGIN: Final = Refusal(
    PermissionDenied.status, "Cross-origin requests from this origin are not allowed."
)


def cors_preflight(http: HttpSection) -> Callable[[web.Request], web.Response | None] | None:
    """Answer preflight requests from allowed origins before auth; None when CORS is off."""
    allowed = frozenset(http.cors_allowed_origins)
    if not allowed:
        return None

    def preflight(request: web.Request) -> web.Response | None:
        if (
            request.method != hdrs.METH_OPTIONS
            or hdrs.ACCESS_CONTROL_REQUEST_METHOD not in request.headers
        ):
            return None
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None or origin not in allowed:
            return _FOREIGN_ORIGIN.response()
        # A preflight carries no credentials by design, so it is answered before auth runs.
        response = web.Response(status=200)
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = ALLOWED_METHODS
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = ALLOWED_HEADERS
        response.headers[hdrs.ACCESS_CONTROL_MAX_AGE] = PREFLIGHT_MAX_AGE
        return response

    return preflight


def setup_cors(app: web.Application, origins: Iterable[str]) -> None:
    """Let `origins` read the responses, errors too, so their clients see why (nothing at all
    when the list is empty)."""
    allowed = frozenset(origins)
    if allowed:
        installed(app).cors_origins = allowed
