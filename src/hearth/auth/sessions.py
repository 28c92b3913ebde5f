"""Refresh tokens (login sessions and long-lived tokens): creation, rotation and revocation.

Every change is one durable transaction of the writer thread (with its audit entries); the
caches the hot path reads change only once it is committed. A revoked or expired session leaves
tombstones (its id and its secrets' hashes) so that a client still presenting it is recognised.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final

from hearth import const
from hearth.auth.models import RefreshToken, TokenType, User
from hearth.auth.passwords import PasswordHasher
from hearth.auth.store import MAX_CLIENT_ID_LENGTH, AuthStore, clean_label
from hearth.auth.tokens.codec import (
    RejectedTokens,
    ValidatedTokens,
    encode_access_token,
    hash_secret,
    new_secret,
    new_token_id,
)
from hearth.auth.tokens.limits import CreationRate, TokenLimits
from hearth.auth.tokens.store import (
    bury_token,
    count_tokens,
    insert_token,
    least_used_sessions,
    touch_token,
)
from hearth.auth.users import UserAccounts
from hearth.exceptions import BadRequest, Conflict, InvalidAuth
from hearth.storage.audit import AuditLog, audit_row, insert_audit

_LOGGER = logging.getLogger(__name__)

RevokeListener = Callable[[str], None]
MAX_IP_LENGTH: Final = 64


class Sessions(UserAccounts):
    """The token half of AuthManager, with the caches the hot path (access tokens) needs."""

    def __init__(
        self,
        store: AuthStore,
        hasher: PasswordHasher,
        audit: AuditLog,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(store, hasher, clock)
        self.audit = audit
        # Replaced at startup with `auth:` max_sessions_per_user and friends.
        self.limits = TokenLimits()
        self._rate = CreationRate()
        self.on_revoke: list[RevokeListener] = []
        self._validated = ValidatedTokens()
        self._rejected = RejectedTokens()
        self._tokens: dict[str, RefreshToken] = {}

    def _active_user(self, user: User) -> User:
        current = self._users.get(user.id) or self._store.user(user.id)
        if current is None or not current.is_active:
            raise BadRequest("The user does not exist or is not active.")
        return current

    async def create_refresh_token(
        self,
        user: User,
        *,
        client_id: str | None = None,
        client_name: str | None = None,
        token_type: TokenType = TokenType.NORMAL,
        access_token_expiration: timedelta = const.ACCESS_TOKEN_LIFETIME,
        expires_at: datetime | None = None,
        ip: str | None = None,
    ) -> tuple[RefreshToken, str]:
        """A new refresh token and its secret; the secret is returned here once, stored hashed.

        At the user's session cap the least recently used session is revoked to make room; at
        the long-lived cap, Conflict; beyond the creation rate, RateLimited.
        """
        owner = self._active_user(user)
        if client_id is not None:
            client_id = clean_label(client_id, "client id", MAX_CLIENT_ID_LENGTH)
        if client_name is not None:
            client_name = clean_label(client_name, "token name")
        if token_type is TokenType.LONG_LIVED and client_name is None:
            raise BadRequest("A long-lived token needs a name.")
        if access_token_expiration <= timedelta(0):
            raise BadRequest("The access token lifetime must be positive.")
        self._rate.check(owner.id, self.limits.per_minute)
        secret = new_secret()
        token = RefreshToken(
            id=new_token_id(),
            user_id=owner.id,
            token_type=TokenType(token_type),
            created_at=self._now(),
            access_token_expiration=access_token_expiration,
            client_id=client_id,
            client_name=client_name,
            expires_at=expires_at,
            jwt_key=new_secret(),
        )
        details = {"token_id": token.id, "type": str(token.token_type), "client_id": client_id}
        created = audit_row(
            "token_created", user_id=owner.id, username=owner.username, ip=ip, details=details
        )
        now = self._clock()

        def create(conn: sqlite3.Connection) -> list[str]:
            evicted = self._make_room(conn, owner, token.token_type, now)
            insert_token(conn, token, hash_secret(secret))
            insert_audit(conn, created)
            return evicted

        evicted = await self._db.write(create)
        self._tokens[token.id] = token
        self._forget(evicted)
        _LOGGER.info("Created %s token %s for %s", token.token_type, token.id, owner.username)
        return token, secret

    def _make_room(
        self, conn: sqlite3.Connection, owner: User, token_type: TokenType, now: float
    ) -> list[str]:
        """Inside the creating transaction: enforce the user's cap for this type of token."""
        count = count_tokens(conn, owner.id, token_type)
        if token_type is TokenType.LONG_LIVED:
            if count >= self.limits.max_long_lived:
                raise Conflict(
                    f"This user already has {count} long-lived tokens, the most allowed "
                    "(auth: max_long_lived_tokens_per_user); delete one first."
                )
            return []
        excess = count - self.limits.max_sessions + 1
        if excess <= 0:
            return []
        evicted = []
        for token_id in least_used_sessions(conn, owner.id, excess):
            if bury_token(conn, token_id, now):
                evicted.append(token_id)
                details = {"token_id": token_id, "reason": "session_limit"}
                row = audit_row(
                    "token_revoked", user_id=owner.id, username=owner.username, details=details
                )
                insert_audit(conn, row)
        return evicted

    def create_access_token(self, refresh_token: RefreshToken, remote_ip: str | None = None) -> str:
        """Sign a new access token under a refresh token; its use is recorded as bookkeeping."""
        current = self._cached_token(refresh_token.id)
        now = self._clock()
        if current is None or self._usable(current, now) is None:
            raise InvalidAuth("The refresh token is no longer valid.")
        used_at = datetime.fromtimestamp(now, UTC)
        ip = remote_ip if remote_ip is None or len(remote_ip) <= MAX_IP_LENGTH else None
        self._db.submit(partial(touch_token, token_id=current.id, used_at=used_at, ip=ip))
        for token in (current, refresh_token):
            token.last_used_at, token.last_used_ip = used_at, ip
        return encode_access_token(
            current.id,
            current.jwt_key,
            issued_at=int(now),
            lifetime=current.access_token_expiration,
        )

    def _cached_token(self, token_id: str) -> RefreshToken | None:
        """From the cache, else one indexed lookup (the CLI may have just created it)."""
        token = self._tokens.get(token_id)
        if token is None:
            token = self._store.token(token_id)
            if token is not None:
                self._tokens[token.id] = token
        return token

    @staticmethod
    def _alive(token: RefreshToken, now: float) -> bool:
        """Whether the token has neither expired nor (a login session) sat unused too long."""
        if token.expires_at is not None and token.expires_at.timestamp() <= now:
            return False
        if token.token_type is TokenType.NORMAL:
            # A login session ends after 90 days without use (access tokens included).
            last = token.last_used_at or token.created_at
            if last.timestamp() + const.REFRESH_TOKEN_IDLE_LIFETIME.total_seconds() <= now:
                return False
        return True

    def _usable(self, token: RefreshToken, now: float) -> User | None:
        """The token's user if the token is alive and the user active, else None."""
        if not self._alive(token, now):
            return None
        user = self._users.get(token.user_id)
        if user is None:
            user = self._store.user(token.user_id)
            if user is None:
                return None
            self._users[user.id] = user
        return user if user.is_active else None

    def list_refresh_tokens(self, user_id: str | None = None) -> list[RefreshToken]:
        """Refresh tokens of one user or all users, oldest first; the last use as this process
        knows it (its bookkeeping may still wait for its batch)."""
        tokens = self._store.tokens(user_id)
        for token in tokens:
            cached = self._tokens.get(token.id)
            if cached is not None and used_later(cached, token):
                token.last_used_at, token.last_used_ip = cached.last_used_at, cached.last_used_ip
        return tokens

    def _forget(self, token_ids: list[str]) -> None:
        """Drop revoked tokens from the caches and tell the listeners (WebSockets close)."""
        for token_id in token_ids:
            self._tokens.pop(token_id, None)
            _LOGGER.info("Revoked token %s", token_id)
        self._notify_revoked(token_ids)

    # Revocation listeners

    def add_revoke_listener(self, listener: RevokeListener) -> Callable[[], None]:
        """Call `listener(token_id)` whenever a token stops being valid; returns unsubscribe."""
        self.on_revoke.append(listener)

        def unsubscribe() -> None:
            if listener in self.on_revoke:
                self.on_revoke.remove(listener)

        return unsubscribe

    def _notify_revoked(self, token_ids: list[str]) -> None:
        """Tell the listeners, at the next turn of the event loop: whoever revoked the tokens
        can still queue its answer (a WebSocket revoking its own token gets the result first)."""
        if not token_ids or not self.on_revoke:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._call_listeners(token_ids)
            return
        loop.call_soon(self._call_listeners, list(token_ids))

    def _call_listeners(self, token_ids: list[str]) -> None:
        for token_id in token_ids:
            for listener in list(self.on_revoke):
                try:
                    listener(token_id)
                except Exception:
                    _LOGGER.exception("Revoke listener failed")


def used_later(mine: RefreshToken, stored: RefreshToken) -> bool:
    """Whether this process saw a use of the token later than the store has."""
    if mine.last_used_at is None:
        return False
    return stored.last_used_at is None or mine.last_used_at > stored.last_used_at
