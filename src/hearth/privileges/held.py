"""Directories and files held open from before the switch, so the hub still reaches them.

The configuration directory belongs to the hub's user after the switch, but a directory above it
may be closed to that user (a configuration under /root, or below pytest's 0700 temporary
folder): opening a file by its full path then fails. A descriptor opened while still root keeps
the directory itself: paths below `/proc/self/fd/N` are looked up from it, and only the
directory and what is inside it must be open to the hub's user (it owns them).
"""

from __future__ import annotations

import os
from pathlib import Path


def hold_directory(directory: Path) -> Path:
    """`/proc/self/fd/N` for a descriptor of `directory` opened now (O_PATH, close-on-exec).

    The descriptor stays open for the life of the process: renewals run in threads that may
    still be writing while the hub shuts down, and a closed number could be reused for another
    file. One descriptor per `hearth run`.
    """
    fd = os.open(directory, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    return Path(f"/proc/self/fd/{fd}")


def hold_file(path: Path) -> Path:
    """`/proc/self/fd/N` for `path` opened for reading now (a file read again later, such as
    the public CAs' bundle inside a virtual environment the hub's user may not reach)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    return Path(f"/proc/self/fd/{fd}")
