"""Open connections: authenticated ones by refresh token, and those still authenticating."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from hearth import const
from hearth.websocket.budget import OutputBudget

if TYPE_CHECKING:
    from collections.abc import Iterator

# Closes a connection that has not authenticated yet, with a close code and reason.
HandshakeCloser = Callable[[int, str], Awaitable[None]]


class Closable(Protocol):
    """What the registry needs from a connection."""

    @property
    def refresh_token_id(self) -> str:
        """The refresh token behind the connection's access token."""
        ...

    def request_close(self, code: int, reason: str, *, drain: bool) -> None:
        """Close the connection soon."""
        ...


class ConnectionRegistry:
    """Lets a token revocation or a shutdown reach every connection concerned."""

    def __init__(self) -> None:
        self._by_token: dict[str, set[Closable]] = {}
        self._handshakes: set[HandshakeCloser] = set()
        # Set by close_all (shutdown): connections that authenticate later are closed at once.
        self._closed_with: tuple[int, str] | None = None
        self.budget = OutputBudget(const.WS_SEND_TOTAL_LIMIT)

    def add(self, conn: Closable) -> None:
        """Track an authenticated connection (closed at once if the registry was closed)."""
        self._by_token.setdefault(conn.refresh_token_id, set()).add(conn)
        if self._closed_with is not None:
            code, reason = self._closed_with
            conn.request_close(code, reason, drain=True)

    def start_handshake(self, close: HandshakeCloser) -> Callable[[], None] | None:
        """Track a connection still authenticating; returns the function that stops tracking it.

        None once the registry was closed: the caller closes the connection instead.
        """
        if self._closed_with is not None:
            return None
        self._handshakes.add(close)
        return lambda: self._handshakes.discard(close)

    def discard(self, conn: Closable) -> None:
        """Forget a connection (idempotent)."""
        conns = self._by_token.get(conn.refresh_token_id)
        if conns is None:
            return
        conns.discard(conn)
        if not conns:
            del self._by_token[conn.refresh_token_id]

    def __len__(self) -> int:
        return sum(len(conns) for conns in self._by_token.values())

    def __iter__(self) -> Iterator[Closable]:
        for conns in list(self._by_token.values()):
            yield from list(conns)

    def count_for_token(self, token_id: str) -> int:
        """How many connections use this refresh token."""
        return len(self._by_token.get(token_id, ()))

    def close_token(self, token_id: str, code: int, reason: str) -> int:
        """Close every connection authenticated with this refresh token; returns how many."""
        conns = list(self._by_token.get(token_id, ()))
        for conn in conns:
            conn.request_close(code, reason, drain=True)
        return len(conns)

    def close_all(self, code: int, reason: str) -> int:
        """Close every authenticated connection, now and later (shutdown); returns how many."""
        self._closed_with = (code, reason)
        conns = list(self)
        for conn in conns:
            conn.request_close(code, reason, drain=True)
        return len(conns)

    async def close_handshakes(self, code: int, reason: str) -> int:
        """Close every connection still authenticating (shutdown), at once; returns how many.

        Without this a shutdown would wait for each to send its auth message or time out.
        """
        self._closed_with = (code, reason)
        closers = list(self._handshakes)
        self._handshakes.clear()
        await asyncio.gather(*(close(code, reason) for close in closers), return_exceptions=True)
        return len(closers)
