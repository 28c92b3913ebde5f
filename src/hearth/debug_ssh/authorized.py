"""Per-user authorized keys: `ssh/authorized_keys.d/USERNAME`, OpenSSH's authorized_keys format.

Keys only, plain: a line with options before the key (`from=`, `command=` ...) is refused, as
are DSA keys and RSA keys under 3072 bits, each with a message naming the file and line. The
files are read through a descriptor of the directory opened at start, so the hub still reaches
them after it gave root up (hearth.privileges), and a key added later works without a restart.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from hearth import const
from hearth.auth.store import USERNAME_RE
from hearth.debug_ssh.files import check_path, keys_dir, problem, refusal

_LOGGER = logging.getLogger(__name__)

_WEAK = "DSA keys are refused (broken since 2015); use an Ed25519 key (`ssh-keygen -t ed25519`)"


@dataclass(frozen=True, slots=True)
class KeyLine:
    """One accepted key, or the reason a line was refused."""

    line: int
    key: asyncssh.SSHKey | None
    refused: str | None = None


def _key_problem(key: asyncssh.SSHKey) -> str | None:
    """Why an otherwise valid key is too weak, or None."""
    algorithm = key.algorithm.decode("ascii", "replace")
    if algorithm == "ssh-dss":
        return _WEAK
    if algorithm.startswith("ssh-rsa") or algorithm.startswith("rsa-"):
        bits = int(getattr(getattr(key, "pyca_key", None), "key_size", 0))
        if bits < const.DEBUG_SSH_MIN_RSA_BITS:
            return (
                f"an RSA key of {bits} bits is refused (at least "
                f"{const.DEBUG_SSH_MIN_RSA_BITS}); use an Ed25519 key (`ssh-keygen -t ed25519`)"
            )
    return None


def parse_keys(text: str) -> Iterator[KeyLine]:
    """Every non-empty, non-comment line: its key, or why it is refused."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("ssh-dss "):
            yield KeyLine(number, None, _WEAK)
            continue
        try:
            key = asyncssh.import_public_key(line)
        except (asyncssh.KeyImportError, ValueError):
            yield KeyLine(
                number,
                None,
                "not a public key in OpenSSH format (`TYPE BASE64 [COMMENT]`; options before "
                "the key, such as from= or command=, are not supported)",
            )
            continue
        weak = _key_problem(key)
        yield KeyLine(number, None if weak else key, weak)


@dataclass
class AuthorizedKeys:
    """The keys directory, opened before the hub gave root up."""

    directory: Path
    uid: int  # the hub's user: the only owner (besides root) a keys file may have
    fd: int = -1
    warned: set[tuple[str, int]] = field(default_factory=set)

    @classmethod
    def open(cls, config_dir: Path, uid: int) -> AuthorizedKeys:
        """Check the directory and every file in it (ConfigError: one line); hold it open."""
        directory = keys_dir(config_dir)
        check_path(directory, uid, directory=True)
        keys = cls(directory, uid)
        keys.fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            for name in sorted(os.listdir(keys.fd))[:1000]:
                check_path(directory / name, uid, directory=False)
                keys.report(name, keys.read(name, strict=True))
        except BaseException:
            keys.close()
            raise
        return keys

    def close(self) -> None:
        """Let the directory go."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def usernames(self) -> list[str]:
        """The users that have a keys file."""
        return sorted(name for name in os.listdir(self.fd) if USERNAME_RE.fullmatch(name))

    def read(self, username: str, *, strict: bool = False) -> list[KeyLine]:
        """The lines of one user's file; [] when missing or not trustworthy (logged)."""
        if not USERNAME_RE.fullmatch(username) or username.startswith("."):
            return []
        path = self.directory / username
        try:
            fd = os.open(username, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.fd)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR):
                return []
            raise
        with os.fdopen(fd, "rb") as file:
            reason = problem(os.fstat(file.fileno()), self.uid, directory=False)
            if reason is not None:
                error = refusal(path, reason, self.uid, directory=False)
                if strict:
                    raise error
                _LOGGER.warning("%s: %s (its keys are ignored)", path, reason)
                return []
            data = file.read(const.DEBUG_SSH_MAX_KEYS_FILE)
        return list(parse_keys(data.decode("utf-8", "replace")))

    def keys_of(self, username: str) -> list[asyncssh.SSHKey]:
        """The accepted keys of one user (blocking: call it in a worker thread)."""
        lines = self.read(username)
        self.report(username, lines)
        return [line.key for line in lines if line.key is not None]

    def report(self, username: str, lines: list[KeyLine]) -> None:
        """One warning per refused line, once per process."""
        for line in lines:
            if line.refused is not None and (username, line.line) not in self.warned:
                self.warned.add((username, line.line))
                _LOGGER.warning(
                    "%s line %d: %s", self.directory / username, line.line, line.refused
                )
