"""What every view needs: route markers, JSON in and out, the authenticated user."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TYPE_CHECKING, Any, Final, TypeVar

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from multidict import MultiDictProxy

from hearth.exceptions import BadRequest, PermissionDenied
from hearth.http.keys import REQ_CLIENT_IP, REQ_REFRESH_TOKEN, REQ_USER

if TYPE_CHECKING:
    from hearth.auth.models import RefreshToken, User

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FormData = MultiDictProxy[Any]
H = TypeVar("H", bound=Handler)

PUBLIC_ATTR = "hearth_public"
ADMIN_ATTR = "hearth_admin"

JSON_CONTENT_TYPE = "application/json"
MALFORMED_FORM: Final = "Malformed form body."
# What aiohttp raises for a body it cannot decode: bad bytes for the charset, an unknown charset
# (LookupError), a broken multipart body (ValueError, RuntimeError, a parser error), a body whose
# Content-Encoding does not decode (RequestPayloadError).
_UNDECODABLE: Final = (
    ValueError,
    LookupError,
    RuntimeError,
    AssertionError,
    HttpProcessingError,
    RequestPayloadError,
)


def public(handler: H) -> H:
    """Mark a route as reachable without a bearer token. Every other route requires one."""
    setattr(handler, PUBLIC_ATTR, True)
    return handler


def admin_only(handler: H) -> H:
    """Mark a route as admin-only: other authenticated users get 403."""
    setattr(handler, ADMIN_ATTR, True)
    return handler


def json_bytes(data: Any) -> bytes:
    """Serialise for a response body."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response, serialised with orjson."""
    return web.Response(
        body=json_bytes(data), status=status, content_type=JSON_CONTENT_TYPE, headers=headers
    )


def raw_json_response(body: bytes, status: int = 200) -> web.Response:
    """A response whose JSON body is already serialised."""
    return web.Response(body=body, status=status, content_type=JSON_CONTENT_TYPE)


async def read_json(request: web.Request, *, allow_empty: bool = False) -> Any:
    """The request body as JSON; BadRequest when it is not valid JSON.

    The body size is bounded by the server's client_max_size (413 beyond it).
    """
    try:
        body = await request.read()
    except RequestPayloadError:
        raise BadRequest("Malformed request body.") from None
    if not body.strip():
        if allow_empty:
            return None
        raise BadRequest("Request body is empty; expected JSON.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("Invalid JSON in request body.") from None


async def read_form(request: web.Request) -> FormData:
    """The body as form fields (urlencoded or multipart); BadRequest for any malformed body.

    The body size is bounded by the server's client_max_size (413 beyond it).
    """
    try:
        return await request.post()
    except _UNDECODABLE as err:
        # Threat: log flooding. The body is the client's mistake: one debug line, no traceback.
        _LOGGER.debug("Refused a malformed form body for %s: %s", request.path, type(err).__name__)
        raise BadRequest(MALFORMED_FORM) from None


async def read_json_object(request: web.Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty and allowed)."""
    data = await read_json(request, allow_empty=allow_empty)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object.")
    return data


def current_user(request: web.Request) -> User:
    """The authenticated user (the auth check guarantees one on non-public routes)."""
    return request[REQ_USER]


def current_refresh_token(request: web.Request) -> RefreshToken:
    """The refresh token behind the request's access token."""
    return request[REQ_REFRESH_TOKEN]


def require_admin(request: web.Request) -> User:
    """The user, if an admin; PermissionDenied (403, never counted as a failed login) if not."""
    user = current_user(request)
    if not user.is_admin:
        raise PermissionDenied("This action requires an administrator.")
    return user


def client_ip(request: web.Request) -> IPv4Address | IPv6Address:
    """The real client address: what a trusted proxy reported, else the socket peer."""
    if REQ_CLIENT_IP in request:
        return request[REQ_CLIENT_IP]
    peer = request.transport.get_extra_info("peername") if request.transport else None
    address = ip_address(peer[0] if peer else "::")
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    request[REQ_CLIENT_IP] = address
    return address


_TEXT_LIMIT: Final = 4096
_ADDRESS_TEXT: Final[dict[IPv4Address | IPv6Address, str]] = {}


def client_ip_text(request: web.Request) -> str:
    """`client_ip` as text, memoised: the same clients come back again and again, and the
    standard library spells an address out in Python, digit group by digit group."""
    address = client_ip(request)
    text = _ADDRESS_TEXT.get(address)
    if text is None:
        if len(_ADDRESS_TEXT) >= _TEXT_LIMIT:
            _ADDRESS_TEXT.clear()
        text = _ADDRESS_TEXT[address] = str(address)
    return text
