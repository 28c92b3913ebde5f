"""Checking presented tokens, and telling a guess from a token this hub really issued.

Threat (both ways): a guesser must be counted toward an IP ban; a household phone must not be.
A phone with several requests in flight keeps presenting its expired access token, the refresh
token that a password change revoked, or the token of a user just deactivated: each was issued
here (its signature is valid, or its session is a known tombstone), so it is refused (401,
`invalid_grant`) without counting. Only tokens that were never valid count: garbage, forgeries
(a bad signature for a live session), and sessions this hub never had. A forged token naming a
revoked session is not counted either; it can never succeed, so not counting it gains nothing.
"""

from __future__ import annotations

import hmac
from typing import NamedTuple

from hearth.auth.models import RefreshToken, TokenType, User
from hearth.auth.revocation import Revocations
from hearth.auth.tokens.codec import (
    MAX_TOKEN_LENGTH,
    decode_access_token,
    hash_secret,
    peek_token_id,
)

Validated = tuple[User, RefreshToken]


class AccessCheck(NamedTuple):
    """The verdict on an access token: who it is for, or whether its refusal counts."""

    result: Validated | None
    guess: bool = False  # refused, and never valid: counts toward the IP ban


class RefreshCheck(NamedTuple):
    """The verdict on a refresh token's secret."""

    token: RefreshToken | None
    guess: bool = False


_GUESS = AccessCheck(None, guess=True)
_KNOWN = AccessCheck(None, guess=False)


class TokenChecks(Revocations):
    """Validation of access and refresh tokens, on top of the session caches."""

    def validate_access_token(self, token: str) -> Validated | None:
        """The user and refresh token behind a valid access token, else None (never raises)."""
        return self.check_access_token(token).result

    def check_access_token(self, token: str) -> AccessCheck:
        """The user and refresh token behind an access token, or whether its refusal counts."""
        # Length first: nothing longer is hashed, decoded or looked up.
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            return _GUESS
        remembered = self._rejected.get(token)
        if remembered is not None:
            return _GUESS if remembered else _KNOWN
        now = self._clock()
        hit = self._validated.get(token)
        if hit is not None:
            token_id, expires = hit
            refresh = self._tokens.get(token_id) if expires > now else None
            user = None if refresh is None else self._usable(refresh, now)
            if refresh is not None and user is not None:
                return AccessCheck((user, refresh))
            # It validated before: expired, revoked or its user deactivated since, not a guess.
            self._validated.discard(token)
            return _KNOWN
        return self._full_check(token, now)

    def _full_check(self, token: str, now: float) -> AccessCheck:
        token_id = peek_token_id(token)
        if token_id is None:
            self._rejected.add(token)
            return _GUESS
        refresh = self._cached_token(token_id)
        if refresh is None:
            # An id is never reused, so either verdict is final.
            issued = self._store.is_revoked(token_id)
            self._rejected.add(token, guess=not issued)
            return _KNOWN if issued else _GUESS
        expires = decode_access_token(token, refresh.jwt_key, refresh.id)
        if expires is None:
            self._rejected.add(token)  # forged for a live session
            return _GUESS
        if expires <= now:
            self._rejected.add(token, guess=False)
            return _KNOWN
        user = self._usable(refresh, now)
        if user is None:
            return _KNOWN  # session idle too long, or user inactive (may come back): not cached
        self._validated.put(token, refresh.id, expires)
        return AccessCheck((user, refresh))

    async def check_refresh_token(self, secret: str) -> RefreshCheck:
        """The unexpired login session a secret belongs to (whatever its user's state), or
        whether its refusal counts. A rotated-out secret revokes its session (see
        rotate_refresh_token)."""
        if (
            not isinstance(secret, str)
            or not 0 < len(secret) <= MAX_TOKEN_LENGTH
            or not secret.isascii()
        ):
            return RefreshCheck(None, guess=True)
        digest = hash_secret(secret)
        found = self._store.token_by_hash(digest)
        if found is None:
            reused = self._store.rotated_token_id(digest)
            if reused is not None:
                await self._reuse_detected(reused)
                return RefreshCheck(None)
            return RefreshCheck(None, guess=not self._store.is_revoked(digest))
        if not hmac.compare_digest(found[1], digest):
            return RefreshCheck(None, guess=True)
        # The cached record knows the latest use (its bookkeeping may still wait for a batch).
        token = self._tokens.setdefault(found[0].id, found[0])
        if token.token_type is TokenType.LONG_LIVED:
            # Its secret is discarded at creation: nobody can hold it.
            return RefreshCheck(None, guess=True)
        if not self._alive(token, self._clock()):
            return RefreshCheck(None)
        return RefreshCheck(token)

    async def find_refresh_token(self, secret: str) -> RefreshToken | None:
        """The unexpired login session a secret belongs to, whatever its user's state."""
        return (await self.check_refresh_token(secret)).token

    async def validate_refresh_token(self, secret: str) -> RefreshToken | None:
        """The refresh token for a secret if it is valid and its user active, else None."""
        token = await self.find_refresh_token(secret)
        if token is None or self._usable(token, self._clock()) is None:
            return None
        return token
