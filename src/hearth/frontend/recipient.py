"""Who receives the login: shown on the login page, with a warning for anyone but the hub itself.

The login page is the hub's own, but the code it hands out at the end goes to whichever client
opened it. A link from a stranger's site looks the same as the hub's own login unless the page
says where the code will go, as Home Assistant's login page does.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web
from yarl import URL

from hearth.auth.clients import APP_CALLBACK, APP_CLIENT_IDS
from hearth.frontend.html import e

# Home Assistant's companion apps, by client id (their codes go to APP_CALLBACK on the device).
APP_NAMES: Final = {
    "https://home-assistant.io/iOS": "iOS",
    "https://home-assistant.io/iOS/beta": "iOS",
    "https://home-assistant.io/iOS/dev": "iOS",
    "https://home-assistant.io/android": "Android",
}
_SHOWN_URI: Final = 300  # characters of the redirect target shown (the rest is elided)


def origin_of(url: str) -> str:
    """scheme://host[:port] of an http(s) URL, the host in its ASCII (punycode) form."""
    parsed = URL(url)
    port = "" if parsed.port is None or parsed.is_default_port() else f":{parsed.port}"
    host = parsed.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parsed.scheme}://{host}{port}"


def app_name(client_id: str, redirect_uri: str) -> str | None:
    """The companion app's name when the login goes to that app on this device, else None."""
    if redirect_uri != APP_CALLBACK or client_id not in APP_CLIENT_IDS:
        return None
    return APP_NAMES.get(client_id, "mobile")


def is_own_origin(request: web.Request, client_id: str, redirect_uri: str) -> bool:
    """Whether client and redirect target are this page's own origin (the hub's web client)."""
    # request.url is built from the Host, which hearth.http.host_check has already vouched for.
    own = origin_of(str(request.url))
    return origin_of(client_id) == own and origin_of(redirect_uri) == own


def recipient_notice(request: web.Request, client_id: str, redirect_uri: str) -> str:
    """The block at the top of every login step: who gets the login (HTML, escaped)."""
    if is_own_origin(request, client_id, redirect_uri):
        return ""
    app = app_name(client_id, redirect_uri)
    if app is not None:
        return (
            '<div class="notice" role="note"><p>You are logging in to the Home Assistant '
            f"{e(app)} app. After you log in, the app on this device gets access to this "
            "hub.</p></div>"
        )
    target = redirect_uri if len(redirect_uri) <= _SHOWN_URI else redirect_uri[:_SHOWN_URI] + "…"
    # Threat: phishing with the hub's own page. A link from another site leads here and the
    # code goes to that site; the user must see to whom, before typing a password.
    return (
        '<div class="notice warning" role="alert">'
        f'<p class="who"><strong>{e(origin_of(client_id))}</strong></p>'
        "<p>is asking for access to this hub. This is not the hub's own web page.</p>"
        "<p>After you log in, your login is sent to:</p>"
        f'<p><code class="target">{e(target)}</code></p>'
        "<p>Continue only if you trust this site and opened this page from it yourself.</p>"
        "</div>"
    )
