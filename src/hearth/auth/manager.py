"""Users, refresh tokens and access tokens: the one object the server and CLI talk to.

One async API for both: the hub awaits it on its event loop, each CLI command runs it with
`asyncio.run`. Reads are indexed lookups or in-memory caches; writes go through the store's
writer thread (hearth.storage.writer), so nothing here blocks an event loop on SQLite.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from hearth import const
from hearth.auth.models import RefreshToken, TokenType, User
from hearth.auth.passwords import PasswordHasher
from hearth.auth.sessions import MAX_IP_LENGTH, RevokeListener, used_later
from hearth.auth.store import AuthStore, clean_label, load_users
from hearth.auth.tokens.checks import TokenChecks
from hearth.auth.tokens.codec import encode_access_token
from hearth.auth.tokens.store import load_tokens, touch_token
from hearth.exceptions import BadRequest
from hearth.storage import Database
from hearth.storage.audit import AuditLog

_LOGGER = logging.getLogger(__name__)

__all__ = ["AuthManager", "RevokeListener"]

# An access token's use is written to the store at most this often (seconds), or on a new IP.
TOUCH_INTERVAL = 60.0


def _load_all(conn: sqlite3.Connection) -> tuple[list[User], list[RefreshToken]]:
    return load_users(conn), load_tokens(conn)


class AuthManager(TokenChecks):
    """Owns the auth tables and caches what the hot path (validating access tokens) needs."""

    def __init__(
        self, db: Database, hasher: PasswordHasher, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(AuthStore(db), hasher, AuditLog(db), clock)
        self.db = db
        self._changes_seen = db.external_changes
        self._users = {user.id: user for user in self._store.users()}
        self._tokens = {token.id: token for token in self._store.tokens()}

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
        """Release the hashing threads and the database (after committing pending bookkeeping)."""
        self.hasher.close()
        self.db.close()

    async def aclose(self) -> None:
        """`close` from an event loop, without blocking it."""
        self.hasher.close()
        await self.db.aclose()

    async def update_user(
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
        user = await super().update_user(
            user_id,
            name=name,
            is_admin=is_admin,
            is_active=is_active,
            local_only=local_only,
            ip=ip,
        )
        if not user.is_active or (before is not None and _lost_rights(before, user)):
            # Connections keep the User they authenticated with: close them so that admin rights
            # (or access from outside the local network) end now, not when the client reconnects.
            self._notify_revoked(self._store.token_ids(user_id))
        return user

    async def create_long_lived_token(
        self,
        user: User,
        name: str,
        days: int = const.LONG_LIVED_TOKEN_DEFAULT_DAYS,
        *,
        ip: str | None = None,
    ) -> tuple[RefreshToken, str]:
        """A long-lived token: the refresh-token record and an access token valid for `days`.

        A name already taken is a Conflict (the unique index decides, without a scan).
        """
        max_days = const.LONG_LIVED_TOKEN_MAX_DAYS
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= max_days:
            raise BadRequest(f"The lifetime must be a whole number of days from 1 to {max_days}.")
        name = clean_label(name, "token name")
        lifetime = timedelta(days=days)
        now = self._clock()
        token, _unused_secret = await self.create_refresh_token(
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
        """Record that an access token was used from `ip` (bookkeeping: batched, never fails)."""
        now = self._clock()
        previous, last = token.last_used_ip, token.last_used_at
        if previous == ip and last is not None and now - last.timestamp() < TOUCH_INTERVAL:
            return
        ip = ip[:MAX_IP_LENGTH]
        used_at = datetime.fromtimestamp(now, UTC)
        self.db.submit(partial(touch_token, token_id=token.id, used_at=used_at, ip=ip))
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

    async def reload_if_changed(self) -> bool:
        """Reload the caches if another process (the CLI) committed since the last check.

        Cheap when nothing changed (a counter the writer thread keeps); the reload itself reads
        off the event loop. The hub's own commits never trigger it.
        """
        seen = self.db.external_changes
        if seen == self._changes_seen:
            return False
        self._changes_seen = seen
        before_users, before_tokens = dict(self._users), dict(self._tokens)
        users, tokens = await self.db.snapshot(_load_all)
        # What this process changed while the snapshot was read wins over the snapshot.
        revoked_here = before_tokens.keys() - self._tokens.keys()
        new_users = {user.id: user for user in users}
        new_users.update(
            (user_id, user)
            for user_id, user in self._users.items()
            if before_users.get(user_id) is not user
        )
        new_tokens = {token.id: token for token in tokens if token.id not in revoked_here}
        for token_id, token in new_tokens.items():
            cached = self._tokens.get(token_id)
            if cached is not None and used_later(cached, token):
                # Our own last-use bookkeeping may still wait for its batch: keep the newer.
                token.last_used_at, token.last_used_ip = cached.last_used_at, cached.last_used_ip
        new_tokens.update(
            (token_id, token)
            for token_id, token in self._tokens.items()
            if before_tokens.get(token_id) is not token
        )
        old_tokens, old_users = self._tokens, self._users
        self._users, self._tokens = new_users, new_tokens
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
