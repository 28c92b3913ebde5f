"""Crafted configuration directories and hosts for the check tests."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Final

from hearth.auth.manager import AuthManager
from hearth.auth.mfa import store as mfa_store
from hearth.auth.models import User
from hearth.auth.passwords import PasswordHasher
from hearth.certs.authority import Hosts, write_self_signed
from hearth.check.context import CheckContext, Host, Options
from hearth.check.model import Check
from hearth.check.runner import run_check

PASSWORD: Final = "correct-horse-battery-staple-42"
NOW: Final = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# Files of the fixtures belong to this user when the tests run as root, as a hub's would.
HUB_UID: Final = 4242
# Cheap Argon2 for tests: the checks never look at the hash.
FAST_HASHER: Final = {"memory_cost": 8, "time_cost": 1, "parallelism": 1}

HARDENED_SSHD: Final = """\
# A hardened sshd_config
Include sshd_config.d/*.conf
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
"""

HARDENED_CONFIG: Final = """\
homeassistant:
  name: Hardened Home
  latitude: !secret home_latitude
  time_zone: UTC
http:
  server_host: 127.0.0.1
  server_port: 18123
  ssl_certificate: tls/server.crt
  ssl_key: tls/server.key
auth:
  mfa_required: all
"""


def write(directory: Path, files: Mapping[str, str], mode: int = 0o600) -> None:
    """Write `files` (relative path -> text) below `directory`, each with `mode`."""
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)


def config_dir(tmp_path: Path, config: str, **files: str) -> Path:
    """A private config dir holding configuration.yaml (and more files by name)."""
    path = tmp_path / "config"
    path.mkdir(mode=0o700)
    write(
        path, {"configuration.yaml": config, **{k.replace("__", "/"): v for k, v in files.items()}}
    )
    return path


def open_auth(path: Path, clock: Callable[[], float] = NOW.timestamp) -> AuthManager:
    """The real auth store of a config dir, with a cheap hasher and a fixed clock."""
    return AuthManager.open(path, hasher=PasswordHasher(**FAST_HASHER), clock=clock)


def enroll_mfa(auth: AuthManager, user: User) -> None:
    """Give `user` a TOTP second factor (as auth/setup_mfa would)."""
    asyncio.run(
        auth.db.write(
            partial(
                mfa_store.enroll,
                user_id=user.id,
                secret="JBSWY3DPEHPK3PXP",
                last_step=0,
                created_at=NOW,
                code_hashes=[],
            )
        )
    )


def give_to_hub_user(path: Path) -> None:
    """When the tests run as root, hand the tree to HUB_UID, like a hub's own files."""
    if os.geteuid() != 0:
        return
    for root, dirs, names in os.walk(path):
        for name in [*dirs, *names]:
            os.chown(os.path.join(root, name), HUB_UID, HUB_UID)
    os.chown(path, HUB_UID, HUB_UID)


def hub_uid() -> int:
    """The uid the fixtures' files belong to."""
    return HUB_UID if os.geteuid() == 0 else os.geteuid()


def hardened_dir(tmp_path: Path) -> Path:
    """A clean installation: TLS, MFA for all, secrets in secrets.yaml, private files."""
    path = config_dir(tmp_path, HARDENED_CONFIG, **{"secrets.yaml": "home_latitude: 52.37\n"})
    write_self_signed(
        path / "tls", Hosts.parse(["hub.local", "127.0.0.1"]), now=datetime.now(UTC), new_ca=True
    )
    auth = open_auth(path, clock=lambda: datetime.now(UTC).timestamp())
    try:
        owner = asyncio.run(auth.create_user("owner", PASSWORD, is_owner=True))
        enroll_mfa(auth, owner)
    finally:
        auth.close()
    give_to_hub_user(path)
    return path


def hardened_host(tmp_path: Path) -> Host:
    """A crafted host: hardened sshd, ufw on, only private addresses, a supported Python."""
    root = tmp_path / "host"
    write(
        root,
        {
            "etc/ssh/sshd_config": HARDENED_SSHD,
            "etc/ssh/sshd_config.d/10-hardening.conf": "PermitEmptyPasswords no\n",
            "etc/ufw/ufw.conf": "ENABLED=yes\n",
            "proc/net/fib_trie": "Local:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 192.168.1.10\n"
            "        /32 host LOCAL\n     |-- 127.0.0.1\n        /32 host LOCAL\n",
            "proc/net/if_inet6": "00000000000000000000000000000001 01 80 10 80       lo\n",
        },
        mode=0o644,
    )
    return Host(
        root=root, sshd_config=root / "etc/ssh/sshd_config", hub_uid=hub_uid(), python=(3, 13)
    )


def context(
    path: Path,
    host: Host | None = None,
    *,
    now: datetime = NOW,
    options: Options | None = None,
    where: str = "cli",
) -> CheckContext:
    """A context for `path` with a crafted host (the hub's user by default)."""
    return CheckContext(
        path,
        where="hub" if where == "hub" else "cli",
        now=now,
        host=host or Host(hub_uid=hub_uid(), euid=hub_uid()),
        options=options or Options(offline=True),
    )


def finding_ids(check: Check, ctx: CheckContext) -> list[str]:
    """The rule ids one check reports, sorted."""
    return sorted(finding.rule.id for finding in run_check(check, ctx).findings)
