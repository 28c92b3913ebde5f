"""The console's Ed25519 host key: created 0600 on first enable, its SHA-256 fingerprint shown."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import asyncssh

from hearth.debug_ssh.files import check_path, host_key_path, keys_dir, make_private_dir, ssh_dir
from hearth.exceptions import ConfigError

_LOGGER = logging.getLogger(__name__)
_READ_LIMIT = 64 * 1024


def fingerprint(key: asyncssh.SSHKey) -> str:
    """`SHA256:...`, as `ssh-keygen -lf` and OpenSSH's first-connection prompt show it."""
    return key.get_fingerprint("sha256")


def _write_new(path: Path) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    data = key.export_private_key("openssh")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    _LOGGER.info("Created the debug console's host key %s", path)
    return key


def read_host_key(config_dir: Path) -> asyncssh.SSHKey | None:
    """The host key if it exists (None if not); ConfigError if it is unreadable."""
    path = host_key_path(config_dir)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ConfigError(
            f"cannot read the debug console's host key: {err.strerror}", file=str(path)
        ) from None
    with os.fdopen(fd, "rb") as file:
        data = file.read(_READ_LIMIT)
    try:
        key = asyncssh.import_private_key(data)
    except (asyncssh.KeyImportError, ValueError):
        raise ConfigError(
            "the debug console's host key is not an OpenSSH private key; remove it and a new "
            "one is created at the next start",
            file=str(path),
        ) from None
    if key.algorithm != b"ssh-ed25519":
        raise ConfigError(
            "the debug console's host key must be Ed25519; remove it and a new one is created "
            "at the next start",
            file=str(path),
        )
    return key


def load_or_create(config_dir: Path, uid: int) -> asyncssh.SSHKey:
    """The host key, created (with `ssh/` and its keys directory) on the first enabled start."""
    directory = ssh_dir(config_dir)
    make_private_dir(directory)
    check_path(directory, uid, directory=True)
    make_private_dir(keys_dir(config_dir))
    path = host_key_path(config_dir)
    check_path(path, uid, directory=False)
    key = read_host_key(config_dir)
    return key if key is not None else _write_new(path)
