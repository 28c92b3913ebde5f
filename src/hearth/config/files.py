"""Reading configuration files: confined to the configuration directory, bounded in size."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from hearth.exceptions import ConfigError

MAX_FILE_SIZE: Final = 1024 * 1024


class UnusableFileError(Exception):
    """A configuration file cannot be used; `line` is set when the problem is inside the file."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line

    def at(self, file: str) -> ConfigError:
        """This problem as an error about `file` itself."""
        return ConfigError(f"the file {self.reason}", file=file, line=self.line)


def confine(root: Path, relative: str) -> tuple[Path, str]:
    """Resolve `relative` (a path below the real config dir `root`) to (real path, display name).

    Both the written path and the path after following symlinks must stay inside `root`:
    this closes `../` escapes and symlinks that point elsewhere on the machine.
    """
    if os.path.isabs(relative):
        raise UnusableFileError("must be a path relative to the including file")
    display = os.path.normpath(relative)
    if display == ".." or display.startswith(f"..{os.sep}"):
        raise UnusableFileError("points outside the configuration directory")
    real = Path(os.path.realpath(root / display))
    if not real.is_relative_to(root):
        raise UnusableFileError("points outside the configuration directory (through a symlink)")
    return real, Path(display).as_posix()


def read_text(real: Path) -> str:
    """Return the UTF-8 text of the regular file at `real`, refusing anything over MAX_FILE_SIZE."""
    try:
        # O_NONBLOCK: opening a FIFO planted in the config dir must not hang the loader.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise UnusableFileError("does not exist") from None
    except PermissionError:
        raise UnusableFileError("cannot be read (permission denied)") from None
    except OSError as exc:
        raise UnusableFileError(f"cannot be opened ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_SIZE:
        os.close(fd)
        too_large = stat.S_ISREG(info.st_mode)
        raise UnusableFileError("is larger than 1 MiB" if too_large else "is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_FILE_SIZE + 1)
        except OSError as exc:
            raise UnusableFileError(f"cannot be read ({exc.strerror})") from None
    if len(data) > MAX_FILE_SIZE:
        raise UnusableFileError("is larger than 1 MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnusableFileError("is not valid UTF-8 text", line=line) from None
