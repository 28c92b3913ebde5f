"""The queue between the event loop and the writer thread: bounded in count and in bytes.

The loop appends (never waits); the writer takes. Each counter is written by one thread only
(the loop's or the writer's), so no update is lost without a lock; the deque itself is safe to
append to and pop from in two threads.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from hearth.recorder.items import Change, Fired

_LOGGER = logging.getLogger(__name__)

Record = Change | Fired


@dataclass(frozen=True, slots=True)
class Barrier:
    """Calls `done` once everything queued before it is committed (or cannot be)."""

    done: Callable[[], None]


class Backlog:
    """Records (and barriers) waiting for the writer."""

    def __init__(self, max_items: int, max_bytes: int, batch_rows: int) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.batch_rows = batch_rows
        self.wake = threading.Event()  # something arrived
        self.full = threading.Event()  # a batch is full, or a barrier waits
        self._items: deque[Record | Barrier] = deque()
        self._urgent = False  # a barrier waits: commit without waiting for the interval
        self._urgent_lock = threading.Lock()
        self._refused = 0  # by the loop
        self._lost = 0  # by the writer
        self._bytes_in = 0  # by the loop
        self._bytes_out = 0  # by the writer
        self._overflowing = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        """About how many bytes the waiting records hold."""
        return self._bytes_in - self._bytes_out

    @property
    def dropped(self) -> int:
        """Records refused (full, not recording) or lost (a failed write) so far."""
        return self._refused + self._lost

    @property
    def urgent(self) -> bool:
        """Whether a barrier waits."""
        return self._urgent

    def refuse(self) -> None:
        """Count a record not queued (from the loop)."""
        self._refused += 1

    def put(self, record: Record) -> bool:
        """Queue a record (from the loop); False when the queue is full."""
        if len(self._items) >= self.max_items or self.bytes >= self.max_bytes:
            self._refused += 1
            if not self._overflowing:
                self._overflowing = True
                _LOGGER.warning(
                    "The recorder is %d changes behind; new changes are dropped until it "
                    "catches up",
                    len(self._items),
                )
            return False
        self._bytes_in += record.size
        self._items.append(record)
        if len(self._items) >= self.batch_rows:
            self.full.set()
        if not self.wake.is_set():
            self.wake.set()
        return True

    def barrier(self, done: Callable[[], None]) -> None:
        """Queue a barrier (from the loop)."""
        with self._urgent_lock:
            self._items.append(Barrier(done))
            self._urgent = True
        self.full.set()
        self.wake.set()

    def take(self) -> tuple[list[Record], list[Callable[[], None]]]:
        """(From the writer) up to batch_rows records, and the barriers taken with them."""
        records: list[Record] = []
        done: list[Callable[[], None]] = []
        while self._items and len(records) < self.batch_rows:
            item = self._items.popleft()
            if isinstance(item, Barrier):
                done.append(item.done)
            else:
                records.append(item)
                self._bytes_out += item.size
        if done:
            with self._urgent_lock:
                self._urgent = any(isinstance(item, Barrier) for item in self._items)
        if (
            self._overflowing
            and len(self._items) < self.max_items // 2
            and self.bytes < self.max_bytes // 2
        ):
            self._overflowing = False
            _LOGGER.warning("The recorder caught up; %d changes were dropped", self.dropped)
        return records, done

    def lose(self, count: int) -> None:
        """(From the writer) count records that were taken but could not be written."""
        self._lost += count

    def clear(self) -> None:
        """(From the writer) drop what waits (counted as lost); release the barriers."""
        while self._items:
            item = self._items.popleft()
            if isinstance(item, Barrier):
                item.done()
            else:
                self._lost += 1
                self._bytes_out += item.size
