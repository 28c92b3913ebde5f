"""What a storage failure means and how it is logged: SQLite's result codes to StorageError, and
at most one log line per LOG_INTERVAL however many writes fail."""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Final

from hearth.exceptions import StorageBusy, StorageError, StorageFull

_LOGGER = logging.getLogger("hearth.storage.writer")

LOG_INTERVAL: Final = 60.0

# SQLite's primary result codes that mean "storage", not "this statement".
_BUSY: Final = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
_FULL: Final = frozenset({13})  # SQLITE_FULL
# A write the OS refused other than for ENOSPC: a quota or a file-size limit, nearly always.
SQLITE_IOERR_WRITE: Final = 10 | (3 << 8)
_UNAVAILABLE: Final = frozenset({3, 7, 8, 9, 10, 11, 14, 15, 26})  # PERM NOMEM READONLY ...


def storage_error(err: BaseException) -> StorageError | None:
    """The StorageError an SQLite error stands for, or None for a statement's own error."""
    if not isinstance(err, sqlite3.Error):
        return None
    code = getattr(err, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    primary = code & 0xFF
    if primary in _BUSY:
        return StorageBusy()
    if primary in _FULL or code == SQLITE_IOERR_WRITE:
        return StorageFull()
    if primary in _UNAVAILABLE:
        return StorageError()
    return None


class FailureLog:
    """Storage failures in the log: the first one, then at most one line per LOG_INTERVAL."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._failing: type[StorageError] | None = None
        self._failed = 0
        self._last = -LOG_INTERVAL
        self._bug_logged = -LOG_INTERVAL

    def failed(self, error: StorageError) -> None:
        self._failed += 1
        now = time.monotonic()
        if type(error) is not self._failing or now - self._last >= LOG_INTERVAL:
            self._last = now
            _LOGGER.warning(
                "Cannot write %s: %s Reads still work; changes are refused and bookkeeping "
                "waits until this is fixed (%d failed commit(s) so far).",
                self._name,
                error.message[0].upper() + error.message[1:],
                self._failed,
            )
        self._failing = type(error)

    def recovered(self) -> None:
        if self._failing is not None:
            _LOGGER.warning(
                "%s is writable again after %d failed commit(s)", self._name, self._failed
            )
            self._failing, self._failed = None, 0

    def bookkeeping_bug(self, err: Exception) -> None:
        now = time.monotonic()
        if now - self._bug_logged >= LOG_INTERVAL:
            self._bug_logged = now
            _LOGGER.error("Dropped a bookkeeping record of %s: %r", self._name, err)
