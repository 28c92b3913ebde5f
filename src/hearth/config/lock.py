"""One hub per configuration directory: a lock file held for the life of the process."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from pathlib import Path

from hearth import const
from hearth.exceptions import ConfigError


def _holder(fd: int) -> int | None:
    """The process id the holder wrote into the lock file, if it is readable."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and len(text) < 12 else None


class InstanceLock:
    """An exclusive `flock` on `.hearth.lock` in the configuration directory.

    Threat: two hubs on one database (the port changed between starts, or a second start by
    mistake) would both answer for the same users, tokens and bans, and each would act on state
    the other has changed. The kernel drops the lock when the process ends, however it ends, so
    a stale lock file never blocks a start. The file itself is never removed: unlinking a lock
    file that another process has just opened would let two processes hold "the" lock.
    """

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, config_dir: Path) -> InstanceLock:
        """Take the lock, or raise a one-line ConfigError naming the hub that holds it."""
        path = config_dir / const.LOCK_FILE
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as err:
            reason = os.strerror(err.errno) if err.errno else str(err)
            raise ConfigError(
                f"cannot open the lock file ({reason.lower()}); remove it if it is not a "
                "regular file",
                file=str(path),
            ) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError("the lock file is not a regular file; remove it", file=str(path))
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            pid = f" (pid {holder})" if holder is not None else ""
            raise ConfigError(
                f"another hub{pid} is already running with this configuration directory; stop "
                "it first (two hubs must not share one database)",
                file=str(config_dir),
            ) from None
        except ConfigError:
            os.close(fd)
            raise
        except OSError as err:
            os.close(fd)
            reason = os.strerror(err.errno) if err.errno else str(err)
            raise ConfigError(
                f"cannot lock the lock file ({reason.lower()})", file=str(path)
            ) from None
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        return cls(fd)

    def release(self) -> None:
        """Give the lock up (idempotent); the file stays, emptied."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)
