"""Helpers for hubs started as root that switch to an unprivileged user (tests run as root)."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hearth.privileges.status import ProcessStatus, thread_statuses
from tests.acceptance.support import CLI_TIMEOUT, hub_env

TEST_USER = "hearth-test"  # a locked system user the tests create once per machine


def ensure_user(name: str = TEST_USER) -> pwd.struct_passwd:
    """The system user `name`, created locked (no shell, no password, no home) when missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    for _attempt in range(3):  # useradd fails while another holds /etc/passwd's lock
        created = _useradd(name)
        try:
            return pwd.getpwnam(name)
        except KeyError:
            time.sleep(0.5)
    raise AssertionError(f"useradd {name} failed: {created.stderr}")


def _useradd(name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


@dataclass(frozen=True)
class Checkout:
    """A checkout as `git clone` leaves it under /root: readable itself, inside a directory
    the hub's user cannot enter. Its interpreter, stdlib, venv and sources are all reached
    through that directory, so whatever the hub imports after switching users fails."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "venv" / "bin" / "python"

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    def env(self) -> dict[str, str]:
        return {**hub_env(), "PYTHONPATH": str(self.root / "src")}


def closed_checkout(closed: Path) -> Checkout:
    """Build the checkout in `closed`, a directory only root may enter (pytest's tmp_path)."""
    assert not os.stat(closed).st_mode & 0o077, "the outer directory must be closed to others"
    root = closed / "checkout"
    site = root / "venv" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (root / "venv" / "bin").mkdir(parents=True)
    site.mkdir(parents=True)
    root.chmod(0o755)
    (root / "py").symlink_to(sys.base_prefix)
    (site / "site-packages").symlink_to(next(p for p in sys.path if p.endswith("site-packages")))
    binary = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (root / "venv" / "bin" / "python").symlink_to(root / "py" / "bin" / binary)
    (root / "venv" / "pyvenv.cfg").write_text(
        f"home = {root / 'py' / 'bin'}\ninclude-system-site-packages = false\n"
    )
    (root / "src").symlink_to(Path(__file__).resolve().parents[2] / "src")
    return Checkout(root)


def assert_unprivileged(pid: int, user: pwd.struct_passwd) -> list[ProcessStatus]:
    """Every thread of `pid` runs as `user` with no capability: CapPrm, CapEff, CapInh and
    CapAmb are 0 (setuid clears them), and so is CapBnd: the kernel keeps the bounding set
    after setuid, so the hub empties it with prctl while it still may; NoNewPrivs is set."""
    statuses = thread_statuses(pid)
    for status in statuses:
        assert set(status.uids) == {user.pw_uid}, status
        assert set(status.gids) == {user.pw_gid}, status
        assert 0 not in status.groups, status
        assert (status.cap_permitted, status.cap_effective) == (0, 0), status
        assert (status.cap_inheritable, status.cap_ambient) == (0, 0), status
        assert status.cap_bounding == 0, status
        assert status.no_new_privs, status
    return statuses
