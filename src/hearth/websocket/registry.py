"""Open, authenticated connections, indexed by the refresh token they authenticated with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterator


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

    def add(self, conn: Closable) -> None:
        """Track an authenticated connection."""
        self._by_token.setdefault(conn.refresh_token_id, set()).add(conn)

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
        """Close every connection (shutdown); returns how many."""
        conns = list(self)
        for conn in conns:
            conn.request_close(code, reason, drain=True)
        return len(conns)
