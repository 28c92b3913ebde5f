"""GET /auth/passkeys: the page where a user adds, renames and removes their passkeys.

The page itself holds nothing: `passkeys.js` logs in through /auth/authorize (as any client of
the hub does, with this page as its redirect URI), keeps the access token in memory only, and
calls /api/passkeys. Registering needs the browser, so it happens here.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from hearth.frontend import html
from hearth.http.view import public

routes = web.RouteTableDef()

PATH: Final = "/auth/passkeys"


@routes.get(PATH)
@public
async def passkeys_page(request: web.Request) -> web.Response:
    """The shell of the passkeys page (all data comes from the API once logged in)."""
    body = (
        '<noscript><p class="error">This page needs JavaScript: passkeys are created by the '
        "browser.</p></noscript>"
        '<div id="passkeys">'
        '<p class="note" id="pk-status" role="status">Logging in…</p>'
        '<ul id="pk-list" class="passkeys"></ul>'
        '<form id="pk-add" hidden>'
        + html.field("Name of the new passkey", "pk-name", autocomplete="off")
        + '<button type="submit">Add a passkey</button></form>'
        '<form id="pk-remove" hidden><input type="hidden" id="pk-remove-id">'
        + html.password_field(
            "Your password, to remove the passkey", "pk-password", "current-password"
        )
        + '<button type="submit">Remove it</button></form>'
        '<p class="note">Passkeys need this page to be opened by the hub\'s name over HTTPS '
        "(or as localhost). See the documentation, docs/passkeys.md.</p>"
        "</div>"
    )
    return html.respond("Your passkeys", body)
