"""Refuse what a browser sends to the hub on behalf of another site (cross-site request forgery).

A page on any site can make its visitor's browser post a form or a `text/plain` body to the
hub: a login guess from inside the home network, or failures that get a household device
banned. Browsers say where a request comes from (`Sec-Fetch-Site`, `Origin`); a state-changing
request, or a WebSocket handshake, that another site started is refused before any credential
is looked at, and is never counted as a failure. Native apps and scripts send neither header
and are not affected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web
from yarl import URL

from hearth.exceptions import PermissionDenied, UnsupportedMediaType
from hearth.http.log_limit import LogLimiter
from hearth.http.refusals import Refusal
from hearth.http.view import JSON_CONTENT_TYPE, client_ip

if TYPE_CHECKING:
    from hearth.config.schema import HttpSection

_LOGGER = logging.getLogger(__name__)

SEC_FETCH_SITE: Final = "Sec-Fetch-Site"
SAFE_METHODS: Final = frozenset({hdrs.METH_GET, hdrs.METH_HEAD, hdrs.METH_OPTIONS})
# Sec-Fetch-Site values that mean "the hub's own page" or "the user typed it".
_OWN_SITE: Final = frozenset({"same-origin", "none"})
_LOGGED_ORIGIN: Final = 100
# No web page has a ws: or wss: origin; native WebSocket libraries (Starscream, which Home
# Assistant's iOS app uses) send the socket's own URL as Origin. Such a request is an app's.
_NATIVE_ORIGIN_SCHEMES: Final = ("ws://", "wss://")

CROSS_SITE_MESSAGE: Final = (
    "Requests started by another web site are not accepted. To let a web page on another "
    "origin use the API, list that origin in `cors_allowed_origins` under `http:`."
)
JSON_ONLY_MESSAGE: Final = "Send the body as JSON, with Content-Type: application/json."
_CROSS_SITE: Final = Refusal(PermissionDenied.status, CROSS_SITE_MESSAGE)


class Site(Enum):
    """Who started a request, as far as the browser tells."""

    OWN = "own"  # the hub's own page, or an origin in cors_allowed_origins
    OTHER = "other"  # another site
    UNKNOWN = "unknown"  # no browser headers: a native app, a script, a very old browser


def _origin_key(url: URL) -> tuple[str, str, int | None]:
    return url.scheme.lower(), (url.host or "").lower().removesuffix("."), url.port


def same_origin(origin: str, request: web.Request) -> bool:
    """Whether an `Origin` value is the origin of the request itself (scheme, host and port)."""
    try:
        theirs = URL(origin)
    except ValueError:
        return False
    if not theirs.absolute or theirs.path not in ("", "/") or theirs.query_string:
        return False
    return _origin_key(theirs) == _origin_key(request.url)


def site_of(request: web.Request, allowed_origins: frozenset[str]) -> Site:
    """Which site started the request (the Host has already been checked)."""
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is not None and origin in allowed_origins:
        return Site.OWN
    # Browsers set Sec-Fetch-Site themselves and no page can change it, so it decides when
    # present. It also covers our own forms, for which some browsers send `Origin: null`.
    fetch_site = request.headers.get(SEC_FETCH_SITE)
    if fetch_site is not None:
        return Site.OWN if fetch_site.strip().lower() in _OWN_SITE else Site.OTHER
    if origin is None or origin.lower().startswith(_NATIVE_ORIGIN_SCHEMES):
        return Site.UNKNOWN
    return Site.OWN if same_origin(origin, request) else Site.OTHER


def _guarded(request: web.Request) -> bool:
    """State-changing methods, and WebSocket handshakes (a failed token there counts too)."""
    if request.method not in SAFE_METHODS:
        return True
    return request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"


def csrf_check(http: HttpSection) -> Callable[[web.Request], web.Response | None]:
    """403 for a state-changing request or WebSocket handshake started by another site."""
    allowed = frozenset(http.cors_allowed_origins)
    warned = LogLimiter()

    def csrf(request: web.Request) -> web.Response | None:
        if not _guarded(request) or site_of(request, allowed) is not Site.OTHER:
            return None
        client = client_ip(request)
        if warned.allow(client):
            _LOGGER.warning(
                "Refused a cross-site %s %s from %s (Origin %r, Sec-Fetch-Site %r)",
                request.method,
                request.path[:_LOGGED_ORIGIN],
                client,
                request.headers.get(hdrs.ORIGIN, "")[:_LOGGED_ORIGIN],
                request.headers.get(SEC_FETCH_SITE, "")[:_LOGGED_ORIGIN],
            )
        return _CROSS_SITE.response()

    return csrf


def require_json(request: web.Request) -> None:
    """A JSON body must say so, unless the hub's own page sent it (UnsupportedMediaType, 415).

    Threat: a `text/plain` body is one a page of another site may send without asking first
    (no CORS preflight). Home Assistant's own frontend posts JSON as `text/plain` from the same
    origin, which the browser proves with Sec-Fetch-Site or Origin.
    """
    if request.content_type == JSON_CONTENT_TYPE:
        return
    if site_of(request, frozenset()) is not Site.OWN:
        raise UnsupportedMediaType(JSON_ONLY_MESSAGE)
