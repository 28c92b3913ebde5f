"""The login page over plain HTTP: it names who receives the login, and warns about strangers.

`/auth/authorize?client_id=https://evil.example/&redirect_uri=https://evil.example/steal` used
to show only "Log in"; after the password the code went to evil.example.
"""

from __future__ import annotations

import html
import urllib.parse

import pytest

from tests.acceptance.support import RunningHub, request

pytestmark = pytest.mark.acceptance


def page(hub: RunningHub, client_id: str, redirect_uri: str) -> str:
    query = urllib.parse.urlencode(
        {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
    )
    reply = request(hub, "GET", f"/auth/authorize?{query}")
    assert reply.status == 200, reply
    return reply.body.decode()


def test_login_page_names_the_recipient(hub: RunningHub) -> None:
    foreign = page(hub, "https://evil.example/", "https://evil.example/steal")
    warning = foreign.index('class="notice warning"')
    assert warning < foreign.index('name="password"')  # before the password is typed
    assert "<strong>https://evil.example</strong>" in foreign
    assert '<code class="target">https://evil.example/steal</code>' in foreign

    # Lookalike and encoded names are shown in their ASCII form; markup in them is escaped.
    sneaky = page(
        hub,
        "https://xn--hom-assistant-9db.example/",
        "https://xn--hom-assistant-9db.example/?a=<b>",
    )
    assert "https://xn--hom-assistant-9db.example" in sneaky
    assert html.escape("?a=<b>") in sneaky
    assert "?a=<b>" not in sneaky

    app = page(hub, "https://home-assistant.io/iOS", "homeassistant://auth-callback")
    assert "Home Assistant iOS app" in app
    assert 'class="notice warning"' not in app

    own = f"{hub.base_url}/"
    assert 'class="notice' not in page(hub, own, f"{own}?auth_callback=1")
    # The hub's own client reached by another of its names is a different origin: warned.
    other_name = f"http://localhost:{hub.port}/"
    assert 'class="notice warning"' in page(hub, other_name, f"{other_name}?auth_callback=1")
