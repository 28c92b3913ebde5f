"""How a tried username appears in the log and the audit log: readable only if it is a user.

Threat: people type their password into the username field. Written down verbatim, the
password would sit in the log, in the journal, in log shippers and in the audit log. So a name
that is not an existing user is shown as a short keyed hash (`#` and 12 hex digits): the same
name always gives the same hash, so repeated tries still stand out, but the name cannot be read
back. The hash is keyed with a secret of this installation: usernames (and passwords) are
low-entropy, and a plain hash of them would be reversed by trying candidates. fail2ban needs
only the address, which stays as is.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Final

from hearth import const

_LOGGER = logging.getLogger(__name__)

KEY_FILE: Final = const.USERNAME_HASH_KEY_FILE  # in the config directory, mode 0600
_KEY_BYTES: Final = 32
SHOWN_HEX: Final = 12  # 48 bits: enough to tell names apart, too short to look like a secret
MAX_NAME: Final = 256


def keyed_hash(key: bytes, username: str) -> str:
    """`#` and 12 hex digits; names are matched as at login (stripped, case-insensitive)."""
    name = username.strip().casefold()[:MAX_NAME]
    digest = hmac.new(key, name.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return "#" + digest[:SHOWN_HEX]


class UsernameMask:
    """Shows existing usernames as they are and everything else as a keyed hash."""

    def __init__(self, key: bytes, is_user: Callable[[str], bool]) -> None:
        self._key = key
        self._is_user = is_user

    def shown(self, username: str) -> str:
        """The username as it may be written to a log or the audit log."""
        if not username or self._is_user(username):
            return username
        return keyed_hash(self._key, username)

    @classmethod
    def open(cls, config_dir: Path, is_user: Callable[[str], bool]) -> UsernameMask:
        """The mask with this installation's key, made on first use."""
        return cls(load_or_create_key(config_dir / KEY_FILE), is_user)


def load_or_create_key(path: Path) -> bytes:
    """The key in `path` (hex); a new random one if the file is missing or unreadable as a key."""
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        key = b""
    except (OSError, UnicodeDecodeError, ValueError) as err:
        _LOGGER.warning("Replacing unreadable %s (%s)", path.name, type(err).__name__)
        key = b""
    if len(key) == _KEY_BYTES:
        return key
    key = secrets.token_bytes(_KEY_BYTES)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(key.hex() + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)  # atomic: a reader sees the old file or the whole new one
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return key
