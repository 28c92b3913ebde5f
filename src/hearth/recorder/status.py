"""What the recorder is doing, in a small file beside its database, for `hearth check`.

The file is created at start with a fixed size and later rewritten in place: overwriting bytes
a file already has needs no free space, so the recorder can still say "stopped, disk full" when
the disk is full.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson

SIZE: Final = 256
RECORDING: Final = "recording"
STOPPED: Final = "stopped"
CLOSED: Final = "closed"
DISK_FULL: Final = "disk_full"
WRITE_FAILED: Final = "write_failed"


@dataclass(frozen=True, slots=True)
class Status:
    """The recorder's state, why (when stopped), since when, and which process says so."""

    state: str
    reason: str | None
    since: float
    pid: int


class StatusFile:
    """The status file of one recorder; every method is safe to call when the disk is full."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def open(self) -> None:
        """Create (0600, fixed size) or reuse the file; an OSError leaves no file open."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            if os.fstat(fd).st_size < SIZE:
                os.pwrite(fd, b" " * SIZE, 0)
                os.fsync(fd)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd

    def write(self, state: str, reason: str | None = None) -> None:
        """Say what the recorder does now (ignored if the file could not be opened)."""
        if self._fd is None:
            return
        text = orjson.dumps(
            {"state": state, "reason": reason, "since": time.time(), "pid": os.getpid()}
        )
        try:
            os.pwrite(self._fd, text.ljust(SIZE)[:SIZE], 0)
        except OSError:
            return

    def close(self) -> None:
        """Close the file (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def read_status(path: Path) -> Status | None:
    """The last status written, or None when there is none or it is not one.

    PermissionError when this process may not read it (a hub that gave root up, below a
    directory closed to its user): not knowing is not "no status".
    """
    try:
        with path.open("rb") as file:
            text = file.read(SIZE * 2)
        data = orjson.loads(text.strip() or b"null")
    except PermissionError:
        raise
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    state, reason, since, pid = (data.get(k) for k in ("state", "reason", "since", "pid"))
    if not isinstance(state, str) or not isinstance(since, int | float):
        return None
    if not isinstance(pid, int) or (reason is not None and not isinstance(reason, str)):
        return None
    return Status(state, reason, float(since), pid)
