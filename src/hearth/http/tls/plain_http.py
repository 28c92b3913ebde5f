"""Which plain-HTTP requests to the HTTPS port get a redirect (the rest get the listener's 400).

A person who types `http://hub:8123/` deserves to land on the HTTPS page. But a request that
carries credentials (a token, a cookie, a login code in the query) has already crossed the
network in clear text: a redirect would hide that mistake, so it gets the `400` that says to
use https://, and so does everything that is not a plain page view (API calls, WebSocket
upgrades, bodies). Pure logic on the raw request head; nothing is routed or logged from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qsl

from hearth.http.headers import BASE_HEADERS

MAX_HEAD: Final = 8192  # bytes of request head read before deciding
# Query parameters that carry a secret (a login code, a token, a password).
CREDENTIAL_PARAMETERS: Final = frozenset(
    {
        "access_token",
        "api_password",
        "authsig",
        "client_secret",
        "code",
        "password",
        "refresh_token",
        "setup_code",
        "token",
    }
)
_CREDENTIAL_HEADERS: Final = frozenset({"authorization", "cookie", "proxy-authorization"})
_HOST: Final = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$"
)
# Origin-form targets of URL characters only: nothing that could mean markup or a new header.
_TARGET: Final = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]{0,2047}$")


def redirect_target(head: bytes, host_allowed: Callable[[str], bool] | None = None) -> str | None:
    """The https:// URL for a page request without credentials, or None (answer with 400).

    `host_allowed` is the Host check (hearth.http.host_check): a redirect is a link built from
    `Host`, so a name that is not the hub's own gets the 400 instead (no DNS-rebinding help).
    """
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return None
    request_line, _, rest = text.partition("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or parts[0] not in ("GET", "HEAD") or not parts[2].startswith("HTTP/1."):
        return None
    target = parts[1]
    if not _TARGET.match(target) or target.startswith(("/api/", "/auth/token")):
        return None
    if not text.endswith("\r\n\r\n"):
        return None  # incomplete or with a body: not a page view
    host = None
    for line in rest.split("\r\n"):
        if not line:
            break
        name, sep, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not sep or name in _CREDENTIAL_HEADERS or name in ("upgrade", "transfer-encoding"):
            return None
        if name == "content-length" and value != "0":
            return None
        if name == "host":
            if host is not None:
                return None
            host = value
    if host is None or not _HOST.match(host):
        return None
    if host_allowed is not None and not host_allowed(host):
        return None
    query = target.partition("?")[2]
    names = {name.lower() for name, _ in parse_qsl(query, keep_blank_values=True)}
    if names & CREDENTIAL_PARAMETERS:
        return None
    return f"https://{host}{target}"


def redirect_reply(head: bytes, host_allowed: Callable[[str], bool] | None = None) -> bytes | None:
    """A `301` to the same URL over HTTPS for a plain page view; None for anything else."""
    location = redirect_target(head, host_allowed)
    if location is None:
        return None
    headers = {"Location": location, "Content-Length": "0", "Connection": "close", **BASE_HEADERS}
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"HTTP/1.1 301 Moved Permanently\r\n{lines}\r\n".encode("ascii")
