"""Whether the history database can be written: free space, the file size limit, a probe."""

from __future__ import annotations

import os
import resource
import sqlite3
import time
from pathlib import Path
from typing import Final

from hearth.recorder import status

# Primary SQLite result codes that mean "the storage refuses writes".
_FULL: Final = 13  # SQLITE_FULL
_STORAGE: Final = frozenset({8, 10, 13, 14})  # READONLY, IOERR, FULL, CANTOPEN
# Recording resumes once at least this much can be written again (disk and file size limit).
RESUME_ROOM: Final = 4 * 1024 * 1024
_SIDE_FILES: Final = ("", "-wal", "-shm")


def _code(err: sqlite3.Error) -> int:
    return int(getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF


def is_storage_error(err: sqlite3.Error) -> bool:
    """Whether the error says the storage refused a write (full, read-only, I/O error)."""
    return _code(err) in _STORAGE


def free_bytes(path: Path, dir_fd: int | None = None) -> int | None:
    """Bytes this process may still write on the file system holding `path`, or None.

    `dir_fd`: the directory of `path` held open, used instead of the path (a hub that gave
    root up may no longer reach its configuration directory by path, hearth.privileges).
    """
    try:
        info = os.statvfs(path.parent if dir_fd is None else dir_fd)
    except OSError:
        return None
    return info.f_bavail * info.f_frsize


def _size(path: Path, suffix: str, dir_fd: int | None) -> int:
    if dir_fd is None:
        return os.stat(f"{path}{suffix}").st_size
    return os.stat(f"{path.name}{suffix}", dir_fd=dir_fd).st_size


def files_size(path: Path) -> int:
    """The size of the database and its -wal and -shm files together."""
    total = 0
    for suffix in _SIDE_FILES:
        try:
            total += os.stat(f"{path}{suffix}").st_size
        except OSError:
            continue
    return total


def file_size_room(path: Path, dir_fd: int | None = None) -> int | None:
    """How much the largest of the files may still grow under RLIMIT_FSIZE, or None (no limit)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft == resource.RLIM_INFINITY:
        return None
    largest = 0
    for suffix in _SIDE_FILES:
        try:
            largest = max(largest, _size(path, suffix, dir_fd))
        except OSError:
            continue
    return max(0, soft - largest)


def explain(path: Path, err: sqlite3.Error, dir_fd: int | None = None) -> tuple[str, str]:
    """(status reason, one line for the log) for a failed write."""
    free = free_bytes(path, dir_fd)
    room = file_size_room(path, dir_fd)
    if _code(err) == _FULL or (free is not None and free < RESUME_ROOM):
        return status.DISK_FULL, f"the disk holding {path.name} is full ({err})"
    if room is not None and room < RESUME_ROOM:
        return status.DISK_FULL, (
            f"{path.name} reached the file size limit of the process (RLIMIT_FSIZE; {err})"
        )
    return status.WRITE_FAILED, f"{path.name} cannot be written ({err})"


def room_to_resume(path: Path, dir_fd: int | None = None) -> bool:
    """Whether there is room again: free space, and room under the file size limit."""
    free = free_bytes(path, dir_fd)
    room = file_size_room(path, dir_fd)
    return (free is None or free >= RESUME_ROOM) and (room is None or room >= RESUME_ROOM)


def probe_write(conn: sqlite3.Connection) -> None:
    """A real write (and commit) to the database; sqlite3.Error when it still fails."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('probe', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (repr(time.time()),),
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
