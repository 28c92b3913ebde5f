"""Which clients may start a login, and where their codes may be sent (IndieAuth, as HA does).

A client is identified by a URL (`client_id`); the code goes to `redirect_uri`, which must be on
the client's own origin. Unlike Home Assistant, Hearth never fetches the client's page to look
for other allowed redirect URIs: that would let anyone make the hub request any URL (SSRF).
The only cross-origin redirects are the official mobile apps' fixed callback.
"""

from __future__ import annotations

import re
from typing import Final

from yarl import URL

MAX_CLIENT_URL_LENGTH: Final = 2048
APP_CALLBACK: Final = "homeassistant://auth-callback"
# Home Assistant's companion apps (iOS builds and Android) and their fixed callback.
APP_CLIENT_IDS: Final = frozenset(
    {
        "https://home-assistant.io/iOS",
        "https://home-assistant.io/iOS/beta",
        "https://home-assistant.io/iOS/dev",
        "https://home-assistant.io/android",
    }
)
_SCHEME: Final = re.compile(r"[a-z][a-z0-9+.-]{0,31}")


def _parse(value: object) -> URL | None:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_CLIENT_URL_LENGTH:
        return None
    if not value.isascii() or any(ch <= " " or ch == "\x7f" for ch in value):
        return None
    try:
        return URL(value)
    except ValueError:
        return None


def valid_client_id(client_id: object) -> bool:
    """An http(s) URL with a host, without credentials or a fragment."""
    url = _parse(client_id)
    return (
        isinstance(client_id, str)
        and url is not None
        and url.scheme in ("http", "https")
        and bool(url.host)
        and url.user is None
        and url.password is None
        and not url.fragment
        # Checked on the text as sent: the parser would quietly resolve `a/../b` to `b`.
        and not {".", ".."} & set(client_id.split("?")[0].split("/")[3:])
    )


def valid_redirect_uri(client_id: object, redirect_uri: object) -> bool:
    """Whether codes for `client_id` may be sent to `redirect_uri`."""
    if not valid_client_id(client_id):
        return False
    if redirect_uri == APP_CALLBACK and client_id in APP_CLIENT_IDS:
        return True
    client, target = _parse(client_id), _parse(redirect_uri)
    if client is None or target is None or target.user is not None or target.fragment:
        return False
    return (
        target.scheme == client.scheme and target.host == client.host and target.port == client.port
    )


def form_action_source(redirect_uri: str) -> str:
    """The CSP source that lets a form submission redirect to `redirect_uri`."""
    url = URL(redirect_uri)
    if url.scheme in ("http", "https"):
        return str(url.origin())
    if not _SCHEME.fullmatch(url.scheme):
        raise ValueError("unexpected scheme")
    return f"{url.scheme}:"
