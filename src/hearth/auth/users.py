"""User accounts: creation, lookup and password login (the base of AuthManager).

Reads are indexed lookups on the event loop's read-only connection; every write is one
transaction of the writer thread, durable when its await returns, with its audit entry in it.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from hearth.auth.models import User
from hearth.auth.passwords import PasswordHasher
from hearth.auth.policy import PasswordPolicy
from hearth.auth.store import (
    AuthStore,
    clean_label,
    insert_user,
    normalize_username,
    replace_password_hash,
    set_password_hash,
    update_user_row,
)
from hearth.auth.tokens.codec import new_token_id
from hearth.exceptions import BadRequest, Conflict, NotFound, Unavailable
from hearth.storage.audit import audit_row, insert_audit

_LOGGER = logging.getLogger(__name__)


def _nothing_more(_conn: sqlite3.Connection) -> list[str]:
    return []


class UserAccounts:
    """The user half of AuthManager; keeps a cache of users for token validation."""

    def __init__(
        self, store: AuthStore, hasher: PasswordHasher, clock: Callable[[], float] = time.time
    ) -> None:
        self.hasher = hasher
        self._store = store
        self._db = store.db
        self._clock = clock
        self._users: dict[str, User] = {}
        # Replaced at startup with the configured policy (minimum length, hub name).
        self.policy = PasswordPolicy()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _new_user(
        self,
        username: str,
        password: str,
        name: str | None,
        *,
        is_admin: bool,
        is_owner: bool,
        local_only: bool,
    ) -> User:
        """Validate everything that needs no hashing, so bad input fails fast."""
        normalized = normalize_username(username)
        display = clean_label(username.strip() if name is None else name, "name")
        if self._store.user_with_hash(normalized) is not None:
            raise Conflict(f"A user named '{normalized}' already exists.")
        self.policy.check(password, username=normalized, name=display)
        return User(
            id=new_token_id(),
            username=normalized,
            name=display,
            is_owner=is_owner,
            # The owner can do everything, so the flag says so too.
            is_admin=is_admin or is_owner,
            local_only=local_only,
            created_at=self._now(),
        )

    async def create_user(
        self,
        username: str,
        password: str,
        *,
        name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        local_only: bool = False,
        owner_if_first: bool = False,
    ) -> User:
        """Create a user; BadRequest for a bad username/name/password, Conflict if taken.

        With `owner_if_first`, the user becomes the owner if the hub has no user yet: decided in
        the same transaction as the insert, so two racing first users make exactly one owner.
        """
        user = self._new_user(
            username, password, name, is_admin=is_admin, is_owner=is_owner, local_only=local_only
        )
        password_hash = await self.hasher.hash(password)
        stamp = self.policy.stamp()

        def create(conn: sqlite3.Connection) -> User:
            created = insert_user(
                conn, user, password_hash, owner_if_first=owner_if_first, policy=stamp
            )
            roles = {
                "is_owner": created.is_owner,
                "is_admin": created.is_admin,
                "local_only": created.local_only,
            }
            insert_audit(
                conn,
                audit_row(
                    "user_created", user_id=created.id, username=created.username, details=roles
                ),
            )
            return created

        created = await self._db.write(create)
        self._users[created.id] = created
        _LOGGER.info("Created user %s", created.username)
        return created

    def list_users(self) -> list[User]:
        """Every user, oldest first."""
        return self._store.users()

    def get_user(self, user_id: str) -> User | None:
        """A user by id."""
        return self._store.user(user_id)

    def get_user_by_username(self, username: str) -> User | None:
        """A user by username (normalised as at creation)."""
        try:
            normalized = normalize_username(username)
        except BadRequest:
            return None
        found = self._store.user_with_hash(normalized)
        return None if found is None else found[0]

    async def set_user_active(self, user_id: str, is_active: bool) -> User:
        """Activate or deactivate a user."""
        return await self.update_user(user_id, is_active=is_active)

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
        """Change a user's name, role or flags (audited); the owner always stays an active admin."""
        current = self._store.user(user_id)
        if current is None:
            raise NotFound("User not found.")
        changes: dict[str, str | bool] = {}
        if name is not None:
            changes["name"] = clean_label(name, "name")
        for column, value in (
            ("is_admin", is_admin),
            ("is_active", is_active),
            ("local_only", local_only),
        ):
            if value is not None:
                changes[column] = bool(value)
        if current.is_owner and (is_admin is False or is_active is False):
            # Without this a hub could be left with nobody able to administer it.
            raise BadRequest("The owner is always an active administrator.")
        changed = {key: value for key, value in changes.items() if getattr(current, key) != value}
        event = "user_deactivated" if changed.get("is_active") is False else "user_updated"
        row = audit_row(
            event, user_id=current.id, username=current.username, ip=ip, details=changed
        )

        def update(conn: sqlite3.Connection) -> User | None:
            user = update_user_row(conn, user_id, changes)
            if user is not None and changed:
                insert_audit(conn, row)
            return user

        user = await self._db.write(update)
        if user is None:  # deleted in between by another process
            raise NotFound("User not found.")
        self._users[user.id] = user
        return user

    def _check_new_password(self, user: User, password: str) -> None:
        self.policy.check(password, username=user.username, name=user.name)

    async def set_password(self, user: User, password: str) -> None:
        """Check `password` against the policy and make it the user's password."""
        await self._save_password(user, password, _nothing_more)

    async def _save_password(
        self,
        user: User,
        password: str,
        also: Callable[[sqlite3.Connection], list[str]],
    ) -> list[str]:
        """Store a new password and, in the same transaction, whatever `also` does."""
        self._check_new_password(user, password)
        password_hash = await self.hasher.hash(password)
        row = audit_row("password_changed", user_id=user.id, username=user.username)
        stamp = self.policy.stamp()

        def store(conn: sqlite3.Connection) -> list[str]:
            if not set_password_hash(conn, user.id, password_hash, policy=stamp):
                raise NotFound("User not found.")
            insert_audit(conn, row)
            return also(conn)

        result = await self._db.write(store)
        _LOGGER.info("Password changed for %s", user.username)
        return result

    async def check_password(self, user: User, password: str) -> bool:
        """Whether `password` is the user's current password (for changing it)."""
        found = self._store.user_with_hash(user.username)
        if found is None or found[1] is None:
            await self.hasher.verify_dummy(password)
            return False
        return await self.hasher.verify(found[1], password)

    async def authenticate(self, username: str, password: str) -> User | None:
        """The active user with these credentials, or None; costs the same for unknown users."""
        try:
            found = self._store.user_with_hash(normalize_username(username))
        except BadRequest:
            found = None
        user, password_hash = (None, None) if found is None else found
        if user is None or password_hash is None:
            await self.hasher.verify_dummy(password)
            return None
        if not await self.hasher.verify(password_hash, password) or not user.is_active:
            return None
        if self.hasher.needs_rehash(password_hash):
            await self._rehash(user, password_hash, password)
        self._users[user.id] = user
        return user

    async def _rehash(self, user: User, old_hash: str, password: str) -> None:
        """Upgrade a weak hash at login; a busy pool or failing storage only defers it."""
        try:
            new_hash = await self.hasher.hash(password)
            await self._db.write(
                partial(replace_password_hash, user_id=user.id, old=old_hash, new=new_hash)
            )
        except Unavailable as err:  # the pool is full, or a StorageError
            _LOGGER.debug("Rehash of %s deferred: %s", user.username, err.message)
