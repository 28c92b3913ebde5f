"""Start-up checks in hearth.bootstrap that need more than the configuration file."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.passwords import PasswordHasher
from hearth.bootstrap import check_files, check_trusted_admins, log_config_warnings
from hearth.config import read_config
from hearth.config.net_rules import TRUSTED_ADMIN, WIDE_PROXY
from hearth.exceptions import ConfigError

PASSWORD = "correct horse battery staple"
TRUSTED = (
    "auth:\n  trusted_networks:\n    - networks: [192.168.50.0/24]\n      users: [kitchen, alice]\n"
)
REMOTE = (
    "http:\n  remote_access: true\n  use_x_forwarded_for: true\n  trusted_proxies: [10.0.0.2]\n"
)


@pytest.fixture
def auth(tmp_path: Path) -> Iterator[AuthManager]:
    """A store with an administrator `alice` and an ordinary user `kitchen`."""
    hasher = PasswordHasher(memory_cost=64, time_cost=1, parallelism=1)
    manager = AuthManager.open(tmp_path, hasher=hasher)
    asyncio.run(manager.create_user("alice", PASSWORD, is_admin=True))
    asyncio.run(manager.create_user("kitchen", PASSWORD))
    yield manager
    manager.close()


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        (REMOTE + TRUSTED, True),
        (TRUSTED, False),  # local access only: a trusted network may log an admin in
        (REMOTE + TRUSTED.replace("kitchen, alice", "kitchen"), False),
        (REMOTE + TRUSTED.replace("kitchen, alice", "kitchen, nobody"), False),
    ],
)
def test_trusted_networks_for_admins_with_remote_access(
    tmp_path: Path, auth: AuthManager, text: str, refused: bool
) -> None:
    (tmp_path / "configuration.yaml").write_text(text)
    config = read_config(tmp_path)
    if not refused:
        check_trusted_admins(config, auth)
        return
    with pytest.raises(ConfigError) as info:
        check_trusted_admins(config, auth)
    assert str(info.value) == (
        f"configuration.yaml, line 8: auth.trusted_networks[0].users[1]: {TRUSTED_ADMIN}"
    )


def test_warnings_are_logged_with_file_line_and_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "configuration.yaml").write_text(
        "http:\n  use_x_forwarded_for: true\n  trusted_proxies:\n    - 192.168.0.0/16\n"
    )
    with caplog.at_level(logging.WARNING, logger="hearth.bootstrap"):
        log_config_warnings(read_config(tmp_path))
    assert caplog.messages == [f"configuration.yaml, line 4: http.trusted_proxies[0]: {WIDE_PROXY}"]


def test_check_files_refuses_and_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir(mode=0o700)
    (config_dir / "configuration.yaml").write_text("")
    config_dir.chmod(0o770)
    with pytest.raises(ConfigError, match=r"writable by its group .*`chmod go-w "):
        check_files(config_dir)
    config_dir.chmod(0o700)
    with caplog.at_level(logging.WARNING, logger="hearth.bootstrap"):
        check_files(config_dir, read_config(config_dir))
    assert caplog.messages == []


def test_optional_features_are_not_imported_by_a_hub_without_them() -> None:
    """The SSH console (asyncssh) and ACME (acme, josepy) load only when configured, and
    webauthn (with pyOpenSSL) at the first passkey ceremony: a hub without them starts faster
    and carries less code."""
    optional = ("asyncssh", "acme", "josepy", "webauthn", "OpenSSL")
    probe = (
        "import sys, hearth.bootstrap, hearth.http.server\n"
        f"print(sorted(m for m in {optional!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
