"""Who may change the hub's files: findings, each with the command that fixes it.

Threat: another local user (or a compromised service) who can write to the configuration
directory, secrets.yaml, a TLS key or the database can give themselves a password-less login, a
trusted proxy or an owner account. The hub refuses to start on such files (hearth.bootstrap);
`hearth check` reports the same findings.
"""

from __future__ import annotations

import os
import pwd
import shlex
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from hearth import const
from hearth.exceptions import ConfigError

if TYPE_CHECKING:
    from hearth.config import ConfigFile

MAX_TLS_ENTRIES: Final = 64  # files looked at in tls/: a bound, not a limit anyone meets
_INSIDE: Final = (
    const.CONFIG_FILE,
    const.SECRETS_FILE,
    const.DATABASE_FILE,
    *(const.DATABASE_FILE + suffix for suffix in ("-wal", "-shm", "-journal")),
    # The history: who was home when, what was switched on (hearth.recorder).
    const.RECORDER_DATABASE_FILE,
    *(const.RECORDER_DATABASE_FILE + suffix for suffix in ("-wal", "-shm", "-journal")),
    const.LOCK_FILE,
    const.USERNAME_HASH_KEY_FILE,
    "ip_bans.yaml",
)
_SECRET: Final = frozenset(
    {
        const.SECRETS_FILE,
        const.USERNAME_HASH_KEY_FILE,
        *(name for name in _INSIDE if name.startswith(const.DATABASE_FILE)),
        *(name for name in _INSIDE if name.startswith(const.RECORDER_DATABASE_FILE)),
    }
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One file with a problem; `fix` is the command (program and option) that mends it."""

    path: Path
    problem: str
    fix: tuple[str, ...]
    fatal: bool = True  # False: worth a warning, not a refusal

    @property
    def command(self) -> str:
        """The shell command that fixes this finding alone."""
        return shlex.join([*self.fix, str(self.path)])

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}; fix it with `{self.command}`"


def user_name(uid: int) -> str:
    """The login name of `uid`, or the number when it has none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


class _Checker:
    """Collects findings; each path is looked at once."""

    def __init__(self, uid: int | None) -> None:
        self.uid = uid
        self.findings: list[Finding] = []
        self._seen: set[Path] = set()

    def check(self, path: Path, *, secret: bool = False, ancestor: bool = False) -> None:
        """Check one file or directory (symlinks followed); a missing one is no finding."""
        path = Path(os.path.abspath(path))
        if path in self._seen:
            return
        self._seen.add(path)
        try:
            info = os.stat(path)
        except OSError:
            return
        mode = stat.S_IMODE(info.st_mode)
        # The directories above may belong to anyone trusted (a home directory): only their
        # modes are checked, as a chown there would break more than it fixes.
        if not ancestor and self.uid is not None and info.st_uid not in (0, self.uid):
            runs_as = user_name(self.uid)
            allowed = f"{runs_as} (the user the hub runs as)" + (" or root" if self.uid else "")
            self.findings.append(
                Finding(
                    path,
                    f"owned by {user_name(info.st_uid)} (uid {info.st_uid}), not by {allowed}: "
                    "that user could change it",
                    ("chown", runs_as),
                )
            )
        # A sticky directory (/tmp) lets others add entries but not rename or remove ours.
        sticky = ancestor and stat.S_ISDIR(info.st_mode) and mode & stat.S_ISVTX
        if mode & 0o022 and not sticky:
            who = {0o020: "its group", 0o002: "others", 0o022: "its group and others"}
            self.findings.append(
                Finding(
                    path,
                    f"writable by {who[mode & 0o022]} (mode {mode:04o}): they could change what "
                    "the hub runs with",
                    ("chmod", "go-w"),
                )
            )
        if secret and mode & 0o004 and _reachable(path):
            self.findings.append(
                Finding(
                    path,
                    f"readable by others (mode {mode:04o}), and it holds secrets",
                    ("chmod", "o-r"),
                    fatal=False,
                )
            )

    def check_file(self, path: Path, root: Path, *, secret: bool = False) -> None:
        """A file, and the directory it really lives in when that is outside `root`."""
        self.check(path, secret=secret)
        real = Path(os.path.realpath(path))
        if not real.parent.is_relative_to(root):
            self.check(real.parent)


def _reachable(path: Path) -> bool:
    """Whether others may pass through every directory on the way to `path`."""
    for directory in path.parents:
        try:
            if not os.stat(directory).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def _tls_entries(directory: Path) -> Iterator[Path]:
    """The first MAX_TLS_ENTRIES entries of the tls/ (or acme/) directory."""
    try:
        with os.scandir(directory) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_TLS_ENTRIES:
                    return
                yield Path(entry.path)
    except OSError:
        return


def _configured_files(config: ConfigFile) -> Iterator[tuple[Path, bool]]:
    """(path, holds secrets) of every file the configuration names or was read from."""
    for path in config.loaded.files:
        yield path, path.name == const.SECRETS_FILE
    http = config.config.http
    for public in (http.ssl_certificate, http.ssl_peer_certificate):
        if public is not None:
            yield public, False
    if http.ssl_key is not None:
        yield http.ssl_key, True
    # Whoever can replace the MQTT CA file can stand in for the broker.
    mqtt = config.config.mqtt
    if mqtt is not None:
        for public in (mqtt.ca_certificate, mqtt.client_certificate):
            if public is not None:
                yield public, False
        if mqtt.client_key is not None:
            yield mqtt.client_key, True
    if http.acme is not None:
        # The dns-01 hook runs as the hub: whoever can change it runs commands as the hub.
        for named in (http.acme.ca_bundle, http.acme.dns_hook):
            if named is not None:
                yield named, False


def check_permissions(
    config_dir: Path, config: ConfigFile | None = None, *, uid: int | None = -1
) -> list[Finding]:
    """Findings about the configuration directory, the directories above it and its files.

    `config` adds the included files and the TLS files it names. `uid` is the user the hub runs
    as: -1 for this process's effective user; None skips the owner check (the CLI, which may
    run as root beside a hub that runs as its own user).
    """
    checker = _Checker(os.geteuid() if uid == -1 else uid)
    given = Path(os.path.abspath(config_dir))
    root = Path(os.path.realpath(given))
    if not root.is_dir():
        return []
    # Whoever can rename a directory above the configuration can swap in their own.
    for ancestor in dict.fromkeys([*given.parents, *root.parents]):
        checker.check(ancestor, ancestor=True)
    checker.check(root)
    for name in _INSIDE:
        checker.check_file(root / name, root, secret=name in _SECRET)
    for name in (const.TLS_DIR, const.ACME_DIR):
        tls = root / name
        if tls.is_dir():
            checker.check(tls)
            for entry in _tls_entries(tls):
                checker.check_file(entry, root, secret=entry.suffix == ".key")
    for path, secret in _configured_files(config) if config is not None else ():
        checker.check_file(path, root, secret=secret)
    return checker.findings


def fix_command(findings: Iterable[Finding]) -> str:
    """One shell command line that fixes every finding: the chowns first, then the chmods."""
    grouped: dict[tuple[str, ...], list[str]] = {}
    for finding in findings:
        grouped.setdefault(finding.fix, []).append(str(finding.path))
    order = sorted(grouped, key=lambda fix: fix[0] != "chown")
    return " && ".join(shlex.join([*fix, *dict.fromkeys(grouped[fix])]) for fix in order)


def refusal(findings: Iterable[Finding]) -> ConfigError | None:
    """The one-line error for the fatal findings (the first named, the fix for all), or None."""
    fatal = [finding for finding in findings if finding.fatal]
    if not fatal:
        return None
    first = fatal[0]
    more = f" (and {len(fatal) - 1} more)" if len(fatal) > 1 else ""
    return ConfigError(
        f"{first.problem}{more}; fix it with `{fix_command(fatal)}`", file=str(first.path)
    )
