"""Key paths: display of keys, and finding where a key was written."""

from __future__ import annotations

import pytest

from hearth.config.paths import LoadedConfig, Location, format_key, parse_key, show


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ((), None),
        (("http",), "http"),
        (("http", "server_host", 0), "http.server_host[0]"),
        (("a\nb",), "a\\nb"),
        (("x" * 200,), "x" * 60 + "…"),
    ],
)
def test_format_key(path: tuple[str | int, ...], shown: str | None) -> None:
    """Keys are dotted, list items indexed, and everything fits on one line."""
    assert format_key(path) == shown


@pytest.mark.parametrize(
    "path", [("http",), ("http", "server_host", 0), ("auth", "trusted_networks", 1, "users", 12)]
)
def test_parse_key_reverses_format_key(path: tuple[str | int, ...]) -> None:
    key = format_key(path)
    assert key is not None
    assert parse_key(key) == path


def test_parse_key_stops_at_a_malformed_index() -> None:
    assert parse_key("http.server_host[x].y") == ("http", "server_host")


def test_show_keeps_messages_on_one_line() -> None:
    """Control characters are escaped and long text is cut."""
    assert show("plain") == "plain"
    assert show("tab\there") == "tab\\there"
    assert show("é" * 100, 5) == "ééééé…"


def test_locate_falls_back_to_enclosing_key() -> None:
    """A path without a location of its own is reported at its nearest located ancestor."""
    loaded = LoadedConfig(
        data={},
        locations={(): Location("configuration.yaml", 1), ("http",): Location("h.yaml", 4)},
        origins={},
    )
    assert loaded.locate(("http", "server_host", 0)) == (("http",), Location("h.yaml", 4))
    assert loaded.locate(("demo",)) == ((), Location("configuration.yaml", 1))
    assert LoadedConfig({}, {}, {}).locate(("x",)) == ((), Location("configuration.yaml", 1))
