"""The output budget: bytes waiting to be sent on all WebSocket connections together. No I/O.

Each connection bounds its own queue (hearth.websocket.connection); this bounds the sum, so many
connections that each stay under their own limit cannot together exhaust the hub's memory. A
body shared by several queues (one event sent to every subscriber, the cached list of all
states) is counted once, as it is held in memory once.
"""

from __future__ import annotations

from collections.abc import Hashable


class _SharedBody:
    """A body counted once, and how many queued frames hold it; kept so its id stays unique."""

    __slots__ = ("body", "frames")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.frames = 1


class OutputBudget:
    """Counts pending output by holder (a connection) and in total, against a total limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._held: dict[Hashable, int] = {}
        self._shared: dict[int, _SharedBody] = {}

    def held(self, holder: Hashable) -> int:
        """Bytes this holder has queued or is sending (shared bodies counted in full)."""
        return self._held.get(holder, 0)

    def charge(self, holder: Hashable, own: int, shared: bytes | None = None) -> None:
        """Count `own` bytes of the holder's, plus a body other holders may share."""
        size = own
        self.total += own
        if shared is not None:
            size += len(shared)
            entry = self._shared.get(id(shared))
            if entry is None:
                self._shared[id(shared)] = _SharedBody(shared)
                self.total += len(shared)
            else:
                entry.frames += 1
        self._held[holder] = self._held.get(holder, 0) + size

    def release(self, holder: Hashable, own: int, shared: bytes | None = None) -> None:
        """Undo one `charge` with the same arguments (the bytes were sent or dropped)."""
        size = own
        self.total -= own
        if shared is not None:
            size += len(shared)
            entry = self._shared[id(shared)]
            entry.frames -= 1
            if not entry.frames:
                del self._shared[id(shared)]
                self.total -= len(shared)
        left = self._held[holder] - size
        if left:
            self._held[holder] = left
        else:
            del self._held[holder]

    @property
    def exceeded(self) -> bool:
        """Whether the total is over the limit."""
        return self.total > self.limit

    def largest(self) -> Hashable | None:
        """The holder with the most bytes pending (the first to drop), or None."""
        if not self._held:
            return None
        return max(self._held, key=self._held.__getitem__)
