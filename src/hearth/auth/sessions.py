"""Refresh tokens and access tokens: creation, validation, rotation and revocation."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hearth import const
from hearth.auth.models import RefreshToken, TokenType, User
from hearth.auth.passwords import PasswordHasher
from hearth.auth.store import MAX_CLIENT_ID_LENGTH, AuthStore, clean_label
from hearth.auth.tokens import (
    MAX_TOKEN_LENGTH,
    RejectedTokens,
    ValidatedTokens,
    encode_access_token,
    hash_secret,
    new_secret,
    new_token_id,
    peek_token_id,
    verify_access_token,
)
from hearth.auth.users import UserAccounts
from hearth.exceptions import BadRequest, InvalidAuth
from hearth.storage.audit import AuditLog

_LOGGER = logging.getLogger(__name__)

RevokeListener = Callable[[str], None]
MAX_IP_LENGTH = 64


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
        self.on_revoke: list[RevokeListener] = []
        self._validated = ValidatedTokens()
        self._rejected = RejectedTokens()
        self._tokens: dict[str, RefreshToken] = {}

    def _active_user(self, user: User) -> User:
        current = self._users.get(user.id) or self._store.user(user.id)
        if current is None or not current.is_active:
            raise BadRequest("The user does not exist or is not active.")
        return current

    def create_refresh_token(
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
        """A new refresh token and its secret; the secret is returned here once, stored hashed."""
        owner = self._active_user(user)
        if client_id is not None:
            client_id = clean_label(client_id, "client id", MAX_CLIENT_ID_LENGTH)
        if client_name is not None:
            client_name = clean_label(client_name, "token name")
        if token_type is TokenType.LONG_LIVED and client_name is None:
            raise BadRequest("A long-lived token needs a name.")
        if access_token_expiration <= timedelta(0):
            raise BadRequest("The access token lifetime must be positive.")
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
        self._store.add_token(token, hash_secret(secret), owner.username)
        self._tokens[token.id] = token
        _LOGGER.info("Created %s token %s for %s", token.token_type, token.id, owner.username)
        self.audit.record(
            "token_created",
            user_id=owner.id,
            username=owner.username,
            ip=ip,
            details={"token_id": token.id, "type": str(token.token_type), "client_id": client_id},
        )
        return token, secret

    def create_access_token(self, refresh_token: RefreshToken, remote_ip: str | None = None) -> str:
        """Sign a new access token under a refresh token and record its use."""
        current = self._cached_token(refresh_token.id)
        now = self._clock()
        if current is None or self._usable(current, now) is None:
            raise InvalidAuth("The refresh token is no longer valid.")
        used_at = datetime.fromtimestamp(now, UTC)
        ip = remote_ip if remote_ip is None or len(remote_ip) <= MAX_IP_LENGTH else None
        self._store.touch_token(current.id, used_at, ip)
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

    def validate_access_token(self, token: str) -> tuple[User, RefreshToken] | None:
        """The user and refresh token behind a valid access token, else None (never raises)."""
        # Length first: nothing longer is hashed, decoded or looked up.
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            return None
        if token in self._rejected:
            return None
        now = self._clock()
        hit = self._validated.get(token)
        result = self._recheck(hit, now) if hit is not None else self._full_check(token, now)
        if result is None and hit is not None:
            self._validated.discard(token)
        return result

    def _recheck(self, hit: tuple[str, float], now: float) -> tuple[User, RefreshToken] | None:
        """A cache hit skips the JWT decode but still checks expiry and revocation."""
        token_id, expires = hit
        refresh = self._tokens.get(token_id) if expires > now else None
        if refresh is None:
            return None
        user = self._usable(refresh, now)
        return None if user is None else (user, refresh)

    def _full_check(self, token: str, now: float) -> tuple[User, RefreshToken] | None:
        token_id = peek_token_id(token)
        refresh = None if token_id is None else self._cached_token(token_id)
        if refresh is None:
            # Garbage, or an issuer that does not exist: an id is never reused, so this is final.
            self._rejected.add(token)
            return None
        expires = verify_access_token(token, refresh.jwt_key, refresh.id, now)
        if expires is None:
            # A bad signature or an expired token: final too.
            self._rejected.add(token)
            return None
        user = self._usable(refresh, now)
        if user is None:
            return None
        self._validated.put(token, refresh.id, expires)
        return user, refresh

    def validate_refresh_token(self, secret: str) -> RefreshToken | None:
        """The refresh token for a secret if it is valid and its user active, else None."""
        token = self.find_refresh_token(secret)
        if token is None or self._usable(token, self._clock()) is None:
            return None
        return token

    def find_refresh_token(self, secret: str) -> RefreshToken | None:
        """The unexpired login session a secret belongs to, whatever its user's state; a
        rotated-out secret revokes its session (see rotate_refresh_token) and gives None."""
        if (
            not isinstance(secret, str)
            or not 0 < len(secret) <= MAX_TOKEN_LENGTH
            or not secret.isascii()
        ):
            return None
        digest = hash_secret(secret)
        found = self._store.token_by_hash(digest)
        if found is None:
            self._check_reuse(digest)
            return None
        if not hmac.compare_digest(found[1], digest):
            return None
        token = found[0]
        # Long-lived tokens are used only through their access token; their secret is discarded.
        if token.token_type is TokenType.LONG_LIVED or not self._alive(token, self._clock()):
            return None
        self._tokens[token.id] = token
        return token

    def list_refresh_tokens(self, user_id: str | None = None) -> list[RefreshToken]:
        """Refresh tokens of one user or all users, oldest first."""
        return self._store.tokens(user_id)

    def rotate_refresh_token(self, token: RefreshToken, secret: str) -> str:
        """Replace the token's secret with a new one (returned once); the old one stops working
        and using it again later revokes the token. InvalidAuth if another use won the race."""
        new = new_secret()
        if not self._store.rotate_token(
            token.id, hash_secret(secret), hash_secret(new), self._now()
        ):
            # Two uses of the same secret at once: one of them is not the legitimate client.
            self._reuse_detected(token.id)
            raise InvalidAuth("The refresh token is no longer valid.")
        return new

    def _check_reuse(self, digest: str) -> None:
        token_id = self._store.rotated_token_id(digest)
        if token_id is not None:
            self._reuse_detected(token_id)

    def _reuse_detected(self, token_id: str) -> None:
        """A rotated-out secret came back: someone copied it. End the whole session."""
        token = self._cached_token(token_id)
        user = None if token is None else self._users.get(token.user_id)
        _LOGGER.warning(
            "Refresh token reuse detected for token %s of %s; revoking it",
            token_id,
            user.username if user is not None else "?",
        )
        self.audit.record(
            "token_reuse_detected",
            user_id=None if token is None else token.user_id,
            username=None if user is None else user.username,
            details={"token_id": token_id},
        )
        self.remove_refresh_token(token_id)

    def remove_refresh_token(self, token_id: str, *, ip: str | None = None) -> bool:
        """Revoke a refresh token and every access token issued under it."""
        token = self._cached_token(token_id) if isinstance(token_id, str) else None
        if not isinstance(token_id, str) or not self._store.delete_token(token_id):
            return False
        self._tokens.pop(token_id, None)
        _LOGGER.info("Revoked token %s", token_id)
        user = None if token is None else self._users.get(token.user_id)
        self.audit.record(
            "token_revoked",
            user_id=None if token is None else token.user_id,
            username=None if user is None else user.username,
            ip=ip,
            details={"token_id": token_id},
        )
        self._notify_revoked([token_id])
        return True

    def prune_dead_tokens(self) -> int:
        """Delete tokens that expired or sat unused too long (they can never work again)."""
        now = self._clock()
        dead = [token.id for token in self._store.tokens() if not self._alive(token, now)]
        for token_id in dead:
            self._store.delete_token(token_id)
            self._tokens.pop(token_id, None)
        if dead:
            _LOGGER.info("Removed %d expired token(s)", len(dead))
        return len(dead)

    def remove_user_tokens(
        self,
        user_id: str,
        *,
        token_type: TokenType | None = None,
        except_id: str | None = None,
        ip: str | None = None,
    ) -> int:
        """Revoke a user's tokens (of one type, or all), except `except_id`; returns how many."""
        doomed = [
            token.id
            for token in self._store.tokens(user_id)
            if token.id != except_id and (token_type is None or token.token_type is token_type)
        ]
        return sum(self.remove_refresh_token(token_id, ip=ip) for token_id in doomed)

    # Revocation listeners

    def add_revoke_listener(self, listener: RevokeListener) -> Callable[[], None]:
        """Call `listener(token_id)` whenever a token stops being valid; returns unsubscribe."""
        self.on_revoke.append(listener)

        def unsubscribe() -> None:
            if listener in self.on_revoke:
                self.on_revoke.remove(listener)

        return unsubscribe

    def _notify_revoked(self, token_ids: list[str]) -> None:
        for token_id in token_ids:
            for listener in list(self.on_revoke):
                try:
                    listener(token_id)
                except Exception:
                    _LOGGER.exception("Revoke listener failed")
