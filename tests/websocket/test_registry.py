"""Tests for hearth.websocket.registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from hearth.websocket.registry import ConnectionRegistry


@dataclass(eq=False)
class FakeConnection:
    refresh_token_id: str
    closed_with: list[tuple[int, str, bool]] = field(default_factory=list)

    def request_close(self, code: int, reason: str, *, drain: bool) -> None:
        self.closed_with.append((code, reason, drain))


def test_close_token_reaches_only_that_tokens_connections() -> None:
    registry = ConnectionRegistry()
    a1, a2, b = FakeConnection("a"), FakeConnection("a"), FakeConnection("b")
    for conn in (a1, a2, b):
        registry.add(conn)
    assert len(registry) == 3
    assert registry.close_token("a", 1008, "Token revoked.") == 2
    assert a1.closed_with == a2.closed_with == [(1008, "Token revoked.", True)]
    assert b.closed_with == []
    assert registry.close_token("unknown", 1008, "x") == 0


def test_discard_is_idempotent_and_forgets_empty_tokens() -> None:
    registry = ConnectionRegistry()
    conn = FakeConnection("a")
    registry.add(conn)
    registry.discard(conn)
    registry.discard(conn)
    registry.discard(FakeConnection("never-added"))
    assert len(registry) == 0
    assert registry.count_for_token("a") == 0
    assert registry._by_token == {}


def test_close_all() -> None:
    registry = ConnectionRegistry()
    conns = [FakeConnection(str(n % 2)) for n in range(4)]
    for conn in conns:
        registry.add(conn)
    assert registry.close_all(1001, "Server shutting down.") == 4
    assert all(conn.closed_with == [(1001, "Server shutting down.", True)] for conn in conns)


def test_connections_authenticating_after_close_all_are_closed_at_once() -> None:
    registry = ConnectionRegistry()
    registry.close_all(1001, "Server shutting down.")
    late = FakeConnection("a")
    registry.add(late)
    assert late.closed_with == [(1001, "Server shutting down.", True)]


async def test_close_handshakes() -> None:
    registry = ConnectionRegistry()
    closed: list[tuple[str, int, str]] = []

    def closer(name: str) -> Callable[[int, str], Awaitable[None]]:
        async def close(code: int, reason: str) -> None:
            closed.append((name, code, reason))

        return close

    untrack_done = registry.start_handshake(closer("done"))
    assert untrack_done is not None
    untrack_done()  # authenticated (or failed) before the shutdown
    assert registry.start_handshake(closer("waiting")) is not None
    assert await registry.close_handshakes(1001, "Server shutting down.") == 1
    assert closed == [("waiting", 1001, "Server shutting down.")]
    # Once shut down, a new handshake is refused: the caller closes it itself.
    assert registry.start_handshake(closer("late")) is None
