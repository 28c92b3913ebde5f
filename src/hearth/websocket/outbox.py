"""One connection's outgoing messages: bounded in count and bytes, counted in the budget. No I/O.

A message is queued as its parts: one frame, or a head, a body shared with other connections
(one event's JSON for every subscriber, the cached list of all states) and a tail. Shared bodies
are never copied into the queue; the writer joins the parts of the frame it is about to send.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import Final

from hearth import const
from hearth.websocket.budget import OutputBudget

COALESCE_MAX_MESSAGES: Final = 256
COALESCE_MAX_BYTES: Final = 256 * 1024

# Parts, size, and the shared body (counted once in the output budget) if any.
_Queued = tuple[tuple[bytes, ...], int, bytes | None]


class Outbox:
    """Messages waiting for one connection's writer, and the frame it is writing."""

    def __init__(self, owner: Hashable, budget: OutputBudget) -> None:
        self._owner = owner
        self._budget = budget
        self.queue: deque[_Queued] = deque()  # read-only outside: truthy while messages wait
        self._queue = self.queue
        self._queued_bytes = 0
        # Bytes of the frame being written: the connection's own copy until the transport has it.
        self.sending = 0

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def queued_bytes(self) -> int:
        """Bytes of the messages waiting (not counting the frame being sent)."""
        return self._queued_bytes

    def refusal(self, size: int) -> str | None:
        """Why a message of `size` bytes may not be queued (the client is not reading), or None.

        One message larger than the byte limit may wait alone (the list of all states on a large
        installation); beyond the limit behind others means the client is not reading.
        """
        if len(self._queue) >= const.WS_SEND_QUEUE_LIMIT:
            return f"{len(self._queue)} messages pending"
        if self._queue and self._queued_bytes + size > const.WS_SEND_BUFFER_LIMIT:
            return f"{self._queued_bytes} bytes pending"
        return None

    def put(self, parts: tuple[bytes, ...], size: int, shared: bytes | None = None) -> None:
        """Queue a message of `size` bytes; `shared` is the part other connections may hold."""
        self._queue.append((parts, size, shared))
        self._queued_bytes += size
        self._budget.charge(self._owner, _own(size, shared), shared)

    def take_frame(self, coalesce: bool) -> bytes:
        """The next frame to write (several messages as one JSON array with `coalesce`).

        Its bytes count as being sent until `sent()`.
        """
        queue = self._queue
        parts, size, shared = queue[0]
        if shared is None and len(parts) == 1 and (not coalesce or len(queue) == 1):
            # One message of this connection's own: its bytes stay counted as they are,
            # now as being sent (the same charge, so no release and charge again).
            queue.popleft()
            self._queued_bytes -= size
            self.sending = size
            return parts[0]
        first, size = self._pop()
        if not coalesce or not queue or size + queue[0][1] > COALESCE_MAX_BYTES:
            frame = first[0] if len(first) == 1 else b"".join(first)
        else:
            pieces = [b"[", *first]
            count = 1
            while queue and count < COALESCE_MAX_MESSAGES:
                if size + queue[0][1] > COALESCE_MAX_BYTES:
                    break
                parts, item_size = self._pop()
                pieces.append(b",")
                pieces.extend(parts)
                count += 1
                size += item_size + 1
            pieces.append(b"]")
            frame = b"".join(pieces)
        self.sending = len(frame)
        self._budget.charge(self._owner, self.sending)
        return frame

    def sent(self) -> None:
        """The frame from take_frame() is with the transport."""
        if self.sending:
            self._budget.release(self._owner, self.sending)
            self.sending = 0

    def discard(self) -> None:
        """Forget everything queued or being sent, giving its bytes back to the budget."""
        while self._queue:
            _, size, shared = self._queue.popleft()
            self._budget.release(self._owner, _own(size, shared), shared)
        self._queued_bytes = 0
        self.sent()

    def _pop(self) -> tuple[tuple[bytes, ...], int]:
        parts, size, shared = self._queue.popleft()
        self._queued_bytes -= size
        self._budget.release(self._owner, _own(size, shared), shared)
        return parts, size


def _own(size: int, shared: bytes | None) -> int:
    """The bytes of a message that are this connection's alone."""
    return size - len(shared) if shared is not None else size
