"""`files`: the configuration directory and the files holding secrets are private to the hub.

The core is `assess(path, stat result, expected)`, a pure function, so that the hub's start-up
permission check can share it.
"""

from __future__ import annotations

import os
import pwd
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hearth import const
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity

_SEED_SECRETS = 'Securing checklist: "Keep your secrets safe."'

MODE = Rule(
    "files.mode",
    Severity.FAIL,
    "A private file or directory is open to other users",
    _SEED_SECRETS + " CIS Benchmark: sensitive files are not group- or world-accessible",
    "{fix}",
)
OWNER = Rule(
    "files.owner",
    Severity.FAIL,
    "A private file or directory belongs to another user",
    _SEED_SECRETS + " Least privilege: only the hub's user may change its files",
    "{fix}",
)
PARENT = Rule(
    "files.parent_writable",
    Severity.FAIL,
    "Another user can replace the configuration directory",
    "CIS Benchmark and OpenSSH's StrictModes: every directory above a secret must be writable "
    "only by root or its owner",
    "{fix}",
)


@dataclass(frozen=True, slots=True)
class Expected:
    """What a path should look like: private (no group/other access) or only not writable."""

    owner: int
    private: bool = True  # False: group/others may read, not write (configuration.yaml)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a path, and the command that fixes it."""

    kind: Literal["mode", "owner"]
    detail: str
    fix: str


def user_name(uid: int) -> str:
    """`hearth` for a known uid, else the number."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def assess(path: str, info: os.stat_result, expected: Expected) -> list[Problem]:
    """What is wrong with `path` given its stat result (pure: no file system access)."""
    problems = []
    is_dir = stat.S_ISDIR(info.st_mode)
    mode = stat.S_IMODE(info.st_mode)
    loose = mode & (0o077 if expected.private else 0o022)
    if loose:
        wanted = (0o700 if is_dir else 0o600) if expected.private else mode & ~0o022
        who = [name for bit, name in ((0o070, "its group"), (0o007, "everyone")) if loose & bit]
        verbs = [
            verb
            for bit, verb in (
                (0o044, "read"),
                (0o022, "write"),
                (0o011, "enter" if is_dir else "run"),
            )
            if loose & bit
        ]
        problems.append(
            Problem(
                "mode",
                f"{path} has mode {mode:04o}: {' and '.join(who)} can {' and '.join(verbs)} it",
                f"`chmod {wanted:o} {path}`",
            )
        )
    if info.st_uid != expected.owner:
        owner, hub = user_name(info.st_uid), user_name(expected.owner)
        problems.append(
            Problem(
                "owner",
                f"{path} belongs to {owner}, not to {hub}, the hub's user",
                f"`chown {hub} {path}`",
            )
        )
    return problems


def parent_problem(path: Path, info: os.stat_result, child_uid: int, owner: int) -> str | None:
    """Why directory `path` lets another user swap its child (owned by `child_uid`), or None.

    A sticky world-writable directory (/tmp) is safe for children owned by root or the hub.
    """
    mode = stat.S_IMODE(info.st_mode)
    trusted = (0, owner)
    if info.st_uid not in trusted:
        return f"{path} belongs to {user_name(info.st_uid)}"
    if mode & 0o022 and not (mode & stat.S_ISVTX and child_uid in trusted):
        return f"{path} has mode {mode:04o}: other users can rename or replace what is in it"
    return None


def _private_paths(ctx: CheckContext) -> Iterator[tuple[Path, bool]]:
    """(path, private) for every path the hub keeps secrets in."""
    base = ctx.config_dir
    yield base, True
    yield base / const.CONFIG_FILE, False
    yield base / const.SECRETS_FILE, True
    for suffix in ("", "-wal", "-shm"):
        yield base / f"{const.DATABASE_FILE}{suffix}", True
    tls_dir = base / const.TLS_DIR
    if tls_dir.is_dir():
        yield tls_dir, True
        for key in sorted(tls_dir.glob("*.key")):
            yield key, True
    try:
        key_file = ctx.config.http.ssl_key
    except NotChecked:
        key_file = None
    if key_file is not None and not Path(key_file).is_relative_to(tls_dir):
        yield Path(key_file), True


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Modes and owners of the private paths, then the directories above the config dir."""
    if not ctx.config_dir.is_dir():
        raise NotChecked(f"{ctx.config_dir} is not a directory")
    owner, how = ctx.hub_owner()
    for path, private in _private_paths(ctx):
        try:
            info = path.stat()
        except OSError:
            continue
        for problem in assess(str(path), info, Expected(owner, private)):
            rule = MODE if problem.kind == "mode" else OWNER
            detail = problem.detail if problem.kind == "mode" else f"{problem.detail} ({how})"
            yield rule.found(detail, fix=problem.fix)
    child = Path(os.path.realpath(ctx.config_dir))
    child_uid = child.stat().st_uid
    for parent in child.parents:
        try:
            info = parent.stat()
        except OSError:
            break
        why = parent_problem(parent, info, child_uid, owner)
        if why is not None:
            yield PARENT.found(
                why,
                fix=f"`chmod go-w {parent}` and `chown root {parent}`, or move the "
                "configuration directory somewhere only root and the hub's user can write",
            )
        child_uid = info.st_uid


CHECK = Check("files", "File permissions", (MODE, OWNER, PARENT), run)
