"""Who a process really is, as the kernel says in /proc/PID/status (user, groups, capabilities).

Used to verify a privilege drop (every thread of the hub), by the tests on the serving process,
and by `hearth check` to learn whether a running hub is root: the hub's pid is in the lock file
(`.hearth.lock` in the configuration directory) while it runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hearth import const

MAX_STATUS_BYTES: Final = 64 * 1024  # /proc/PID/status is about 1.5 KiB
MAX_THREADS: Final = 4096  # tasks looked at when every thread of a process is verified


@dataclass(frozen=True, slots=True)
class ProcessStatus:
    """The identity fields of one task's /proc status."""

    uids: tuple[int, ...]  # real, effective, saved, filesystem
    gids: tuple[int, ...]
    groups: tuple[int, ...]
    cap_inheritable: int
    cap_permitted: int
    cap_effective: int
    cap_bounding: int
    cap_ambient: int
    no_new_privs: bool

    @property
    def is_root(self) -> bool:
        """Whether any of its user ids is 0 (it could become root again)."""
        return 0 in self.uids

    @property
    def capabilities(self) -> bool:
        """Whether it holds or could pass on any capability (bounding set aside)."""
        return bool(
            self.cap_permitted | self.cap_effective | self.cap_ambient | self.cap_inheritable
        )


def _ids(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in value.split())


def parse_status(text: str) -> ProcessStatus:
    """The identity fields of a /proc/PID/status text (pure); ValueError when one is missing."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    try:
        return ProcessStatus(
            uids=_ids(fields["Uid"]),
            gids=_ids(fields["Gid"]),
            groups=_ids(fields.get("Groups", "")),
            cap_inheritable=int(fields["CapInh"], 16),
            cap_permitted=int(fields["CapPrm"], 16),
            cap_effective=int(fields["CapEff"], 16),
            cap_bounding=int(fields["CapBnd"], 16),
            cap_ambient=int(fields.get("CapAmb", "0"), 16),
            no_new_privs=fields.get("NoNewPrivs", "0") == "1",
        )
    except KeyError as err:
        raise ValueError(f"no {err.args[0]} line in the process status") from None


def read_status(path: Path) -> ProcessStatus:
    """Parse one status file (`/proc/PID/status` or `/proc/PID/task/TID/status`)."""
    with path.open("rb") as handle:
        text = handle.read(MAX_STATUS_BYTES).decode("ascii", errors="replace")
    return parse_status(text)


def process_status(pid: int | str = "self", proc: Path = Path("/proc")) -> ProcessStatus:
    """The status of a process (its main thread)."""
    return read_status(proc / str(pid) / "status")


def thread_statuses(pid: int | str = "self", proc: Path = Path("/proc")) -> list[ProcessStatus]:
    """The status of every thread of a process (at most MAX_THREADS)."""
    tasks = proc / str(pid) / "task"
    names = sorted(os.listdir(tasks))[:MAX_THREADS]
    return [read_status(tasks / name / "status") for name in names]


def hub_pid(config_dir: Path) -> int | None:
    """The pid the running hub wrote into the lock file of `config_dir`, if any.

    The file is emptied when the hub stops; a pid left by a hub killed with SIGKILL may name
    another process by now, so compare its command line before trusting it.
    """
    try:
        text = (config_dir / const.LOCK_FILE).read_bytes()[:32].decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and len(text) < 12 else None
