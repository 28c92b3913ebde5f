"""The running hub's log: records go to an inbox, and a thread of its own writes them to stderr.

A slow terminal or pipe never stalls the event loop, which only makes a record and appends it.
What the loop does per record is kept small, because an attacker controls how many records
there are (one per failed login): no caller lookup (the format names no file or line), no
thread or process names, the message merged with its arguments once, no copy of the record,
and no wake-up of the writing thread per record: the first record of a burst wakes it, and it
writes what came in the next LOG_BATCH_DELAY at once. Were stderr to block for good, the inbox
keeps the newest MAX_WAITING records and the next line written says how many were dropped.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
from typing import Final, TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_BATCH_DELAY: Final = 0.02  # seconds a burst may collect before it is written
MAX_WAITING: Final = 50_000  # records held while stderr does not take them


class _LineFormatter(logging.Formatter):
    """LOG_FORMAT, with the date and time text made once per second rather than per record."""

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT)
        self._second = -1
        self._stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        second = int(record.created)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(second))
        return f"{self._stamp},{int(record.msecs):03d}"

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        return f"{record.asctime} {record.levelname} {record.name}: {record.message}"


class LogThread(logging.Handler):
    """The root logger's handler: appends records for its thread to write; `stop` at exit."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._out = logging.StreamHandler(stream)
        self._out.setFormatter(_LineFormatter())
        self._inbox: deque[logging.LogRecord] = deque(maxlen=MAX_WAITING)
        self._dropped = 0
        self._announced = False  # set by emit, cleared when the thread takes the inbox
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="hearth-log", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.exc_info is not None or record.stack_info is not None:
                # Rendered now: the frames it refers to may be gone by the time it is written.
                self._out.format(record)
                record.exc_info = None
            record.msg = record.getMessage()  # what the arguments say now, not later
            record.args = None
            inbox = self._inbox
            if len(inbox) == MAX_WAITING:
                self._dropped += 1
            inbox.append(record)
            if not self._announced:
                self._announced = True
                self._wake.set()
        except Exception:
            self.handleError(record)

    def stop(self) -> None:
        """Write what is waiting and end the thread."""
        self._stopping = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if not self._stopping:
                time.sleep(LOG_BATCH_DELAY)  # let the burst collect: one wake-up for all of it
            self._wake.clear()
            self._announced = False  # cleared before taking: a later record announces itself
            self._write_waiting()
            if self._stopping:
                self._write_waiting()
                return

    def _write_waiting(self) -> None:
        inbox = self._inbox
        while True:
            if self._dropped:  # said before the first record written after the loss
                self._say_dropped()
            if not inbox:
                return
            self._out.handle(inbox.popleft())

    def _say_dropped(self) -> None:
        dropped, self._dropped = self._dropped, 0
        message = f"{dropped} log record(s) dropped: stderr was not taking them"
        self._out.handle(
            logging.makeLogRecord(
                {
                    "name": __name__,
                    "levelno": logging.WARNING,
                    "levelname": "WARNING",
                    "msg": message,
                }
            )
        )


def log_through_queue(level: str) -> LogThread:
    """Send the root logger's records through a thread of their own to stderr."""
    # What a record would otherwise look up each time: the calling file and line (a walk of the
    # stack), the thread's and process's names. The format uses none of them.
    logging._srcfile = None  # the switch the logging HOWTO documents
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = LogThread(sys.stderr)
    root = logging.getLogger()
    root.setLevel(level)
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    return handler
