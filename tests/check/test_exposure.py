"""`exposure`: remote access, trusted networks and proxies, CORS, bans, as configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.check.checks import config as config_check
from hearth.check.checks import exposure
from tests.check.support import config_dir, context, finding_ids

PROXY = "  use_x_forwarded_for: true\n  trusted_proxies: 127.0.0.1\n"

CASES = [
    ("defaults", "", "", []),
    (
        "remote, TLS, MFA for remote",
        "  remote_access: true\n" + PROXY + "  server_host: 127.0.0.1\n",
        "  mfa_required: remote\n",
        [],
    ),
    (
        "remote behind a proxy on all interfaces",
        "  remote_access: true\n" + PROXY,
        "  mfa_required: all\n",
        ["exposure.plain_http_everywhere"],
    ),
    (
        "remote without MFA",
        "  remote_access: true\n" + PROXY + "  server_host: 127.0.0.1\n",
        "  mfa_required: admins\n",
        ["exposure.remote_without_mfa"],
    ),
    (
        "trusted loopback",
        "",
        "  trusted_networks:\n    - networks: 127.0.0.1\n      users: alice\n",
        ["exposure.trusted_loopback"],
    ),
    (
        "trusted LAN",
        "",
        "  trusted_networks:\n    - networks: 192.168.1.0/24\n      users: alice\n",
        [],
    ),
    (
        "trusted network made local by local_networks",
        "  local_networks: 203.0.113.0/24\n",
        "  trusted_networks:\n    - networks: 203.0.113.0/24\n      users: alice\n",
        [],
    ),
    (
        "proxies without forwarded-for",
        "  trusted_proxies: 192.168.1.2\n",
        "",
        ["exposure.forwarded_unused"],
    ),
    (
        "a public proxy network",
        "  use_x_forwarded_for: true\n  trusted_proxies: 203.0.113.8/30\n",
        "",
        ["exposure.proxy_not_local"],
    ),
    (
        "CORS over http",
        "  cors_allowed_origins: http://dash.example.com\n",
        "",
        ["exposure.cors_not_https"],
    ),
    ("CORS over https", "  cors_allowed_origins: https://dash.example.com\n", "", []),
    ("CORS from localhost", "  cors_allowed_origins: http://localhost:3000\n", "", []),
    ("bans off", "  ip_ban_enabled: false\n", "", ["exposure.bans_disabled"]),
    ("threshold 10", "  login_attempts_threshold: 10\n", "", []),
    ("threshold 11", "  login_attempts_threshold: 11\n", "", ["exposure.ban_threshold_high"]),
]


@pytest.mark.parametrize(
    ("http", "auth", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_findings(tmp_path: Path, http: str, auth: str, expected: list[str]) -> None:
    config = "http:\n  server_port: 8123\n" + http + "auth:\n  password_min_length: 12\n" + auth
    assert finding_ids(exposure.CHECK, context(config_dir(tmp_path, config))) == sorted(expected)


def test_a_public_trusted_network_is_refused_by_the_loader(tmp_path: Path) -> None:
    """The loader refuses it (the hub would not start), so the report says config.invalid."""
    config = "auth:\n  trusted_networks:\n    - networks: 203.0.113.0/24\n      users: alice\n"
    ctx = context(config_dir(tmp_path, config))
    assert finding_ids(config_check.CHECK, ctx) == ["config.invalid"]
    assert finding_ids(exposure.CHECK, ctx) == []
