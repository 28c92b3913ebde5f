"""Which client ids and redirect URIs may start a login (IndieAuth as Home Assistant does it)."""

from __future__ import annotations

import pytest

from hearth.auth.clients import form_action_source, valid_client_id, valid_redirect_uri


@pytest.mark.parametrize(
    ("client_id", "valid"),
    [
        ("http://hub.local:8123/", True),
        ("https://example.com/", True),
        ("https://home-assistant.io/android", True),
        ("http://192.168.1.5:8123/", True),
        ("ftp://example.com/", False),
        ("javascript:alert(1)", False),
        ("http:///nohost", False),
        ("https://user:pw@example.com/", False),
        ("https://example.com/#frag", False),
        ("https://example.com/a/../b", False),
        ("https://exa mple.com/", False),
        ("https://example.com/\x00", False),
        ("", False),
        ("https://example.com/" + "a" * 3000, False),
        (None, False),
        (42, False),
    ],
)
def test_client_ids(client_id: object, valid: bool) -> None:
    assert valid_client_id(client_id) is valid


@pytest.mark.parametrize(
    ("client_id", "redirect_uri", "valid"),
    [
        ("http://hub.local:8123/", "http://hub.local:8123/?auth_callback=1", True),
        ("http://hub.local:8123/", "http://hub.local:8123/somewhere/else", True),
        ("http://hub.local:8123/", "http://HUB.local:8123/", True),
        ("http://hub.local:8123/", "http://hub.local:9999/", False),
        ("http://hub.local:8123/", "https://hub.local:8123/", False),
        ("http://hub.local:8123/", "http://evil.example/", False),
        ("http://hub.local:8123/", "http://hub.local.evil.example:8123/", False),
        ("http://hub.local:8123/", "http://user@hub.local:8123/", False),
        ("http://hub.local:8123/", "homeassistant://auth-callback", False),
        ("https://home-assistant.io/android", "homeassistant://auth-callback", True),
        ("https://home-assistant.io/iOS", "homeassistant://auth-callback", True),
        ("https://home-assistant.io/iOS", "homeassistant://other", False),
        ("https://home-assistant.io/iOS", "https://evil.example/", False),
        ("javascript:x", "javascript:x", False),
        ("http://hub.local:8123/", None, False),
    ],
)
def test_redirect_uris(client_id: object, redirect_uri: object, valid: bool) -> None:
    assert valid_redirect_uri(client_id, redirect_uri) is valid


def test_form_action_sources() -> None:
    assert form_action_source("http://hub.local:8123/?auth_callback=1") == "http://hub.local:8123"
    assert form_action_source("homeassistant://auth-callback") == "homeassistant:"
