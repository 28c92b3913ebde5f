"""Editing the http: section of configuration.yaml without disturbing anything else."""

from __future__ import annotations

import pytest

from hearth.certs.configure import CannotEdit, set_http_keys

VALUES = {"ssl_certificate": "tls/server.crt", "ssl_key": "tls/server.key"}
ADDED = "  ssl_certificate: tls/server.crt\n  ssl_key: tls/server.key\n"

CASES = [
    pytest.param("", "http:\n" + ADDED, id="empty file"),
    pytest.param(
        "homeassistant:\n  name: Home\n",
        "homeassistant:\n  name: Home\n\nhttp:\n" + ADDED,
        id="no http section",
    ),
    pytest.param(
        "demo:\n  lights: 2",
        "demo:\n  lights: 2\n\nhttp:\n" + ADDED,
        id="no trailing newline",
    ),
    pytest.param(
        "# top\nhttp:  # the web server\n  server_port: 8123  # port\n\n  # later\ndemo:\n",
        "# top\nhttp:  # the web server\n  server_port: 8123  # port\n"
        + ADDED
        + "\n  # later\ndemo:\n",
        id="comments and blank lines stay where they were",
    ),
    pytest.param(
        "http:\ndemo:\n",
        "http:\n" + ADDED + "demo:\n",
        id="bare http section",
    ),
    pytest.param(
        "http:\n    server_host:\n      - 127.0.0.1\n    server_port: 8123\n",
        "http:\n    server_host:\n      - 127.0.0.1\n    server_port: 8123\n"
        "    ssl_certificate: tls/server.crt\n    ssl_key: tls/server.key\n",
        id="four-space indentation is kept",
    ),
    pytest.param(
        "http:\n  ssl_certificate: /etc/old.pem  # old\n  server_port: 1\n  ssl_key: !secret k\n",
        "http:\n  ssl_certificate: tls/server.crt\n  server_port: 1\n  ssl_key: tls/server.key\n",
        id="existing values are replaced in place",
    ),
    pytest.param(
        "http:\n  ssl_certificate: >-\n    /a/long/\n    path.pem\n  server_port: 1\n",
        "http:\n  ssl_certificate: tls/server.crt\n  server_port: 1\n  ssl_key: tls/server.key\n",
        id="a multi-line value is replaced whole",
    ),
    pytest.param(
        "http:\r\n  server_port: 1\r\n",
        "http:\r\n  server_port: 1\r\n"
        "  ssl_certificate: tls/server.crt\r\n  ssl_key: tls/server.key\r\n",
        id="CRLF line endings are kept",
    ),
    pytest.param(
        "homeassistant:\n  name: x\nhttp:\n  server_port: !env_var PORT 8123\n"
        "demo: !include d.yaml\n",
        "homeassistant:\n  name: x\nhttp:\n  server_port: !env_var PORT 8123\n"
        + ADDED
        + "demo: !include d.yaml\n",
        id="tags elsewhere are untouched",
    ),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_edits(before: str, after: str) -> None:
    assert set_http_keys(before, VALUES) == after


@pytest.mark.parametrize(("before", "after"), CASES)
def test_editing_twice_changes_nothing_more(before: str, after: str) -> None:
    assert set_http_keys(after, VALUES) == after


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("http: !include http.yaml\n", "included from http.yaml; add the keys there"),
        ("http: {server_port: 1}\n", "on one line"),
        ("http:\n\t server_port: 1\n", "not valid YAML"),
        ("http:\n  - a\n", "not a mapping of keys"),
        ("- a\n- b\n", "not a mapping of sections"),
        ("http: [\n", "not valid YAML"),
        ("homeassistant: [\n", "not valid YAML (line 2)"),
        ('http:\n  note: "multi\n  ssl_key: inside a quoted string"\n', "cannot edit safely"),
    ],
)
def test_layouts_it_will_not_touch(text: str, reason: str) -> None:
    with pytest.raises(CannotEdit, match=reason.replace("(", r"\(").replace(")", r"\)")):
        set_http_keys(text, VALUES)


def test_values_that_need_quotes_are_quoted() -> None:
    text = set_http_keys("", {"ssl_certificate": "my certs/a: b.pem", "ssl_key": "#k"})
    assert 'ssl_certificate: "my certs/a: b.pem"' in text
    assert 'ssl_key: "#k"' in text
