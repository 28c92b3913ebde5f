"""Who receives a login, as data: origins, the companion apps, and the notice's escaping."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from hearth.frontend.recipient import app_name, origin_of, recipient_notice


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://evil.example/steal?x=1", "https://evil.example"),
        ("HTTPS://Evil.Example:443/", "https://evil.example"),
        ("http://hub.local:8123/?auth_callback=1", "http://hub.local:8123"),
        ("http://[::1]:8123/", "http://[::1]:8123"),
        ("https://xn--hom-assistant-9db.example/", "https://xn--hom-assistant-9db.example"),
        ("homeassistant://auth-callback", "homeassistant://auth-callback"),
    ],
)
def test_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_app_names_only_with_the_app_callback() -> None:
    assert (
        app_name("https://home-assistant.io/android", "homeassistant://auth-callback") == "Android"
    )
    assert app_name("https://home-assistant.io/iOS/beta", "homeassistant://auth-callback") == "iOS"
    assert app_name("https://home-assistant.io/android", "https://home-assistant.io/x") is None
    assert app_name("https://evil.example/", "homeassistant://auth-callback") is None


def _request(host: str) -> web.Request:
    return make_mocked_request("GET", "/auth/authorize", headers={"Host": host})


def test_notice() -> None:
    request = _request("hub.local:8123")
    own = "http://hub.local:8123/"
    assert recipient_notice(request, own, own + "?auth_callback=1") == ""
    foreign = recipient_notice(request, "https://evil.example/", 'https://evil.example/"><b>')
    assert "<strong>https://evil.example</strong>" in foreign
    assert "&quot;&gt;&lt;b&gt;" in foreign
    assert "<b>" not in foreign.replace("<strong>", "")
    long = recipient_notice(request, "https://evil.example/", "https://evil.example/" + "a" * 1000)
    assert len(long) < 1000
