"""`debug_console`: the SSH debug console's state, exposure and key files, as configured."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncssh
import pytest

from hearth.check.checks import debug_console
from tests.check.support import (
    PASSWORD,
    config_dir,
    context,
    finding_ids,
    give_to_hub_user,
    open_auth,
)

ED25519 = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
ON = "debug_ssh:\n  enabled: true\n"
KEYS = "ssh__authorized_keys.d__admin"

CASES = [
    ("off", "", {}, []),
    ("on, LAN", ON, {KEYS: ED25519}, ["ssh.debug_console"]),
    (
        "on, remote access",
        ON + "http:\n  remote_access: true\n  use_x_forwarded_for: true\n"
        "  trusted_proxies: 127.0.0.1\n",
        {},
        ["ssh.debug_console", "ssh.debug_console_remote"],
    ),
    (
        "on, a public address",
        ON + "  server_host: 1.2.3.4\n",
        {},
        ["ssh.debug_console", "ssh.debug_console_remote"],
    ),
    (
        "a weak key",
        ON,
        {KEYS: "ssh-dss AAAAB3NzaC1kc3MAAACBAP8=\n" + ED25519},
        ["ssh.debug_console", "ssh.debug_console_keys"],
    ),
    (
        "keys of someone who is not an administrator",
        ON,
        {"ssh__authorized_keys.d__guest": ED25519},
        ["ssh.debug_console", "ssh.debug_console_keys"],
    ),
]


@pytest.mark.parametrize(
    ("config", "files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_findings(tmp_path: Path, config: str, files: dict[str, str], expected: list[str]) -> None:
    path = config_dir(tmp_path, config, **files)
    if (path / "ssh").exists():
        (path / "ssh").chmod(0o700)
    auth = open_auth(path)
    try:
        asyncio.run(auth.create_user("admin", PASSWORD, is_owner=True))
    finally:
        auth.close()
    give_to_hub_user(path)
    assert finding_ids(debug_console.CHECK, context(path)) == sorted(expected)


def test_a_keys_file_others_can_read_fails(tmp_path: Path) -> None:
    path = config_dir(tmp_path, ON, **{KEYS: ED25519})
    (path / "ssh").chmod(0o700)
    give_to_hub_user(path)
    keys = path / "ssh" / "authorized_keys.d" / "admin"
    keys.chmod(0o644)
    report = debug_console.CHECK.run(context(path))
    files = [f for f in report if f.rule.id == "ssh.debug_console_files"]
    assert len(files) == 1
    assert "has mode 0644" in files[0].detail
    assert files[0].fix.startswith(f"Run `chmod 600 {keys}`")
