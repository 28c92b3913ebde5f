"""Who may change the console's key files: the hub's user (or root) alone, modes 0600/0700.

Threat: whoever can write a user's authorized keys file can log in to the console as that
user; whoever can read the host key can impersonate the hub. The console refuses to start on
such files, and a keys file that goes wrong while the hub runs is ignored (and logged).
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from hearth import const
from hearth.config.permissions import user_name
from hearth.exceptions import ConfigError


def ssh_dir(config_dir: Path) -> Path:
    """`ssh/` in the configuration directory."""
    return config_dir / const.DEBUG_SSH_DIR


def keys_dir(config_dir: Path) -> Path:
    """`ssh/authorized_keys.d/`: one OpenSSH authorized_keys file per Hearth user."""
    return ssh_dir(config_dir) / const.DEBUG_SSH_KEYS_DIR


def host_key_path(config_dir: Path) -> Path:
    """The console's Ed25519 host key."""
    return ssh_dir(config_dir) / const.DEBUG_SSH_HOST_KEY


def problem(info: os.stat_result, uid: int, *, directory: bool) -> str | None:
    """Why a file or directory with this stat may not be trusted, or None.

    `uid` is the hub's user; root may own the files too (the hub gives them to its user when
    it switches to it, hearth.privileges).
    """
    kind = "a directory" if directory else "a regular file"
    if (stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)) is False:
        return f"is not {kind}"
    if info.st_uid not in (0, uid):
        return (
            f"is owned by {user_name(info.st_uid)} (uid {info.st_uid}), not by "
            f"{user_name(uid)}, the user the hub runs as"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        wanted = "0700" if directory else "0600"
        return f"has mode {mode:04o}: it must be {wanted} (no access for group or others)"
    return None


def fix_command(path: Path, reason: str, uid: int, *, directory: bool) -> str:
    """The shell command that mends `reason`."""
    if "owned by" in reason:
        return shlex.join(["chown", user_name(uid), str(path)])
    if "is not" in reason:
        return shlex.join(["rm", str(path)])
    return shlex.join(["chmod", "700" if directory else "600", str(path)])


def refusal(path: Path, reason: str, uid: int, *, directory: bool) -> ConfigError:
    """The one line that stops the console, with the command that fixes it."""
    fix = fix_command(path, reason, uid, directory=directory)
    return ConfigError(
        f"the debug console will not start: {path} {reason}; fix it with `{fix}`",
        file=str(path),
    )


def check_path(path: Path, uid: int, *, directory: bool) -> None:
    """ConfigError unless `path` (never followed if a link) is the hub's and private."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    reason = problem(info, uid, directory=directory)
    if reason is not None:
        raise refusal(path, reason, uid, directory=directory)


def make_private_dir(path: Path) -> None:
    """Create a 0700 directory unless it is there."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
