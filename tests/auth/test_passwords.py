"""Password policy and Argon2id hashing."""

from __future__ import annotations

import asyncio
import threading
import unicodedata

import argon2
import pytest

from hearth import const
from hearth.auth.passwords import (
    _DEFAULT_DUMMY_HASH,
    PasswordHasher,
    check_password,
)
from hearth.exceptions import BadRequest, Unavailable

SECRET = "an unguessable passphrase"


def test_default_parameters_are_owasp_argon2id() -> None:
    hasher = PasswordHasher()
    encoded = hasher.hash_sync(SECRET)
    params = argon2.extract_parameters(encoded)
    assert encoded.startswith("$argon2id$")
    assert params.type is argon2.Type.ID
    assert params.memory_cost >= 19456
    assert params.time_cost >= 2
    assert params.parallelism >= 1
    assert SECRET not in encoded
    assert hasher.verify_sync(encoded, SECRET)
    assert not hasher.needs_rehash(encoded)


def test_dummy_hash_costs_what_a_real_one_costs() -> None:
    default = argon2.extract_parameters(PasswordHasher().hash_sync("x"))
    assert argon2.extract_parameters(_DEFAULT_DUMMY_HASH) == default


def test_verify(fast_hasher: PasswordHasher) -> None:
    encoded = fast_hasher.hash_sync(SECRET)
    assert fast_hasher.verify_sync(encoded, SECRET)
    assert not fast_hasher.verify_sync(encoded, SECRET + "x")
    assert not fast_hasher.verify_sync("not a hash", SECRET)
    assert not fast_hasher.verify_sync(encoded, "x" * (const.PASSWORD_MAX_LENGTH + 1))


def test_equivalent_unicode_forms_match(fast_hasher: PasswordHasher) -> None:
    composed = "pässwörd-long-enough"
    encoded = fast_hasher.hash_sync(composed)
    assert fast_hasher.verify_sync(encoded, unicodedata.normalize("NFD", composed))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"memory_cost": 32, "time_cost": 1}, True, id="weaker"),
        pytest.param({"memory_cost": 64, "time_cost": 1}, False, id="same"),
        pytest.param({"memory_cost": 128, "time_cost": 2}, False, id="stronger"),
    ],
)
def test_needs_rehash_only_when_weaker(
    fast_hasher: PasswordHasher, params: dict[str, int], expected: bool
) -> None:
    other = PasswordHasher(parallelism=1, **params)
    assert fast_hasher.needs_rehash(other.hash_sync(SECRET)) is expected


@pytest.mark.parametrize(
    "encoded",
    [
        "garbage",
        "",
        argon2.PasswordHasher(memory_cost=64, time_cost=1, type=argon2.Type.I).hash("x"),
    ],
    ids=["garbage", "empty", "argon2i"],  # fixed: the hash has a random salt
)
def test_needs_rehash_for_foreign_hashes(fast_hasher: PasswordHasher, encoded: str) -> None:
    assert fast_hasher.needs_rehash(encoded)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Zq9#kX", "too short"),
        ("x" * (const.PASSWORD_MAX_LENGTH + 1), "too long"),
        (12345678901234, "must be a string"),
    ],
)
def test_policy_rejects_without_echoing(password: object, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason) as info:
        check_password(password)
    assert str(password) not in info.value.message


def test_policy_accepts_long_passphrases() -> None:
    check_password("x" * const.PASSWORD_MAX_LENGTH)
    check_password("a" * const.PASSWORD_MIN_LENGTH)


async def test_async_hash_and_verify(fast_hasher: PasswordHasher) -> None:
    encoded = await fast_hasher.hash(SECRET)
    assert await fast_hasher.verify(encoded, SECRET)
    assert not await fast_hasher.verify(encoded, "wrong")
    await fast_hasher.verify_dummy(SECRET)


async def test_full_queue_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(memory_cost=64, time_cost=1, workers=1, queue_limit=1)
    release = threading.Event()

    def blocked(password: str) -> str:
        release.wait(5)
        return "done"

    monkeypatch.setattr(hasher, "hash_sync", blocked)
    running = [asyncio.ensure_future(hasher.hash("a")), asyncio.ensure_future(hasher.hash("b"))]
    await asyncio.sleep(0)
    with pytest.raises(Unavailable):
        await hasher.hash("c")
    release.set()
    assert await asyncio.gather(*running) == ["done", "done"]
    assert await hasher.hash("d") == "done"
    hasher.close()


def test_repr_shows_parameters_only() -> None:
    assert repr(PasswordHasher()) == "PasswordHasher(m=19456, t=2, p=1)"
