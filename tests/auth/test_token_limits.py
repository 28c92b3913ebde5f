"""Token caps per user and the creation rate: enforced inside the creating transaction."""

from __future__ import annotations

import asyncio

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.models import TokenType, User
from hearth.auth.tokens.limits import RATE_WINDOW, CreationRate, TokenLimits
from hearth.exceptions import Conflict, RateLimited

from .conftest import FakeClock, settle


def test_creation_rate_is_per_user_and_slides() -> None:
    now = [1000.0]
    rate = CreationRate(clock=lambda: now[0])
    for _ in range(3):
        rate.check("alice", 3)
    with pytest.raises(RateLimited, match="at most 3"):
        rate.check("alice", 3)
    rate.check("bob", 3)  # another user is not affected
    now[0] += RATE_WINDOW + 0.1
    rate.check("alice", 3)


async def test_sessions_beyond_the_cap_retire_the_least_recently_used(
    auth: AuthManager, alice: User, clock: FakeClock
) -> None:
    auth.limits = TokenLimits(max_sessions=3, max_long_lived=2, per_minute=100)
    revoked: list[str] = []
    auth.add_revoke_listener(revoked.append)
    first, _ = await auth.create_refresh_token(alice)
    clock.advance(1)
    second, _ = await auth.create_refresh_token(alice)
    clock.advance(1)
    third, _ = await auth.create_refresh_token(alice)
    clock.advance(1)
    auth.create_access_token(first)  # first is now the most recently used
    await auth.db.flush()
    clock.advance(1)
    fourth, _ = await auth.create_refresh_token(alice)
    await settle()
    assert revoked == [second.id]
    ids = {t.id for t in auth.list_refresh_tokens(alice.id)}
    assert ids == {first.id, third.id, fourth.id}
    entries = await auth.audit.query(event="token_revoked")
    assert entries[0].details == {"token_id": second.id, "reason": "session_limit"}


async def test_long_lived_tokens_beyond_the_cap_are_refused(auth: AuthManager, alice: User) -> None:
    auth.limits = TokenLimits(max_sessions=3, max_long_lived=2, per_minute=100)
    await auth.create_long_lived_token(alice, "one")
    await auth.create_long_lived_token(alice, "two")
    with pytest.raises(Conflict, match="2 long-lived tokens"):
        await auth.create_long_lived_token(alice, "three")
    # Sessions are counted apart from long-lived tokens.
    await auth.create_refresh_token(alice)
    kinds = sorted(t.token_type for t in auth.list_refresh_tokens(alice.id))
    assert kinds == [TokenType.LONG_LIVED, TokenType.LONG_LIVED, TokenType.NORMAL]


async def test_racing_creations_cannot_pass_the_cap(auth: AuthManager, alice: User) -> None:
    auth.limits = TokenLimits(max_sessions=3, max_long_lived=5, per_minute=100)
    results = await asyncio.gather(
        *(auth.create_long_lived_token(alice, f"t{n}") for n in range(12)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 5
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException))
    assert len(auth.list_refresh_tokens(alice.id)) == 5


async def test_creations_beyond_the_rate_are_refused(auth: AuthManager, alice: User) -> None:
    auth.limits = TokenLimits(max_sessions=100, max_long_lived=100, per_minute=4)
    for n in range(4):
        await auth.create_long_lived_token(alice, f"t{n}")
    with pytest.raises(RateLimited):
        await auth.create_refresh_token(alice)
    assert len(auth.list_refresh_tokens(alice.id)) == 4
