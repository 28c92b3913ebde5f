"""`/.well-known/acme-challenge/TOKEN`: the http-01 answer, for pending tokens only.

CAs ask in plain HTTP. With ACME on, the hub's port speaks HTTPS, so the request arrives at the
TLS listener's plain-HTTP path (hearth.http.tls.listener), or at the port-80 listener that exists
only during an order (hearth.acme.port80): both answer it with `challenge_reply`, before and
outside the application. The application's route answers the same tokens over HTTPS, for a CA
that followed a redirect there. Nothing here counts toward a ban: an unknown token is a plain 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Final

from aiohttp import web

from hearth.acme.challenges import TOKEN, ChallengeStore
from hearth.exceptions import NotFound
from hearth.http.headers import BASE_HEADERS
from hearth.http.host_check import UNKNOWN_HOST
from hearth.http.view import public

PREFIX: Final = "/.well-known/acme-challenge/"
NO_CHALLENGE: Final = "No pending ACME challenge has this token."
KEY_ACME_CHALLENGES: web.AppKey[ChallengeStore] = web.AppKey("hearth_acme_challenges")


def _reply(status: str, body: bytes, content_type: str, *, head: bool) -> bytes:
    headers = {
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "Cache-Control": "no-store",
        "Connection": "close",
        **BASE_HEADERS,
    }
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"HTTP/1.1 {status}\r\n{lines}\r\n".encode("ascii") + (b"" if head else body)


def _message(text: str) -> bytes:
    return json.dumps({"message": text}).encode()


def challenge_reply(
    head: bytes,
    store: ChallengeStore | None,
    host_allowed: Callable[[str], bool] | None = None,
) -> bytes | None:
    """The raw answer to a plain-HTTP challenge request; None when `head` asks for another path.

    200 with the key authorization for a pending token requested by one of the hub's names;
    400 for a foreign Host; 404 for anything else under the prefix. Pure apart from the store.
    """
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return None
    request_line, _, rest = text.partition("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[1].startswith(PREFIX):
        return None
    method, target, version = parts
    is_head = method == "HEAD"
    if method not in ("GET", "HEAD") or not version.startswith("HTTP/1."):
        return _reply("404 Not Found", _message(NO_CHALLENGE), "application/json", head=is_head)
    hosts = [
        line.partition(":")[2].strip()
        for line in rest.split("\r\n")
        if line.partition(":")[0].strip().lower() == "host"
    ]
    if len(hosts) != 1 or (host_allowed is not None and not host_allowed(hosts[0])):
        return _reply("400 Bad Request", _message(UNKNOWN_HOST), "application/json", head=is_head)
    token = target[len(PREFIX) :]
    answer = store.http01(token) if store is not None and TOKEN.fullmatch(token) else None
    if answer is None:
        return _reply("404 Not Found", _message(NO_CHALLENGE), "application/json", head=is_head)
    return _reply("200 OK", answer, "text/plain", head=is_head)


@public
async def challenge_view(request: web.Request) -> web.Response:
    """GET /.well-known/acme-challenge/{token} over HTTPS (a CA that followed a redirect)."""
    store = request.app.get(KEY_ACME_CHALLENGES)
    token = request.match_info["token"]
    answer = store.http01(token) if store is not None else None
    if answer is None:
        raise NotFound(NO_CHALLENGE)
    return web.Response(
        body=answer, content_type="text/plain", headers={"Cache-Control": "no-store"}
    )


def setup(app: web.Application) -> None:
    """Register the route; it answers 404 until an ACME store is attached."""
    app.router.add_get(PREFIX + "{token}", challenge_view)
