"""Users, refresh tokens and access tokens: the one object the server and CLI talk to."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hearth import const
from hearth.auth.models import RefreshToken, TokenType, User
from hearth.auth.passwords import PasswordHasher
from hearth.auth.store import MAX_CLIENT_ID_LENGTH, AuthStore, clean_label
from hearth.auth.tokens import (
    MAX_TOKEN_LENGTH,
    ValidatedTokens,
    encode_access_token,
    hash_secret,
    new_secret,
    new_token_id,
    peek_token_id,
    verify_access_token,
)
from hearth.auth.users import UserAccounts
from hearth.exceptions import BadRequest, Conflict, InvalidAuth
from hearth.storage import Database

_LOGGER = logging.getLogger(__name__)

RevokeListener = Callable[[str], None]
MAX_IP_LENGTH = 64


class AuthManager(UserAccounts):
    """Owns the auth tables and caches what the hot path (validating access tokens) needs."""

    def __init__(
        self, db: Database, hasher: PasswordHasher, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(AuthStore(db), hasher, clock)
        self.db = db
        self.on_revoke: list[RevokeListener] = []
        self._validated = ValidatedTokens()
        self._tokens: dict[str, RefreshToken] = {}
        self._data_version = db.data_version()
        self._load()

    @classmethod
    def open(
        cls,
        config_dir: Path,
        *,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], float] = time.time,
    ) -> AuthManager:
        """Open the store in `config_dir` (creating and migrating the database if needed)."""
        db = Database.open(config_dir / const.DATABASE_FILE)
        try:
            return cls(db, hasher or PasswordHasher(), clock=clock)
        except BaseException:
            db.close()
            raise

    def close(self) -> None:
        """Release the database and the hashing threads."""
        self.hasher.close()
        self.db.close()

    def _load(self) -> None:
        self._users = {user.id: user for user in self._store.users()}
        self._tokens = {token.id: token for token in self._store.tokens()}

    def set_user_active(self, user_id: str, is_active: bool) -> User:
        """Activate or deactivate a user; deactivation invalidates their tokens at once."""
        user = super().set_user_active(user_id, is_active)
        if not is_active:
            self._notify_revoked([t.id for t in self._tokens.values() if t.user_id == user_id])
        return user

    # Refresh and access tokens

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

    def create_long_lived_token(
        self, user: User, name: str, days: int = const.LONG_LIVED_TOKEN_DEFAULT_DAYS
    ) -> tuple[RefreshToken, str]:
        """A long-lived token: the refresh-token record and an access token valid for `days`."""
        max_days = const.LONG_LIVED_TOKEN_MAX_DAYS
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= max_days:
            raise BadRequest(f"The lifetime must be a whole number of days from 1 to {max_days}.")
        name = clean_label(name, "token name")
        if any(
            t.client_name == name and t.token_type is TokenType.LONG_LIVED
            for t in self._store.tokens(user.id)
        ):
            raise Conflict("This user already has a long-lived token with that name.")
        lifetime = timedelta(days=days)
        now = self._clock()
        token, _unused_secret = self.create_refresh_token(
            user,
            client_name=name,
            token_type=TokenType.LONG_LIVED,
            access_token_expiration=lifetime,
            expires_at=datetime.fromtimestamp(int(now), UTC) + lifetime,
        )
        access = encode_access_token(token.id, token.jwt_key, issued_at=int(now), lifetime=lifetime)
        return token, access

    def _cached_token(self, token_id: str) -> RefreshToken | None:
        """From the cache, else one indexed lookup (the CLI may have just created it)."""
        token = self._tokens.get(token_id)
        if token is None:
            token = self._store.token(token_id)
            if token is not None:
                self._tokens[token.id] = token
        return token

    def _usable(self, token: RefreshToken, now: float) -> User | None:
        """The token's user if the token is unexpired and the user active, else None."""
        if token.expires_at is not None and token.expires_at.timestamp() <= now:
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
            return None
        expires = verify_access_token(token, refresh.jwt_key, refresh.id, now)
        user = None if expires is None else self._usable(refresh, now)
        if expires is None or user is None:
            return None
        self._validated.put(token, refresh.id, expires)
        return user, refresh

    def validate_refresh_token(self, secret: str) -> RefreshToken | None:
        """The refresh token for a secret if it is valid and its user active, else None."""
        if (
            not isinstance(secret, str)
            or not 0 < len(secret) <= MAX_TOKEN_LENGTH
            or not secret.isascii()
        ):
            return None
        digest = hash_secret(secret)
        found = self._store.token_by_hash(digest)
        if found is None or not hmac.compare_digest(found[1], digest):
            return None
        token = found[0]
        # Long-lived tokens are used only through their access token; their secret is discarded.
        if token.token_type is TokenType.LONG_LIVED or self._usable(token, self._clock()) is None:
            return None
        self._tokens[token.id] = token
        return token

    def list_refresh_tokens(self, user_id: str | None = None) -> list[RefreshToken]:
        """Refresh tokens of one user or all users, oldest first."""
        return self._store.tokens(user_id)

    def remove_refresh_token(self, token_id: str) -> bool:
        """Revoke a refresh token and every access token issued under it."""
        if not isinstance(token_id, str) or not self._store.delete_token(token_id):
            return False
        self._tokens.pop(token_id, None)
        _LOGGER.info("Revoked token %s", token_id)
        self._notify_revoked([token_id])
        return True

    # Revocation across processes

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

    def _is_active(self, user_id: str) -> bool:
        user = self._users.get(user_id)
        return user is not None and user.is_active

    def reload_if_changed(self) -> bool:
        """Reload the caches if another process committed since the last check (cheap if not)."""
        version = self.db.data_version()
        if version == self._data_version:
            return False
        self._data_version = version
        old_tokens, old_users = self._tokens, self._users
        self._load()
        self._validated.clear()
        was_active = {uid for uid, user in old_users.items() if user.is_active}
        gone = [
            token_id
            for token_id, token in old_tokens.items()
            if token_id not in self._tokens
            or (token.user_id in was_active and not self._is_active(token.user_id))
        ]
        if gone:
            _LOGGER.info("%d token(s) revoked by another process", len(gone))
            self._notify_revoked(gone)
        return True
