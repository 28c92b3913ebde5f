"""The relying party of a request: the hub's own name the browser used, never an arbitrary Host.

`request.url` is built from the Host (or, behind a trusted proxy, X-Forwarded-Host and
-Proto), which `hearth.http.host_check` has already matched against the hub's names before any
view runs: a page of another site cannot make the hub issue challenges for its name. WebAuthn
needs a domain name (not an IP address) and a secure context (HTTPS, or `localhost`).
"""

from __future__ import annotations

from ipaddress import ip_address

from aiohttp import web

from hearth.auth.passkeys.ceremony import RelyingParty
from hearth.frontend.recipient import origin_of

NO_PASSKEYS_HERE = (
    "Passkeys need the hub to be opened by a host name over HTTPS (or as localhost), "
    "not by an IP address or over plain HTTP."
)


def _is_address(host: str) -> bool:
    try:
        ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def relying_party(request: web.Request) -> RelyingParty | None:
    """The relying party for this request, or None where browsers refuse passkeys."""
    host = (request.url.raw_host or "").lower().removesuffix(".")
    if not host or _is_address(host):
        return None
    localhost = host == "localhost" or host.endswith(".localhost")
    if request.url.scheme != "https" and not localhost:
        return None
    return RelyingParty(id=host, origin=origin_of(str(request.url)))
