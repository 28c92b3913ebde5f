"""Token helpers: secrets, hashes, JWT encode/verify, the validated-token LRU."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import jwt

from hearth.auth.tokens.codec import (
    ValidatedTokens,
    encode_access_token,
    hash_secret,
    new_secret,
    new_token_id,
    peek_token_id,
    verify_access_token,
)

KEY = new_secret()


def test_ids_and_secrets_are_random_hex() -> None:
    assert len(new_token_id()) == 32
    assert len(new_secret()) == 128
    assert new_secret() != new_secret()
    int(new_token_id(), 16)


def test_hash_secret_is_sha256() -> None:
    assert hash_secret("abc") == hashlib.sha256(b"abc").hexdigest()


def test_round_trip() -> None:
    token_id = new_token_id()
    now = int(time.time())
    token = encode_access_token(token_id, KEY, issued_at=now, lifetime=timedelta(minutes=30))
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert peek_token_id(token) == token_id
    assert verify_access_token(token, KEY, token_id, now) == now + 1800
    assert verify_access_token(token, KEY, token_id, now + 1800) is None
    assert verify_access_token(token, KEY, new_token_id(), now) is None
    assert verify_access_token(token, new_secret(), token_id, now) is None


def test_peek_rejects_non_id_issuers() -> None:
    token = jwt.encode({"iss": "../../etc", "iat": 0, "exp": 1}, KEY, algorithm="HS256")
    assert peek_token_id(token) is None


def test_lru_is_bounded_and_keeps_recent_entries() -> None:
    cache = ValidatedTokens(size=2)
    cache.put("a", "id-a", 1.0)
    cache.put("b", "id-b", 2.0)
    assert cache.get("a") == ("id-a", 1.0)  # a becomes most recent
    cache.put("c", "id-c", 3.0)
    assert cache.get("b") is None
    assert cache.get("a") == ("id-a", 1.0)
    assert len(cache) == 2
    cache.discard("a")
    assert cache.get("a") is None
    cache.clear()
    assert len(cache) == 0


def test_rejected_tokens_are_bounded_and_skip_long_ones() -> None:
    from hearth.auth.tokens.codec import REJECTED_MAX_LENGTH, RejectedTokens

    cache = RejectedTokens(size=3)
    for token in ("a", "b", "c", "d"):
        cache.add(token)
    assert len(cache) == 3
    assert "a" not in cache
    assert "d" in cache
    cache.add("x" * (REJECTED_MAX_LENGTH + 1))
    assert len(cache) == 3
