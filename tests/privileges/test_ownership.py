"""Giving the configuration directory to the hub's user, without giving anything else away."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hearth.exceptions import PrivilegeError
from hearth.privileges import ownership
from hearth.privileges.ownership import give_config_dir

UID = GID = 65534  # the tests run as root: "the hub's user" is nobody here

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


def owner_and_mode(path: Path) -> tuple[int, int, int]:
    info = os.lstat(path)
    return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A directory as a hub started as root leaves it: root's, some files loose."""
    config = tmp_path / "config"
    (config / "tls").mkdir(parents=True)
    for name, mode in (("configuration.yaml", 0o644), ("hearth.db", 0o600),
                       ("hearth.db-wal", 0o600), (".hearth.lock", 0o600),
                       ("tls/server.key", 0o400), ("tls/server.crt", 0o644)):  # fmt: skip
        (config / name).write_text("x\n")
        (config / name).chmod(mode)
    (config / "tls").chmod(0o755)
    return config


def test_everything_inside_becomes_the_users_with_private_modes(config: Path) -> None:
    changed = give_config_dir(config, "nobody", UID, GID)
    assert changed == 8
    assert owner_and_mode(config) == (UID, GID, 0o700)
    assert owner_and_mode(config / "tls") == (UID, GID, 0o700)
    for name in ("configuration.yaml", "hearth.db", "hearth.db-wal", ".hearth.lock",
                 "tls/server.key", "tls/server.crt"):  # fmt: skip
        assert owner_and_mode(config / name) == (UID, GID, 0o600), name
    assert give_config_dir(config, "nobody", UID, GID) == 0  # nothing left to change


def test_set_id_bits_are_cleared(config: Path) -> None:
    (config / "configuration.yaml").chmod(0o4755)
    give_config_dir(config, "nobody", UID, GID)
    assert owner_and_mode(config / "configuration.yaml") == (UID, GID, 0o600)


def test_a_symlink_inside_is_not_followed(config: Path, tmp_path: Path) -> None:
    """Attack: the hub's user plants `config/x -> /etc/shadow` for root to give away."""
    system_file = tmp_path / "shadow"
    system_file.write_text("root:secret\n")
    system_file.chmod(0o640)
    (config / "stolen").symlink_to(system_file)
    system_dir = tmp_path / "etc"
    system_dir.mkdir(mode=0o755)
    (system_dir / "passwd").write_text("x\n")
    (config / "tls" / "linked-dir").symlink_to(system_dir)
    give_config_dir(config, "nobody", UID, GID)
    assert owner_and_mode(system_file) == (0, 0, 0o640)
    assert owner_and_mode(system_dir) == (0, 0, 0o755)
    assert owner_and_mode(system_dir / "passwd")[:2] == (0, 0)
    assert os.lstat(config / "stolen").st_uid == 0  # the link itself is left alone too


def test_a_hard_link_is_refused_and_left_alone(config: Path, tmp_path: Path) -> None:
    """Attack: the hub's user hard-links a system file into the directory (when the kernel's
    protected_hardlinks allows it); root must not give that file away."""
    system_file = tmp_path / "shadow"
    system_file.write_text("root:secret\n")
    system_file.chmod(0o640)
    os.link(system_file, config / "tls" / "innocent.pem")
    with pytest.raises(PrivilegeError) as info:
        give_config_dir(config, "nobody", UID, GID)
    assert str(info.value).startswith(f"{config}/tls/innocent.pem has 2 names (hard links)")
    assert owner_and_mode(system_file) == (0, 0, 0o640)


def test_the_directory_itself_may_be_reached_through_a_link(config: Path, tmp_path: Path) -> None:
    link = tmp_path / "etc-hearth"
    link.symlink_to(config)
    give_config_dir(link, "nobody", UID, GID)
    assert owner_and_mode(config / "hearth.db") == (UID, GID, 0o600)


def test_special_files_are_left_alone(config: Path) -> None:
    os.mkfifo(config / "pipe", 0o644)
    give_config_dir(config, "nobody", UID, GID)
    assert owner_and_mode(config / "pipe") == (0, 0, 0o644)


def test_the_walk_is_bounded(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ownership, "MAX_ENTRIES", 3)
    with pytest.raises(PrivilegeError, match="holds more than 3 entries"):
        give_config_dir(config, "nobody", UID, GID)
    monkeypatch.setattr(ownership, "MAX_ENTRIES", 100)
    monkeypatch.setattr(ownership, "MAX_DEPTH", 0)
    with pytest.raises(PrivilegeError, match="nested more than 0 directories"):
        give_config_dir(config, "nobody", UID, GID)
