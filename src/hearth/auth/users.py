"""User accounts: creation, lookup and password login (the base of AuthManager)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from hearth.auth.models import User
from hearth.auth.passwords import PasswordHasher
from hearth.auth.policy import PasswordPolicy
from hearth.auth.store import AuthStore, clean_label, normalize_username
from hearth.auth.tokens import new_token_id
from hearth.exceptions import BadRequest, Conflict, NotFound, Unavailable

_LOGGER = logging.getLogger(__name__)


class UserAccounts:
    """The user half of AuthManager; keeps a cache of users for token validation."""

    def __init__(
        self, store: AuthStore, hasher: PasswordHasher, clock: Callable[[], float] = time.time
    ) -> None:
        self.hasher = hasher
        self._store = store
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

    def _insert_user(self, user: User, password_hash: str) -> User:
        self._store.add_user(user, password_hash, policy=self.policy.stamp())
        self._users[user.id] = user
        _LOGGER.info("Created user %s", user.username)
        return user

    async def create_user(
        self,
        username: str,
        password: str,
        *,
        name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        local_only: bool = False,
    ) -> User:
        """Create a user; BadRequest for a bad username/name/password, Conflict if taken."""
        user = self._new_user(
            username, password, name, is_admin=is_admin, is_owner=is_owner, local_only=local_only
        )
        return self._insert_user(user, await self.hasher.hash(password))

    def create_user_sync(
        self,
        username: str,
        password: str,
        *,
        name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        local_only: bool = False,
    ) -> User:
        """`create_user` for the CLI (hashes in the calling thread)."""
        user = self._new_user(
            username, password, name, is_admin=is_admin, is_owner=is_owner, local_only=local_only
        )
        return self._insert_user(user, self.hasher.hash_sync(password))

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

    def set_user_active(self, user_id: str, is_active: bool) -> User:
        """Activate or deactivate a user."""
        return self.update_user(user_id, is_active=is_active)

    def update_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        is_admin: bool | None = None,
        is_active: bool | None = None,
        local_only: bool | None = None,
    ) -> User:
        """Change a user's name, role or flags; the owner always stays an active admin."""
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
        if not self._store.update_user(user_id, changes):
            raise NotFound("User not found.")
        user = self._store.user(user_id)
        if user is None:  # deleted in between by another process
            raise NotFound("User not found.")
        self._users[user.id] = user
        return user

    def _check_new_password(self, user: User, password: str) -> None:
        self.policy.check(password, username=user.username, name=user.name)

    async def set_password(self, user: User, password: str) -> None:
        """Check `password` against the policy and make it the user's password."""
        self._check_new_password(user, password)
        self._store_password(user, await self.hasher.hash(password))

    def set_password_sync(self, user: User, password: str) -> None:
        """`set_password` for the CLI (hashes in the calling thread)."""
        self._check_new_password(user, password)
        self._store_password(user, self.hasher.hash_sync(password))

    def _store_password(self, user: User, password_hash: str) -> None:
        if not self._store.set_password_hash(user.id, password_hash, policy=self.policy.stamp()):
            raise NotFound("User not found.")
        _LOGGER.info("Password changed for %s", user.username)

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
            try:
                new_hash = await self.hasher.hash(password)
            except Unavailable:
                _LOGGER.debug("Hashing pool busy; rehash of %s deferred", user.username)
            else:
                self._store.replace_password_hash(user.id, password_hash, new_hash)
        self._users[user.id] = user
        return user
