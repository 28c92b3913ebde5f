"""Telling a guess from a token this hub issued: only tokens that were never valid count."""

from __future__ import annotations

import jwt
import pytest

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.auth.models import RefreshToken, User
from hearth.auth.tokens import checks as token_checks_module
from hearth.auth.tokens.codec import new_secret

from .conftest import PASSWORD, FakeClock

NEW_PASSWORD = "vermilion otter juggles quietly"


def signed(rt: RefreshToken, now: float, *, key: str | None = None, iss: str | None = None) -> str:
    claims = {"iss": iss or rt.id, "iat": int(now), "exp": int(now) + 600}
    return jwt.encode(claims, key or rt.jwt_key, algorithm="HS256")


@pytest.fixture
async def session(auth: AuthManager, alice: User) -> tuple[RefreshToken, str]:
    return await auth.create_refresh_token(alice, client_id="https://phone.example/")


@pytest.mark.parametrize(
    "token", ["", "garbage", "a.b.c", "x" * 5000, "é.é.é", jwt.encode({"iss": "0" * 32}, "k" * 32)]
)
def test_garbage_and_unknown_sessions_are_guesses(auth: AuthManager, token: str) -> None:
    checked = auth.check_access_token(token)
    assert checked.result is None
    assert checked.guess


async def test_a_forgery_for_a_live_session_is_a_guess(
    auth: AuthManager, session: tuple[RefreshToken, str], clock: FakeClock
) -> None:
    checked = auth.check_access_token(signed(session[0], clock(), key=new_secret()))
    assert checked.result is None
    assert checked.guess


async def test_an_expired_access_token_is_not_a_guess(
    auth: AuthManager, session: tuple[RefreshToken, str], clock: FakeClock
) -> None:
    access = auth.create_access_token(session[0])
    assert auth.check_access_token(access).result is not None
    clock.advance(const.ACCESS_TOKEN_LIFETIME.total_seconds() + 1)
    for _ in range(6):  # a phone with six requests in flight
        checked = auth.check_access_token(access)
        assert checked.result is None
        assert not checked.guess


async def test_a_revoked_sessions_token_is_not_a_guess(
    auth: AuthManager, session: tuple[RefreshToken, str]
) -> None:
    access = auth.create_access_token(session[0])
    await auth.remove_refresh_token(session[0].id)
    # Its signing key is gone; its id is remembered as a tombstone.
    checked = auth.check_access_token(access)
    assert checked.result is None
    assert not checked.guess


async def test_a_deactivated_users_token_is_not_a_guess(
    auth: AuthManager, alice: User, session: tuple[RefreshToken, str]
) -> None:
    access = auth.create_access_token(session[0])
    await auth.set_user_active(alice.id, False)
    checked = auth.check_access_token(access)
    assert (checked.result, checked.guess) == (None, False)
    await auth.set_user_active(alice.id, True)
    assert auth.check_access_token(access).result is not None


async def test_a_verdict_is_remembered_without_decoding_again(
    auth: AuthManager,
    session: tuple[RefreshToken, str],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expired = signed(session[0], clock() - 3600)
    forged = signed(session[0], clock(), key=new_secret())
    assert not auth.check_access_token(expired).guess
    assert auth.check_access_token(forged).guess
    calls: list[str] = []
    real_peek = token_checks_module.peek_token_id

    def counting_peek(token: str) -> str | None:
        calls.append(token)
        return real_peek(token)

    monkeypatch.setattr(token_checks_module, "peek_token_id", counting_peek)
    for _ in range(5):
        assert not auth.check_access_token(expired).guess
        assert auth.check_access_token(forged).guess
    assert calls == []


async def test_random_refresh_secrets_are_guesses(auth: AuthManager) -> None:
    for secret in ("", "x", new_secret(), "x" * 5000, "\ud800"):
        checked = await auth.check_refresh_token(secret)
        assert (checked.token, checked.guess) == (None, True)


async def test_a_refresh_token_revoked_by_a_password_change_is_not_a_guess(
    auth: AuthManager, alice: User, session: tuple[RefreshToken, str]
) -> None:
    _, secret = session
    assert (await auth.check_refresh_token(secret)).token is not None
    await auth.change_password(alice, NEW_PASSWORD)
    checked = await auth.check_refresh_token(secret)
    assert (checked.token, checked.guess) == (None, False)
    assert await auth.authenticate("alice", PASSWORD) is None


async def test_an_idle_or_pruned_session_is_not_a_guess(
    auth: AuthManager, session: tuple[RefreshToken, str], clock: FakeClock
) -> None:
    rt, secret = session
    access = auth.create_access_token(rt)
    clock.advance(const.REFRESH_TOKEN_IDLE_LIFETIME.total_seconds() + 1)
    assert await auth.check_refresh_token(secret) == (None, False)
    assert await auth.prune_dead_tokens() == 1
    assert await auth.check_refresh_token(secret) == (None, False)
    assert auth.check_access_token(access) == (None, False)


async def test_tombstones_are_pruned_after_their_lifetime(
    auth: AuthManager, session: tuple[RefreshToken, str], clock: FakeClock
) -> None:
    rt, secret = session
    await auth.remove_refresh_token(rt.id)
    assert auth._store.is_revoked(rt.id)
    assert await auth.prune_tombstones() == 0
    clock.advance(const.TOKEN_TOMBSTONE_LIFETIME.total_seconds() + 1)
    assert await auth.prune_tombstones() == 2  # the id and the secret's hash
    assert (await auth.check_refresh_token(secret)).guess
