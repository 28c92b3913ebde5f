"""GET /hearth/security: the page's frame, rendered by the hub; security.js fills it in.

The page itself holds no data, so anyone may load it: the script logs in like any other client
(the dashboard's tokens when it is shown in the dashboard, else the login page) and every value
it shows comes from WebSocket commands that the hub checks (administrators only, except the
user's own section).
"""

from __future__ import annotations

from typing import Final

from aiohttp import hdrs, web

from hearth.frontend.html import e
from hearth.frontend.security_center.mine import MINE
from hearth.frontend.security_center.paths import SECURITY_PATH
from hearth.frontend.static import PREFIX
from hearth.http.view import public

# Like the login pages' policy, but the dashboard (same origin) may show it in its iframe panel,
# and the script talks to the hub's WebSocket and token endpoint.
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)

# (anchor, title, admin only, what the section is for)
SECTIONS: Final = (
    ("check", "Check", True, "The hub's own security check, graded, each finding with its fix."),
    ("signins", "Sign-ins", True, "Logins per hour for the last 7 days; failed ones in red."),
    ("bans", "Bans", True, "Addresses refused after too many failed logins."),
    ("sessions", "Sessions and tokens", True, "Every user's logins and long-lived tokens."),
    ("users", "Users", True, "Each account's role, second factor, password and last login."),
    ("audit", "Audit log", True, "What happened, to whom, from where. Filter, then export."),
    ("mine", "My security", False, "Your password, second factor, tokens and sessions."),
)


def _input(label: str, name: str, hint: str = "") -> str:
    return (
        f'<label for="audit-{name}">{e(label)}</label>'
        f'<input id="audit-{name}" name="{name}" type="text" maxlength="200" autocomplete="off"'
        f' placeholder="{e(hint)}">'
    )


# The audit log's filter: each field optional; the script sends them to audit/log.
AUDIT_FORM: Final = (
    '<form id="audit-filter" class="filters">'
    + _input("User", "user", "username")
    + _input("Event", "event", "login_failed")
    + _input("Address", "ip", "192.168.1.20")
    + _input("Since", "since", "7d, 12h or 2026-01-31")
    + '<button type="submit">Filter</button>'
    + '<button type="button" id="audit-csv">Export CSV</button>'
    + '<button type="button" id="audit-jsonl">Export JSON Lines</button></form>'
)
# The allow-list: addresses never banned. Public ones need the box ticked (ban/allow/add).
ALLOW_FORM: Final = (
    '<h3>Allow-list</h3><div data-body="allow" aria-live="polite"></div>'
    '<form id="allow-form"><label for="allow-network">Address or network to never ban</label>'
    '<input id="allow-network" name="network" type="text" maxlength="64" autocomplete="off" '
    'placeholder="192.168.1.0/24" required>'
    '<label class="check" id="allow-confirm-box" hidden><input type="checkbox" '
    'name="confirm_public" id="allow-confirm"> This public address is my own</label>'
    '<button type="submit">Add to the allow-list</button>'
    '<p class="result" role="status"></p></form><h3>Current bans</h3>'
)
EXTRA: Final = {"audit": AUDIT_FORM, "mine": MINE, "bans": ALLOW_FORM}


def _section(anchor: str, title: str, admin: bool, intro: str) -> str:
    marker = " data-admin hidden" if admin else ""
    return (
        f'<section id="{anchor}" aria-labelledby="{anchor}-title"{marker}>'
        f'<h2 id="{anchor}-title">{e(title)}</h2><p class="note">{e(intro)}</p>'
        f"{EXTRA.get(anchor, '')}"
        f'<div class="body" data-body="{anchor}" aria-live="polite"></div></section>'
    )


def render() -> str:
    """The whole page."""
    nav = "".join(
        f'<li{" data-admin hidden" if admin else ""}><a href="#{anchor}">{e(title)}</a></li>'
        for anchor, title, admin, _ in SECTIONS
    )
    sections = "".join(_section(*section) for section in SECTIONS)
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="same-origin">'
        "<title>Security Center · Hearth</title>"
        f'<link rel="stylesheet" href="{PREFIX}hearth.css">'
        f'<link rel="stylesheet" href="{PREFIX}security.css">'
        f'<script src="{PREFIX}security.js" defer></script>'
        '</head><body class="security">'
        '<a class="skip" href="#content">Skip to the sections</a>'
        '<header><p class="brand">Hearth</p><h1>Security Center</h1>'
        f'<nav aria-label="Sections"><ul>{nav}</ul></nav>'
        '<p id="status" role="status">Connecting to the hub…</p></header>'
        f'<main id="content" tabindex="-1">{sections}</main>'
        "<noscript><p>This page needs JavaScript. The same information is available from the "
        "command line: <code>hearth check</code>, <code>hearth ban list</code>.</p></noscript>"
        "</body></html>\n"
    )


@public
async def security_page(request: web.Request) -> web.Response:
    """The Security Center's page (no data in it; see the module's docstring)."""
    return web.Response(
        text=render(),
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": CSP,
            "X-Frame-Options": "SAMEORIGIN",
            hdrs.REFERRER_POLICY: "same-origin",
            hdrs.CACHE_CONTROL: "no-store",
        },
    )


def setup(app: web.Application) -> None:
    """Serve the page at SECURITY_PATH."""
    app.router.add_get(SECURITY_PATH, security_page)
