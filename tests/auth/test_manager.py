"""AuthManager: refresh/access/long-lived tokens, validation, revocation across processes."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.auth.models import RefreshToken, TokenType, User
from hearth.auth.tokens import checks as token_checks_module
from hearth.auth.tokens import codec as tokens_module
from hearth.auth.tokens.codec import new_secret
from hearth.exceptions import BadRequest, Conflict, InvalidAuth

from .conftest import PASSWORD, FakeClock, reload_soon


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(rt: RefreshToken, now: float, **extra: object) -> dict[str, object]:
    return {"iss": rt.id, "iat": int(now), "exp": int(now) + 600, **extra}


def tampered_signature(rt: RefreshToken, now: float) -> str:
    token = jwt.encode(claims(rt, now), rt.jwt_key, algorithm="HS256")
    head, body, sig = token.split(".")
    return f"{head}.{body}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"


def tampered_payload(rt: RefreshToken, now: float) -> str:
    token = jwt.encode(claims(rt, now), rt.jwt_key, algorithm="HS256")
    head, _body, sig = token.split(".")
    return f"{head}.{b64(claims(rt, now, exp=int(now) + 10**9))}.{sig}"


def alg_none(rt: RefreshToken, now: float) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(rt, now))}."


def other_key(rt: RefreshToken, now: float) -> str:
    return jwt.encode(claims(rt, now), new_secret(), algorithm="HS256")


def hs512_right_key(rt: RefreshToken, now: float) -> str:
    return jwt.encode(claims(rt, now), rt.jwt_key, algorithm="HS512")


def expired(rt: RefreshToken, now: float) -> str:
    return jwt.encode(claims(rt, now, iat=int(now) - 700, exp=int(now) - 1), rt.jwt_key)


def missing_exp(rt: RefreshToken, now: float) -> str:
    return jwt.encode({"iss": rt.id, "iat": int(now)}, rt.jwt_key, algorithm="HS256")


def string_exp(rt: RefreshToken, now: float) -> str:
    return jwt.encode(claims(rt, now, exp="9999999999"), rt.jwt_key, algorithm="HS256")


def unknown_issuer(rt: RefreshToken, now: float) -> str:
    return jwt.encode(claims(rt, now, iss="0" * 32), rt.jwt_key, algorithm="HS256")


def over_long(rt: RefreshToken, now: float) -> str:
    token = jwt.encode(claims(rt, now, pad="x" * 4096), rt.jwt_key, algorithm="HS256")
    assert len(token) > tokens_module.MAX_TOKEN_LENGTH
    return token


ATTACKS: list[Callable[[RefreshToken, float], str]] = [
    tampered_signature,
    tampered_payload,
    alg_none,
    other_key,
    hs512_right_key,
    expired,
    missing_exp,
    string_exp,
    unknown_issuer,
    over_long,
    lambda rt, now: "",
    lambda rt, now: "garbage",
    lambda rt, now: "a.b.c",
    lambda rt, now: "....",
    lambda rt, now: "é.é.é",
    lambda rt, now: "\ud800.x.y",
    lambda rt, now: f"{b64({'alg': 'HS256'})}.W10.",  # payload is a JSON list
    lambda rt, now: "A" * 5000,
]


@pytest.fixture
async def refresh(auth: AuthManager, alice: User) -> tuple[RefreshToken, str]:
    return await auth.create_refresh_token(alice, client_id="https://client.example/")


async def test_access_token_round_trip(
    auth: AuthManager, alice: User, refresh: tuple[RefreshToken, str]
) -> None:
    rt, secret = refresh
    assert await auth.validate_refresh_token(secret) == rt
    access = auth.create_access_token(rt, "192.0.2.1")
    user, found = auth.validate_access_token(access) or (None, None)
    assert user == alice
    assert found is not None
    assert found.id == rt.id
    assert jwt.get_unverified_header(access)["alg"] == "HS256"
    assert set(jwt.decode(access, options={"verify_signature": False})) == {"iss", "iat", "exp"}
    await auth.db.flush()  # the last use is bookkeeping, committed in batches
    stored = auth.list_refresh_tokens(alice.id)[0]
    assert stored.last_used_ip == "192.0.2.1"
    assert stored.last_used_at is not None


async def test_wrong_refresh_secret_is_rejected(
    auth: AuthManager, refresh: tuple[RefreshToken, str]
) -> None:
    assert await auth.validate_refresh_token(refresh[1] + "0") is None
    assert await auth.validate_refresh_token("") is None
    assert await auth.validate_refresh_token("x" * 5000) is None
    assert await auth.validate_refresh_token("\ud800") is None


@pytest.mark.parametrize("make", ATTACKS)
def test_bad_access_tokens_are_rejected(
    auth: AuthManager,
    refresh: tuple[RefreshToken, str],
    clock: FakeClock,
    make: Callable[[RefreshToken, float], str],
) -> None:
    assert auth.validate_access_token(make(refresh[0], clock())) is None


def test_over_long_token_is_rejected_before_decoding(
    auth: AuthManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("decoded")

    monkeypatch.setattr(token_checks_module, "peek_token_id", boom)
    monkeypatch.setattr(jwt, "decode", boom)
    assert auth.validate_access_token("x" * (tokens_module.MAX_TOKEN_LENGTH + 1)) is None


def test_repeat_validation_skips_decoding(
    auth: AuthManager, refresh: tuple[RefreshToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    access = auth.create_access_token(refresh[0])
    assert auth.validate_access_token(access) is not None

    def boom(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("decoded again")

    monkeypatch.setattr(jwt, "decode", boom)
    assert auth.validate_access_token(access) is not None


@pytest.mark.parametrize("validate_first", [False, True], ids=["fresh", "cached"])
def test_expired_access_token_is_rejected(
    auth: AuthManager,
    refresh: tuple[RefreshToken, str],
    clock: FakeClock,
    validate_first: bool,
) -> None:
    access = auth.create_access_token(refresh[0])
    if validate_first:
        assert auth.validate_access_token(access) is not None
    clock.advance(const.ACCESS_TOKEN_LIFETIME.total_seconds())
    assert auth.validate_access_token(access) is None


async def test_expired_refresh_token_is_rejected(
    auth: AuthManager, alice: User, clock: FakeClock
) -> None:
    from datetime import UTC, datetime

    rt, secret = await auth.create_refresh_token(
        alice, expires_at=datetime.fromtimestamp(clock() + 60, UTC)
    )
    access = auth.create_access_token(rt)
    assert auth.validate_access_token(access) is not None
    clock.advance(61)
    assert auth.validate_access_token(access) is None
    assert await auth.validate_refresh_token(secret) is None
    with pytest.raises(InvalidAuth):
        auth.create_access_token(rt)


@pytest.mark.parametrize("validate_first", [False, True], ids=["fresh", "cached"])
async def test_revoked_token_is_rejected(
    auth: AuthManager, refresh: tuple[RefreshToken, str], validate_first: bool
) -> None:
    rt, secret = refresh
    revoked: list[str] = []
    unsubscribe = auth.add_revoke_listener(revoked.append)
    access = auth.create_access_token(rt)
    if validate_first:
        assert auth.validate_access_token(access) is not None
    assert await auth.remove_refresh_token(rt.id)
    await asyncio.sleep(0)  # listeners are told at the next turn of the loop
    assert revoked == [rt.id]
    assert auth.validate_access_token(access) is None
    assert await auth.validate_refresh_token(secret) is None
    assert not await auth.remove_refresh_token(rt.id)
    with pytest.raises(InvalidAuth):
        auth.create_access_token(rt)
    unsubscribe()
    unsubscribe()
    assert auth.on_revoke == []


async def test_failing_listener_does_not_stop_others(
    auth: AuthManager, refresh: tuple[RefreshToken, str], caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def broken(_token_id: str) -> None:
        raise RuntimeError("listener bug")

    auth.add_revoke_listener(broken)
    auth.add_revoke_listener(seen.append)
    await auth.remove_refresh_token(refresh[0].id)
    await asyncio.sleep(0)
    assert seen == [refresh[0].id]
    assert "Revoke listener failed" in caplog.text


async def test_revocation_in_another_process_is_picked_up(
    auth: AuthManager, other_process: AuthManager, refresh: tuple[RefreshToken, str]
) -> None:
    rt = refresh[0]
    access = auth.create_access_token(rt)
    assert auth.validate_access_token(access) is not None
    revoked: list[str] = []
    auth.add_revoke_listener(revoked.append)
    assert not await auth.reload_if_changed()

    assert await other_process.remove_refresh_token(rt.id)
    assert await reload_soon(auth)
    await asyncio.sleep(0)
    assert revoked == [rt.id]
    assert auth.validate_access_token(access) is None
    assert not await auth.reload_if_changed()


async def test_deactivation_in_another_process_is_picked_up(
    auth: AuthManager, other_process: AuthManager, alice: User, refresh: tuple[RefreshToken, str]
) -> None:
    access = auth.create_access_token(refresh[0])
    assert auth.validate_access_token(access) is not None
    revoked: list[str] = []
    auth.add_revoke_listener(revoked.append)
    await other_process.set_user_active(alice.id, False)
    assert await reload_soon(auth)
    await asyncio.sleep(0)
    assert revoked == [refresh[0].id]
    assert auth.validate_access_token(access) is None


async def test_local_deactivation_invalidates_at_once(
    auth: AuthManager, alice: User, refresh: tuple[RefreshToken, str]
) -> None:
    access = auth.create_access_token(refresh[0])
    assert auth.validate_access_token(access) is not None
    revoked: list[str] = []
    auth.add_revoke_listener(revoked.append)
    await auth.set_user_active(alice.id, False)
    assert auth.validate_access_token(access) is None
    await asyncio.sleep(0)
    assert revoked == [refresh[0].id]
    await auth.set_user_active(alice.id, True)
    assert auth.validate_access_token(access) is not None


async def test_made_local_only_closes_connections_here_and_from_the_cli(
    auth: AuthManager, other_process: AuthManager, alice: User, refresh: tuple[RefreshToken, str]
) -> None:
    """Connections from outside must end; tokens stay valid (on the local network)."""
    revoked: list[str] = []
    auth.add_revoke_listener(revoked.append)
    await auth.update_user(alice.id, local_only=True)
    await asyncio.sleep(0)  # listeners are told at the next turn of the loop
    assert revoked == [refresh[0].id]
    await auth.update_user(alice.id, local_only=False)
    await other_process.update_user(alice.id, local_only=True)
    assert await reload_soon(auth)
    await asyncio.sleep(0)
    assert revoked == [refresh[0].id] * 2
    assert auth.validate_access_token(auth.create_access_token(refresh[0])) is not None


async def test_token_created_in_another_process_works_at_once(
    auth: AuthManager, other_process: AuthManager, alice: User
) -> None:
    owner = other_process.get_user(alice.id)
    assert owner is not None
    _rt, access = await other_process.create_long_lived_token(owner, "cli")
    result = auth.validate_access_token(access)
    assert result is not None
    assert result[0].id == alice.id


async def test_long_lived_token(auth: AuthManager, alice: User, clock: FakeClock) -> None:
    rt, access = await auth.create_long_lived_token(alice, "  dashboard  ", days=10)
    assert rt.token_type is TokenType.LONG_LIVED
    assert rt.client_name == "dashboard"
    assert rt.access_token_expiration == timedelta(days=10)
    claims_ = jwt.decode(access, rt.jwt_key, algorithms=["HS256"])
    assert claims_["exp"] - claims_["iat"] == 10 * 86400
    assert rt.last_used_at is None
    assert auth.validate_access_token(access) is not None
    clock.advance(10 * 86400)
    assert auth.validate_access_token(access) is None


async def test_long_lived_default_lifetime(auth: AuthManager, alice: User) -> None:
    rt, _access = await auth.create_long_lived_token(alice, "default")
    assert rt.access_token_expiration == timedelta(days=const.LONG_LIVED_TOKEN_DEFAULT_DAYS)


@pytest.mark.parametrize("days", [1, const.LONG_LIVED_TOKEN_MAX_DAYS])
async def test_long_lived_days_bounds_accepted(auth: AuthManager, alice: User, days: int) -> None:
    rt, _access = await auth.create_long_lived_token(alice, "edge", days=days)
    assert rt.access_token_expiration == timedelta(days=days)


@pytest.mark.parametrize("days", [0, -1, const.LONG_LIVED_TOKEN_MAX_DAYS + 1, True, 1.5, "7"])
async def test_long_lived_days_bounds_rejected(
    auth: AuthManager, alice: User, days: object
) -> None:
    with pytest.raises(BadRequest, match="days"):
        await auth.create_long_lived_token(alice, "bad", days=days)  # type: ignore[arg-type]
    assert auth.list_refresh_tokens() == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "evil\x1b[2J", "tab\there"])
async def test_long_lived_name_is_checked(auth: AuthManager, alice: User, name: str) -> None:
    with pytest.raises(BadRequest, match="token name"):
        await auth.create_long_lived_token(alice, name)


async def test_long_lived_name_unique_per_user(auth: AuthManager, alice: User) -> None:
    await auth.create_long_lived_token(alice, "ha")
    with pytest.raises(Conflict):
        await auth.create_long_lived_token(alice, "ha")
    bob = await auth.create_user("bob", PASSWORD)
    await auth.create_long_lived_token(bob, "ha")


async def test_inactive_user_gets_no_tokens(auth: AuthManager, alice: User) -> None:
    await auth.set_user_active(alice.id, False)
    with pytest.raises(BadRequest, match="not active"):
        await auth.create_long_lived_token(alice, "x")


async def test_database_never_holds_token_secrets(
    auth: AuthManager, alice: User, refresh: tuple[RefreshToken, str], tmp_path: Path
) -> None:
    rt, secret = refresh
    access = auth.create_access_token(rt)
    _ll, long_lived = await auth.create_long_lived_token(alice, "secretless")
    await auth.db.flush()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("hearth.db"))
    assert tokens_module.hash_secret(secret).encode() in raw  # we searched the right files
    for value in (secret, access, long_lived):
        assert value.encode() not in raw
    assert PASSWORD.encode() not in raw


def test_reprs_hold_no_secrets(auth: AuthManager, refresh: tuple[RefreshToken, str]) -> None:
    rt, secret = refresh
    text = repr(rt) + repr(auth.list_refresh_tokens()) + repr(auth) + repr(auth.hasher)
    assert rt.jwt_key not in text
    assert secret not in text


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    garbage=st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda a, b, c: f"{a}.{b}.{c}",
            st.text(max_size=80),
            st.text(max_size=80),
            st.text(max_size=80),
        ),
        st.builds(
            lambda payload: f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{payload}.sig",
            st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        ),
    )
)
def test_garbage_never_raises(auth: AuthManager, garbage: str) -> None:
    assert auth.validate_access_token(garbage) is None
    assert asyncio.run(auth.validate_refresh_token(garbage)) is None


def test_a_refused_token_is_not_decoded_again(
    auth: AuthManager, refresh: tuple[RefreshToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flood of one bad token costs a dict lookup per request, not a JWT decode."""
    forged = tampered_signature(refresh[0], auth._clock())
    calls: list[str] = []
    real_peek = token_checks_module.peek_token_id

    def counting_peek(token: str) -> str | None:
        calls.append(token)
        return real_peek(token)

    monkeypatch.setattr(token_checks_module, "peek_token_id", counting_peek)
    for _ in range(5):
        assert auth.validate_access_token(forged) is None
    assert calls == [forged]
    # A good token is unaffected.
    assert auth.validate_access_token(auth.create_access_token(refresh[0])) is not None
