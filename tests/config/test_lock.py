"""The instance lock: one hub per configuration directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hearth import const
from hearth.config.lock import InstanceLock
from hearth.exceptions import ConfigError


def test_a_second_lock_is_refused_naming_the_holder(config_dir: Path) -> None:
    first = InstanceLock.acquire(config_dir)
    try:
        lock_file = config_dir / const.LOCK_FILE
        assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600
        assert lock_file.read_text() == f"{os.getpid()}\n"
        # flock belongs to an open file: a second open in this process conflicts like a process.
        with pytest.raises(ConfigError) as info:
            InstanceLock.acquire(config_dir)
        assert str(info.value) == (
            f"{config_dir}: another hub (pid {os.getpid()}) is already running with this "
            "configuration directory; stop it first (two hubs must not share one database)"
        )
    finally:
        first.release()
    again = InstanceLock.acquire(config_dir)
    again.release()
    again.release()  # idempotent
    assert (config_dir / const.LOCK_FILE).read_text() == ""  # emptied, never removed


def test_a_looser_lock_file_is_made_private(config_dir: Path) -> None:
    (config_dir / const.LOCK_FILE).write_text("999999\n")
    (config_dir / const.LOCK_FILE).chmod(0o644)
    InstanceLock.acquire(config_dir).release()
    assert stat.S_IMODE((config_dir / const.LOCK_FILE).stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory"])
def test_a_lock_file_that_is_not_a_file_is_refused(
    config_dir: Path, tmp_path: Path, kind: str
) -> None:
    path = config_dir / const.LOCK_FILE
    if kind == "symlink":
        path.symlink_to(tmp_path / "elsewhere")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(ConfigError) as info:
        InstanceLock.acquire(config_dir)
    assert str(info.value).startswith(f"{path}: ")
    assert not (tmp_path / "elsewhere").exists()
