"""Give root up for good: no new privileges, an empty bounding set, then the hub's own user.

Threat: a hub that keeps root turns any code-execution bug (in a parser, in a dependency) into
control of the whole machine. Root is needed only to bind a port below 1024 and to open files
root owns; after that the hub runs as its own user, with no capability and no way back.
"""

from __future__ import annotations

import errno
import grp
import importlib
import os
import pkgutil
import pwd
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hearth.exceptions import PrivilegeError
from hearth.privileges.status import ProcessStatus, thread_statuses

_PR_CAPBSET_DROP: Final = 24
_PR_SET_NO_NEW_PRIVS: Final = 38
_CAP_LAST_CAP: Final = Path("/proc/sys/kernel/cap_last_cap")
_CAP_LAST_FALLBACK: Final = 63

# Modules the hub imports on first use. The interpreter, the venv or the checkout may live where
# the hub's user cannot read (a checkout under /root, a pyenv Python in /root/.pyenv), so
# everything the hub may still import once it serves is imported while it is root.
PRELOAD: Final = (
    "zxcvbn",  # the password policy, on the first password change (hearth.auth.policy)
    "_strptime",  # datetime.strptime
    "encodings.idna",  # a host name with non-ASCII characters
    "encodings.punycode",
    "hass_frontend",  # the dashboard's package (hearth.frontend.ha_index)
)


def _prctl(option: int, arg: int) -> None:
    import ctypes  # only a hub that switches users needs it

    libc = ctypes.CDLL(None, use_errno=True)
    args = (ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    if libc.prctl(ctypes.c_int(option), *args) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _last_capability() -> int:
    try:
        return int(_CAP_LAST_CAP.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return _CAP_LAST_FALLBACK


def limit_inheritance() -> bool:
    """Set no_new_privs and empty the capability bounding set; True when the set is empty.

    Both are per thread and inherited by threads started later, so this runs while the hub has
    one thread. With them no later execve (a setuid binary, a file with capabilities) can give a
    capability back. Emptying the bounding set needs CAP_SETPCAP, which a container's root may
    lack: then no_new_privs alone closes that door.
    """
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    for capability in range(_last_capability() + 1):
        try:
            _prctl(_PR_CAPBSET_DROP, capability)
        except OSError as err:
            if err.errno == errno.EINVAL:  # beyond what this kernel knows
                break
            if err.errno == errno.EPERM:
                return False
            raise
    return True


@dataclass(frozen=True, slots=True)
class Target:
    """The unprivileged user the hub switches to, with its primary and supplementary groups."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]

    @classmethod
    def lookup(cls, name: str) -> Target:
        """The user called `name`; a PrivilegeError when there is none or it is privileged."""
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise PrivilegeError(
                f"--user {name}: there is no such user; create it with `useradd --system "
                f"--no-create-home --shell /usr/sbin/nologin {name}` (`make run` does this for "
                "hearth)"
            ) from None
        groups = tuple(sorted(set(os.getgrouplist(name, entry.pw_gid))))
        if entry.pw_uid == 0:
            raise PrivilegeError(f"--user {name}: that user is root (uid 0); name another user")
        if 0 in groups:
            group = grp.getgrgid(0).gr_name
            raise PrivilegeError(
                f"--user {name}: that user is in the group {group} (gid 0), which owns files "
                "only root should change; name a user outside it"
            )
        return cls(name, entry.pw_uid, entry.pw_gid, groups)


def preload(modules: Iterable[str] = PRELOAD) -> None:
    """Import now what the hub would otherwise import later, when it may no longer read it.

    Every module of Hearth itself is imported too: many load on first use (the CLI, `hearth
    check`, TLS helpers), and any of them may be needed once the hub serves.
    """
    import hearth

    for module in pkgutil.walk_packages(hearth.__path__, "hearth."):
        if module.name != "hearth.__main__":
            importlib.import_module(module.name)
    for name in modules:
        importlib.import_module(name)


def switch_user(target: Target) -> None:
    """Groups first, then the group, then the user: each later step removes the right to do the
    earlier ones (glibc applies each call to every thread)."""
    os.setgroups(list(target.groups))
    os.setgid(target.gid)
    os.setuid(target.uid)


def _could_regain_root() -> str | None:
    """The first call that should fail for an unprivileged process and did not, if any."""
    attempts: tuple[tuple[str, Callable[[], None]], ...] = (
        ("setuid(0)", lambda: os.setuid(0)),
        ("seteuid(0)", lambda: os.seteuid(0)),
        ("setgid(0)", lambda: os.setgid(0)),
        ("setgroups([0])", lambda: os.setgroups([0])),
    )
    for name, attempt in attempts:
        try:
            attempt()
        except PermissionError:
            continue
        return name
    return None


def problems(status: ProcessStatus, target: Target, *, bounding_emptied: bool) -> list[str]:
    """What in one thread's status shows that root was not fully given up (pure)."""
    found = []
    if set(status.uids) != {target.uid}:
        found.append(f"user ids {status.uids}")
    if set(status.gids) != {target.gid}:
        found.append(f"group ids {status.gids}")
    if set(status.groups) != set(target.groups):
        found.append(f"groups {status.groups}")
    if status.capabilities:
        found.append(
            f"capabilities (permitted {status.cap_permitted:x}, effective "
            f"{status.cap_effective:x}, ambient {status.cap_ambient:x})"
        )
    if not status.no_new_privs:
        found.append("no_new_privs is off")
    if bounding_emptied and status.cap_bounding:
        found.append(f"bounding set {status.cap_bounding:x}")
    return found


def verify(target: Target, *, bounding_emptied: bool) -> None:
    """Prove the switch holds for every thread; a PrivilegeError if it does not."""
    regained = _could_regain_root()
    if regained is not None:
        raise PrivilegeError(
            f"giving up root failed: {regained} still succeeds after switching to {target.name}; "
            "refusing to serve"
        )
    for status in thread_statuses():
        found = problems(status, target, bounding_emptied=bounding_emptied)
        if found:
            raise PrivilegeError(
                f"giving up root failed: a thread still has {', '.join(found)}; refusing to serve"
            )


def check_access(target: Target, config_dir: Path, files: Iterable[Path]) -> None:
    """After the switch: the hub's user must still use the configuration and read `files`."""
    if not os.access(config_dir, os.R_OK | os.W_OK | os.X_OK):
        raise PrivilegeError(
            f"the user {target.name} cannot use the configuration directory {config_dir} (a "
            "directory above it is closed to that user); move the configuration where it can "
            "reach it (for example /var/lib/hearth), or start hearth run from the directory "
            "that holds it with a relative --config"
        )
    for path in files:
        if not os.access(path, os.R_OK):
            raise PrivilegeError(
                f"the user {target.name} cannot read {path}, which the hub reads again when it "
                f"changes; let it read that file (for example `setfacl -m u:{target.name}:r` on "
                f"it and `setfacl -m u:{target.name}:x` on the directories above), or copy it "
                "into the configuration directory"
            )
