"""Fixed refusals, rendered to bytes once: the answers a flood gets cost the least.

A banned client, a request without a token or with a forged one, a malformed target: the same
few answers go out over and over, often to whoever is attacking the hub. Each is a `Refusal`
made once; its status line, headers and body are rendered once per kind of answer (HTTP
version, TLS or not, kept alive or not, the path's caching rule) and written in one piece, with
only the Date filled in. The headers are exactly those of an ordinary response of the same
status (hearth.http.headers); when the application has response-prepare signals of its own, the
refusal is built and sent as an ordinary response instead, so no signal is ever skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Final

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter

from hearth import const
from hearth.http.headers import BASE_HEADERS, ResponseHeaders, hub_only, response_headers
from hearth.http.view import JSON_CONTENT_TYPE, json_bytes

_CACHE_LIMIT: Final = 64  # rendered variants per application; CORS origins vary the key


@dataclass(frozen=True, eq=False)
class Refusal:
    """One fixed answer: status and message (`{"message": ...}`), and whether to hang up."""

    status: int
    message: str
    close: bool = False  # do not keep talking to a client that sent this
    body: bytes = field(init=False)
    fields: tuple[tuple[str, str], ...] = field(init=False)  # besides the security headers
    reason: str = field(init=False)

    def __post_init__(self) -> None:
        body = json_bytes({"message": self.message})
        fields = [(hdrs.CONTENT_TYPE, JSON_CONTENT_TYPE), (hdrs.CONTENT_LENGTH, str(len(body)))]
        if self.status == 401:
            fields.append((hdrs.WWW_AUTHENTICATE, "Bearer"))
        object.__setattr__(self, "body", body)
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "reason", HTTPStatus(self.status).phrase)

    def response(self) -> web.Response:
        """A response to return from a check or a view."""
        return RenderedResponse(self)

    def head(
        self,
        spec: ResponseHeaders,
        version: tuple[int, int],
        *,
        secure: bool,
        keep_alive: bool,
        per_request: list[tuple[str, str]],
    ) -> bytes:
        """Status line and headers up to the Date (made once per variant, then remembered)."""
        key = (self, version, secure, keep_alive, *per_request)
        cache: dict[Any, bytes] = spec.rendered
        head = cache.get(key)
        if head is None:
            lines = [f"HTTP/{version[0]}.{version[1]} {self.status} {self.reason}"]
            lines += [f"{name}: {value}" for name, value in (*self.fields, *per_request)]
            if not keep_alive and version >= (1, 1):
                lines.append("Connection: close")
            elif keep_alive and version == (1, 0):
                lines.append("Connection: keep-alive")
            head = "\r\n".join(lines).encode("latin-1") + b"\r\n" + spec.data_lines(secure=secure)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[key] = head
        return head

    def wire(self, head: bytes, *, head_only: bool = False) -> bytes:
        """The whole answer: `head`, the Date, and the body unless it answers a HEAD request."""
        if head_only:
            return head + date_line() + b"\r\n"
        return head + date_line() + b"\r\n" + self.body


def raw_reply(status: int, reason: str, message: str, *extra: str) -> bytes:
    """A complete HTTP/1.1 response, for when no request object exists (yet) to answer."""
    body = json_bytes({"message": message})
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in BASE_HEADERS.items()),
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


REQUEST_TIMEOUT_REPLY: Final = raw_reply(
    408, "Request Timeout", "The request headers did not arrive in time."
)
TOO_MANY_CONNECTIONS_REPLY: Final = raw_reply(
    503,
    "Service Unavailable",
    "Too many connections from your address.",
    f"Retry-After: {int(const.HEADER_READ_TIMEOUT)}",
)
HUB_FULL_REPLY: Final = raw_reply(
    503,
    "Service Unavailable",
    "The hub has too many open connections; try again shortly.",
    f"Retry-After: {int(const.HEADER_READ_TIMEOUT)}",
)


class _DateLine:
    """`Date: ...` for the current second, made once a second."""

    __slots__ = ("line", "second")

    def __init__(self) -> None:
        self.second = -1
        self.line = b""

    def __call__(self) -> bytes:
        now = int(time.time())
        if now != self.second:
            self.line = f"Date: {formatdate(now, usegmt=True)}\r\n".encode("ascii")
            self.second = now
        return self.line


date_line: Final = _DateLine()


class RenderedResponse(web.Response):
    """A Refusal as a response: ready-made bytes, or an ordinary response when it must be one.

    Nothing of an ordinary response is made up front (aiohttp only calls prepare() and
    write_eof() and reads keep_alive); touching any of its fields (`headers`, `body`, ...) makes
    it, and the refusal is then sent as that ordinary response.
    """

    def __init__(self, refusal: Refusal) -> None:  # the ordinary fields only on demand
        self._refusal = refusal
        self._wire: bytes | None = None
        self._built = False
        self._state = {}
        self._status = refusal.status
        self._reason = refusal.reason
        if refusal.close:
            self._keep_alive = False

    def __getattr__(self, name: str) -> Any:
        # Only for attributes that do not exist: the ordinary response's, not made yet.
        if name.startswith("__") or self.__dict__.get("_built", True):
            raise AttributeError(name)
        self._build()
        return getattr(self, name)

    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        state, keep_alive = self._state, self._keep_alive
        refusal = self._refusal
        extra = {name: value for name, value in refusal.fields if name == hdrs.WWW_AUTHENTICATE}
        web.Response.__init__(
            self,
            body=refusal.body,
            status=refusal.status,
            content_type=JSON_CONTENT_TYPE,
            headers=extra,
        )
        self._state, self._keep_alive = state, keep_alive

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        """Render the answer for this request (or prepare the ordinary response)."""
        if self._eof_sent:
            return None
        if self._payload_writer is not None:
            return self._payload_writer
        if self._built or not isinstance(request, web.Request) or not hub_only(request.app):
            self._build()
            return await super().prepare(request)
        spec = response_headers(request.app)
        keep_alive = request.keep_alive if self._keep_alive is None else self._keep_alive
        self._keep_alive = keep_alive
        head = self._refusal.head(
            spec,
            tuple(request.version),  # type: ignore[arg-type]
            secure=request.secure,
            keep_alive=keep_alive,
            per_request=spec.per_request(request.path, request.headers),
        )
        self._wire = self._refusal.wire(head, head_only=request.method == hdrs.METH_HEAD)
        self._req = request
        writer = self._payload_writer = request.writer
        return writer

    async def write_eof(self, data: bytes = b"") -> None:
        """Send the rendered bytes in one write (or finish the ordinary response)."""
        wire = self._wire
        if wire is None:
            await super().write_eof(data)
            return
        self._wire = None
        await web.StreamResponse.write_eof(self, wire)
