"""Who `hearth run` serves as: never root, unless told so for a container.

Started by an unprivileged user, the hub simply runs as that user. Started as root, it needs
`--user NAME`: it binds its ports and opens its files as root, gives the configuration
directory to that user, switches to it for good (hearth.privileges.drop) and verifies it cannot
come back. Without `--user` it refuses to start, unless `--allow-root` says that something
else (a container) already isolates it; then it warns at every start, and `hearth check`
reports it (the hub's pid is in the lock file; /proc/PID/status shows uid 0).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from hearth.exceptions import PrivilegeError
from hearth.privileges.drop import (
    Target,
    check_access,
    limit_inheritance,
    preload,
    switch_user,
    verify,
)
from hearth.privileges.ownership import give_config_dir

_LOGGER = logging.getLogger(__name__)

ROOT_REFUSAL: Final = (
    "hearth run will not serve as root: start it as root with --user hearth (it switches to "
    "that user once its ports are bound), as the systemd service in deploy/systemd/, or as "
    "that user with `sudo -u hearth hearth run` (--allow-root is only for a container that "
    "already isolates it)"
)
ALLOW_ROOT_WARNING: Final = (
    "Running as root (--allow-root): a flaw in the hub or a dependency would give the whole "
    "machine away; use this only in a container that isolates the hub, otherwise start it "
    "with --user hearth"
)


@dataclass(slots=True)
class RunAs:
    """The decision about privileges for one `hearth run`."""

    target: Target | None = None  # started as root: switch to this user after binding
    allow_root: bool = False  # started as root with --allow-root: stay root, warn
    bounding_emptied: bool = field(default=False, init=False)

    @property
    def check_uid(self) -> int:
        """The user the start-up file checks judge for (-1: this process's own)."""
        return self.target.uid if self.target is not None else -1

    def prepare(self) -> None:
        """At the start, while the hub has one thread: what later threads must inherit."""
        if self.target is not None:
            self.bounding_emptied = limit_inheritance()

    def leave_root(self, config_dir: Path, readable: Iterable[Path] = ()) -> None:
        """Ports bound, files open: switch to the target user for good, or warn about root."""
        if self.allow_root:
            _LOGGER.warning("%s", ALLOW_ROOT_WARNING)
            return
        target = self.target
        if target is None:
            return
        preload()
        changed = give_config_dir(config_dir, target.name, target.uid, target.gid)
        os.umask(0o077)
        switch_user(target)
        verify(target, bounding_emptied=self.bounding_emptied)
        check_access(target, config_dir, readable)
        _LOGGER.info(
            "Switched to user %s (uid %d, gid %d): no capabilities left, root cannot be regained%s",
            target.name,
            target.uid,
            target.gid,
            f"; {changed} files in {config_dir} given to {target.name}" if changed else "",
        )


def plan(user: str | None, allow_root: bool, *, euid: int | None = None) -> RunAs:
    """Decide from --user, --allow-root and who started the hub; refuse what is unsafe."""
    if user is not None and allow_root:
        raise PrivilegeError("--user and --allow-root exclude each other: choose one")
    euid = os.geteuid() if euid is None else euid
    if euid != 0:
        if user is not None and Target.lookup(user).uid != euid:
            raise PrivilegeError(
                f"--user {user}: only root can switch users; start hearth run as root, or as "
                f"{user} itself (`sudo -u {user} hearth run`)"
            )
        return RunAs()
    if user is not None:
        return RunAs(target=Target.lookup(user))
    if allow_root:
        return RunAs(allow_root=True)
    raise PrivilegeError(ROOT_REFUSAL)


__all__ = ["ALLOW_ROOT_WARNING", "ROOT_REFUSAL", "PrivilegeError", "RunAs", "Target", "plan"]
