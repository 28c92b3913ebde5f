"""Token secrets, their hashes, and access-token JWTs (HS256 only, one key per refresh token)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import OrderedDict
from datetime import timedelta
from typing import Final

import jwt

MAX_TOKEN_LENGTH: Final = 4096
VALIDATED_CACHE_SIZE: Final = 4096
REJECTED_CACHE_SIZE: Final = 4096
# Only tokens up to this length are remembered as rejected, so the cache stays under ~2 MiB.
REJECTED_MAX_LENGTH: Final = 512
ALGORITHM: Final = "HS256"
# Only these claims are trusted; anything a client adds is ignored.
_REQUIRED_CLAIMS: Final = ["iss", "iat", "exp"]
_TOKEN_ID: Final = re.compile(r"[0-9a-f]{32}")


def new_token_id() -> str:
    """A random id (128 bits, hex) for users and refresh tokens."""
    return secrets.token_hex(16)


def new_secret() -> str:
    """A refresh-token secret or a JWT signing key (512 bits, hex)."""
    return secrets.token_hex(64)


def hash_secret(secret: str) -> str:
    """The SHA-256 of a token secret: what the store keeps instead of the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


def encode_access_token(token_id: str, key: str, *, issued_at: int, lifetime: timedelta) -> str:
    """Sign an access token for the refresh token `token_id`."""
    claims = {
        "iss": token_id,
        "iat": issued_at,
        "exp": issued_at + int(lifetime.total_seconds()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def _plausible(token: object) -> bool:
    """Cheap shape checks before any decoding: a bounded ASCII string with three parts."""
    return (
        isinstance(token, str)
        and 0 < len(token) <= MAX_TOKEN_LENGTH
        and token.isascii()
        and token.count(".") == 2
    )


def peek_token_id(token: str) -> str | None:
    """The unverified `iss` claim (which key to check the signature with), or None for garbage."""
    if not _plausible(token):
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    token_id = claims.get("iss")
    if isinstance(token_id, str) and _TOKEN_ID.fullmatch(token_id):
        return token_id
    return None


def decode_access_token(token: str, key: str, token_id: str) -> float | None:
    """Check signature (HS256 only) and issuer; the expiry time, passed or not, or None (forged)."""
    if not _plausible(token):
        return None
    try:
        claims = jwt.decode(
            token,
            key,
            # Pinning the algorithm rules out alg=none and algorithm-confusion tricks.
            algorithms=[ALGORITHM],
            issuer=token_id,
            # Expiry is checked by the caller against our own clock, with no leeway.
            options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    return float(exp)


def verify_access_token(token: str, key: str, token_id: str, now: float) -> float | None:
    """Check signature, issuer and expiry; return the expiry time, or None."""
    exp = decode_access_token(token, key, token_id)
    return None if exp is None or exp <= now else exp


class ValidatedTokens:
    """A bounded LRU of recently validated access tokens: token -> (refresh token id, expiry).

    Only tokens that passed full validation (ours, so short) get in, so memory stays bounded; the
    signing keys these tokens derive from sit in memory anyway.
    """

    def __init__(self, size: int = VALIDATED_CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> tuple[str, float] | None:
        """The cached (token id, expiry) for a token string, if any."""
        entry = self._entries.get(token)
        if entry is not None:
            self._entries.move_to_end(token)
        return entry

    def put(self, token: str, token_id: str, expires: float) -> None:
        """Remember a token that just passed full validation."""
        self._entries[token] = (token_id, expires)
        self._entries.move_to_end(token)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def discard(self, token: str) -> None:
        """Forget one token."""
        self._entries.pop(token, None)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()


class RejectedTokens:
    """A bounded LRU of access tokens that can never become valid, with whether each counts as a
    guess (garbage, forged) or was really issued here (expired, revoked).

    Threat: a flood of the same bad token. Decoding a JWT and looking up its issuer costs tens of
    microseconds; remembering the verdict makes a repeat cost one dict lookup. Only permanent
    verdicts go in: a token refused because its user is inactive is not remembered, since the
    user may be reactivated.
    """

    def __init__(self, size: int = REJECTED_CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, bool] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, token: str) -> bool:
        return token in self._entries

    def get(self, token: str) -> bool | None:
        """Whether a remembered token counts as a guess; None if it is not remembered."""
        return self._entries.get(token)

    def add(self, token: str, *, guess: bool = True) -> None:
        """Remember a permanently invalid token (long ones are not kept)."""
        if len(token) > REJECTED_MAX_LENGTH:
            return
        self._entries[token] = guess
        self._entries.move_to_end(token)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
