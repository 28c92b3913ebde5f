"""Building pages: every value is escaped, every page carries the same strict policy."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from html import escape
from typing import Final

from aiohttp import hdrs, web

from hearth.frontend.static import PREFIX

# Our own files only; no inline script or style; the QR code is a data: image; never framed.
_CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
)


def e(value: object) -> str:
    """Escape for HTML text and quoted attributes."""
    return escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    """A complete page around `body` (which must already be escaped)."""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="same-origin">'
        f"<title>{e(title)} · Hearth</title>"
        f'<link rel="stylesheet" href="{PREFIX}hearth.css">'
        f'<script src="{PREFIX}auth.js" defer></script>'
        f'<script src="{PREFIX}passkeys.js" defer></script>'
        '</head><body><main class="card">'
        f'<p class="brand">Hearth</p><h1>{e(title)}</h1>{body}'
        "</main></body></html>\n"
    )


def respond(title: str, body: str, *, status: int = 200, form_action: str = "") -> web.Response:
    """The page as a response, with its Content-Security-Policy."""
    action = "'self'" + (f" {form_action}" if form_action else "")
    return web.Response(
        text=page(title, body),
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": _CSP.format(form_action=action),
            "X-Frame-Options": "DENY",
            # Not no-referrer: with it, browsers send `Origin: null` with our own forms, and
            # the cross-site check (hearth.http.csrf) could not tell them from a foreign page's.
            # Nothing leaves the hub's origin either way.
            hdrs.REFERRER_POLICY: "same-origin",
            hdrs.CACHE_CONTROL: "no-store",
        },
    )


def hidden(fields: Mapping[str, str | None]) -> str:
    """Hidden inputs for the non-empty fields."""
    return "".join(
        f'<input type="hidden" name="{e(name)}" value="{e(value)}">'
        for name, value in fields.items()
        if value
    )


def field(
    label: str,
    name: str,
    *,
    kind: str = "text",
    autocomplete: str = "off",
    value: str = "",
    autofocus: bool = False,
    extra: str = "",
) -> str:
    """A labelled input."""
    focus = " autofocus" if autofocus else ""
    return (
        f'<label for="{e(name)}">{e(label)}</label>'
        f'<input id="{e(name)}" name="{e(name)}" type="{e(kind)}" value="{e(value)}" '
        f'autocomplete="{e(autocomplete)}" required{focus}{extra}>'
    )


def password_field(label: str, name: str, autocomplete: str, *, autofocus: bool = False) -> str:
    """A password input with a show/hide button (the button works only with auth.js)."""
    return (
        field(label, name, kind="password", autocomplete=autocomplete, autofocus=autofocus)
        + f'<button type="button" class="reveal" data-reveal="{e(name)}" hidden>Show</button>'
    )


def checkbox(label: str, name: str, checked: bool = False) -> str:
    """A labelled checkbox that sends "true" when ticked."""
    tick = " checked" if checked else ""
    return (
        f'<label class="check"><input type="checkbox" name="{e(name)}" value="true"{tick}> '
        f"{e(label)}</label>"
    )


def select(label: str, name: str, options: Iterable[tuple[str, str]]) -> str:
    """A labelled choice."""
    items = "".join(f'<option value="{e(value)}">{e(text)}</option>' for value, text in options)
    return (
        f'<label for="{e(name)}">{e(label)}</label>'
        f'<select id="{e(name)}" name="{e(name)}">{items}</select>'
    )


def error(message: str | None) -> str:
    """An error paragraph (announced by screen readers), or nothing."""
    return f'<p class="error" role="alert">{e(message)}</p>' if message else ""


def form(action: str, inner: str, submit: str) -> str:
    """A POST form that submits once (auth.js disables the button while it is sent)."""
    return (
        f'<form method="post" action="{e(action)}" class="once">{inner}'
        f'<button type="submit">{e(submit)}</button></form>'
    )


def svg_image(svg: str, alt: str) -> str:
    """An SVG as an <img> with a data: URL, so that nothing in it can run or restyle the page."""
    data = base64.b64encode(svg.encode()).decode()
    return f'<img class="qr" alt="{e(alt)}" src="data:image/svg+xml;base64,{data}">'
