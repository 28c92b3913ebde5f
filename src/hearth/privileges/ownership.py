"""Before the switch: the configuration directory and its files belong to the hub's user.

The hub started as root has just created or opened files there as root (the database and its
-wal/-shm, the lock file, certificates written by `hearth cert`); the user it switches to must
read and write them, and nobody else may: directories become 0700, files 0600.

Threat: whoever could write to the directory before (the hub's own user, after a compromise)
may have planted a symbolic or hard link to a file of the system (/etc/shadow) for root to
give away. Nothing here follows a link, a file with more than one name is refused, and no
other file system mounted inside is entered; every change goes through a descriptor opened
without following links, so a name swapped during the walk changes nothing outside.

Files are never opened for reading or writing, only as paths (O_PATH): closing a real
descriptor of the database would drop the hub's own POSIX locks on it (fcntl locks belong to
the process, and any close releases them), and SQLite would then let the CLI delete the -wal
and -shm files the hub still uses.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Final

from hearth.exceptions import PrivilegeError

DIRECTORY_MODE: Final = 0o700
FILE_MODE: Final = 0o600
MAX_ENTRIES: Final = 100_000  # entries looked at: a bound, not a limit a configuration meets
MAX_DEPTH: Final = 32

_DIRECTORY_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS: Final = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


class _Giver:
    def __init__(self, owner: str, uid: int, gid: int, device: int) -> None:
        self.owner = owner
        self.uid = uid
        self.gid = gid
        self.device = device
        self.seen = 0
        self.changed = 0

    def fix(self, fd: int, info: os.stat_result, mode: int) -> None:
        """Owner and mode of one open file or directory (an O_PATH descriptor for files)."""
        # The descriptor's /proc link reaches the very inode opened, whatever its name is now.
        path = f"/proc/self/fd/{fd}"
        foreign = (info.st_uid, info.st_gid) != (self.uid, self.gid)
        if foreign:
            os.chown(path, self.uid, self.gid)
        if foreign or stat.S_IMODE(info.st_mode) != mode:
            os.chmod(path, mode)  # after chown, which may have cleared set-id bits
            self.changed += 1

    def walk(self, fd: int, shown: Path, depth: int) -> None:
        """Everything inside the open directory `fd`."""
        with os.scandir(fd) as entries:
            names = []
            for entry in entries:
                self.seen += 1
                if self.seen > MAX_ENTRIES:
                    raise PrivilegeError(
                        f"{shown}: the configuration directory holds more than {MAX_ENTRIES} "
                        f"entries; move what the hub does not need out of it before giving it "
                        f"to {self.owner}"
                    )
                if not entry.is_symlink():
                    names.append(entry.name)
        for name in names:
            self.entry(fd, name, shown / name, depth)

    def entry(self, parent: int, name: str, shown: Path, depth: int) -> None:
        """One directory entry: a directory (entered) or a regular file; anything else stays."""
        try:
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            flags = _DIRECTORY_FLAGS
        elif stat.S_ISREG(info.st_mode):
            flags = _FILE_FLAGS
        else:
            return  # a link, a socket, a device: not the hub's, left alone
        try:
            fd = os.open(name, flags, dir_fd=parent)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR):
                return  # gone or swapped for a link since it was listed
            raise
        try:
            opened = os.fstat(fd)
            if opened.st_dev != self.device:
                return  # another file system mounted here: not ours to change
            if stat.S_ISDIR(opened.st_mode):
                if depth >= MAX_DEPTH:
                    raise PrivilegeError(
                        f"{shown}: nested more than {MAX_DEPTH} directories deep inside the "
                        "configuration directory; move it out"
                    )
                self.fix(fd, opened, DIRECTORY_MODE)
                self.walk(fd, shown, depth + 1)
            elif stat.S_ISREG(opened.st_mode):
                if opened.st_nlink > 1:
                    raise PrivilegeError(
                        f"{shown} has {opened.st_nlink} names (hard links), so it may be another "
                        f"file of the system too; remove its other names, or copy it, before "
                        f"giving it to {self.owner}"
                    )
                self.fix(fd, opened, FILE_MODE)
        finally:
            os.close(fd)


def give_config_dir(config_dir: Path, owner: str, uid: int, gid: int) -> int:
    """Give the directory and the directories and regular files in it to uid:gid with modes
    0700/0600; returns how many changed. The directory itself may be reached through a link
    (/etc/hearth pointing to /srv/hearth); nothing inside it is."""
    fd = os.open(config_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        giver = _Giver(owner, uid, gid, info.st_dev)
        giver.fix(fd, info, DIRECTORY_MODE)
        giver.walk(fd, config_dir, 0)
    finally:
        os.close(fd)
    return giver.changed


def match_directory_owner(fd: int, directory: Path) -> None:
    """Root writing into a directory that belongs to another user (the hub's): the new file is
    theirs too, or the hub, which runs as that user, could not read it (a renewed certificate).
    That user owns the directory and could replace the file anyway: this gives nothing away."""
    if os.geteuid() != 0:
        return
    info = os.stat(directory)
    if info.st_uid != 0:
        os.fchown(fd, info.st_uid, info.st_gid)
