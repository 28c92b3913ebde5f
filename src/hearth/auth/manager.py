"""Users, refresh tokens and access tokens: the one object the server and CLI talk to."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hearth import const
from hearth.auth.models import RefreshToken, TokenType, User
from hearth.auth.passwords import PasswordHasher
from hearth.auth.sessions import MAX_IP_LENGTH, RevokeListener, Sessions
from hearth.auth.store import AuthStore, clean_label
from hearth.auth.tokens import encode_access_token
from hearth.exceptions import BadRequest, Conflict
from hearth.storage import Database
from hearth.storage.audit import AuditLog

_LOGGER = logging.getLogger(__name__)

__all__ = ["AuthManager", "RevokeListener"]

# An access token's use is written to the store at most this often (seconds), or on a new IP.
TOUCH_INTERVAL = 60.0


class AuthManager(Sessions):
    """Owns the auth tables and caches what the hot path (validating access tokens) needs."""

    def __init__(
        self, db: Database, hasher: PasswordHasher, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(AuthStore(db), hasher, AuditLog(db), clock)
        self.db = db
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

    def update_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        is_admin: bool | None = None,
        is_active: bool | None = None,
        local_only: bool | None = None,
        ip: str | None = None,
    ) -> User:
        """Change a user; deactivation invalidates their tokens (and closes connections) at once."""
        before = self.get_user(user_id)
        user = super().update_user(
            user_id, name=name, is_admin=is_admin, is_active=is_active, local_only=local_only
        )
        changed = {
            field: getattr(user, field)
            for field in ("name", "is_admin", "is_active", "local_only")
            if before is None or getattr(before, field) != getattr(user, field)
        }
        if changed:
            deactivated = before is not None and before.is_active and not user.is_active
            self.audit.record(
                "user_deactivated" if deactivated else "user_updated",
                user_id=user.id,
                username=user.username,
                ip=ip,
                details=changed,
            )
        if not user.is_active:
            self._notify_revoked([t.id for t in self._tokens.values() if t.user_id == user_id])
        elif before is not None and _lost_rights(before, user):
            # Connections keep the User they authenticated with: close them so that admin rights
            # (or access from outside) end now, not when the client reconnects.
            self._notify_revoked([t.id for t in self._tokens.values() if t.user_id == user_id])
        return user

    def _insert_user(self, user: User, password_hash: str) -> User:
        created = super()._insert_user(user, password_hash)
        roles = {
            "is_owner": user.is_owner,
            "is_admin": user.is_admin,
            "local_only": user.local_only,
        }
        self.audit.record("user_created", user_id=user.id, username=user.username, details=roles)
        return created

    def _store_password(self, user: User, password_hash: str) -> None:
        super()._store_password(user, password_hash)
        self.audit.record("password_changed", user_id=user.id, username=user.username)

    async def change_password(
        self, user: User, password: str, *, keep_token_id: str | None = None
    ) -> int:
        """Set a new password and revoke the user's other tokens; returns how many were revoked."""
        await self.set_password(user, password)
        return self.remove_user_tokens(user.id, except_id=keep_token_id)

    def change_password_sync(self, user: User, password: str) -> int:
        """`change_password` for the CLI: every token of the user is revoked."""
        self.set_password_sync(user, password)
        return self.remove_user_tokens(user.id)

    def create_long_lived_token(
        self,
        user: User,
        name: str,
        days: int = const.LONG_LIVED_TOKEN_DEFAULT_DAYS,
        *,
        ip: str | None = None,
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
            ip=ip,
        )
        access = encode_access_token(token.id, token.jwt_key, issued_at=int(now), lifetime=lifetime)
        return token, access

    def note_token_use(self, token: RefreshToken, ip: str) -> None:
        """Record that an access token was used from `ip`; cheap unless the IP is new."""
        now = self._clock()
        previous, last = token.last_used_ip, token.last_used_at
        if previous == ip and last is not None and now - last.timestamp() < TOUCH_INTERVAL:
            return
        ip = ip[:MAX_IP_LENGTH]
        used_at = datetime.fromtimestamp(now, UTC)
        self._store.touch_token(token.id, used_at, ip)
        current = self._tokens.get(token.id)
        for record in {id(t): t for t in (token, current) if t is not None}.values():
            record.last_used_at, record.last_used_ip = used_at, ip
        if previous is not None and previous != ip:
            self._audit_new_ip(token, previous, ip)

    def _audit_new_ip(self, token: RefreshToken, previous: str, ip: str) -> None:
        user = self._users.get(token.user_id)
        self.audit.record(
            "token_used_new_ip",
            user_id=token.user_id,
            username=None if user is None else user.username,
            ip=ip,
            details={"token_id": token.id, "previous_ip": previous},
        )

    def reload_if_changed(self) -> bool:
        """Reload the caches if another process committed since the last check (cheap if not)."""
        version = self.db.data_version()
        if version == self._data_version:
            return False
        self._data_version = version
        old_tokens, old_users = self._tokens, self._users
        self._load()
        self._validated.clear()
        gone = [
            token_id
            for token_id, token in old_tokens.items()
            if token_id not in self._tokens
            or _lost_rights(old_users.get(token.user_id), self._users.get(token.user_id))
        ]
        if gone:
            _LOGGER.info("%d token(s) revoked by another process", len(gone))
            self._notify_revoked(gone)
        return True


def _lost_rights(before: User | None, after: User | None) -> bool:
    """Whether a change made elsewhere must close the user's connections now."""
    if before is None or not before.is_active:
        return False
    return (
        after is None
        or not after.is_active
        or (before.is_admin and not after.is_admin)
        # Made local_only: remote connections must end; local ones simply reconnect.
        or (after.local_only and not before.local_only)
    )
