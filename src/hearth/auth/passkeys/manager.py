"""Passkeys for a hub: challenges, registration, checks at login, management, audit.

API (one per hub: `request.app[KEY_PASSKEYS]`):
    PasskeyManager(db, *, audit=None, clock=time.time)
    begin_registration(user, rp, *, ip) -> (ceremony_id, creation options as JSON)
    await finish_registration(user, ceremony_id, response, name, *, rp, ip, user_agent) -> Passkey
        BadRequest if the ceremony is unknown, expired, someone else's or from another address,
        or the response does not verify (audited); Conflict if the credential is registered.
    login_challenge(rp, user_id) -> (LoginChallenge, request options as JSON)
        user_id None: password-less (any discoverable credential, user verification required).
    await check(challenge, response, *, user_id, ip, user_agent) -> PasskeyCheck
    list(user_id), count(user_id), counts(); await rename(...), await remove(...)

Threats: a challenge is used once (taken out before anything is checked), lives 5 minutes, and
is bound to what asked for it (the login flow, which is bound to its client id and address; a
registration to its user and address). A credential's sign count must grow: a clone whose count
goes backwards is refused and audited. Nothing secret is stored: only public keys.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from hearth.auth.models import User
from hearth.auth.passkeys import ceremony
from hearth.auth.passkeys import store as passkey_store
from hearth.auth.passkeys.ceremony import CeremonyFailed, RelyingParty
from hearth.auth.passkeys.registration import CHALLENGE_LIFETIME, Registrations, clean_name
from hearth.auth.passkeys.store import Passkey, PasskeyStore
from hearth.exceptions import BadRequest, NotFound
from hearth.storage import Database
from hearth.storage.audit import AuditLog, audit_row, insert_audit

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class LoginChallenge:
    """A login's challenge: kept by the flow that asked for it, taken at its first use."""

    rp: RelyingParty
    user_id: str | None  # None: password-less
    expires_at: float
    challenge: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class PasskeyCheck:
    """A checked assertion: whose passkey it was, or why it was refused."""

    accepted: bool
    reason: str
    user_id: str | None = None


class PasskeyManager:
    """Registers, checks and removes passkeys; records each event in the audit log."""

    def __init__(
        self, db: Database, *, audit: AuditLog | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._store = PasskeyStore(db)
        self._audit = audit or AuditLog(db)
        self._clock = clock
        self._registrations = Registrations(db, self._store, self._audit, clock)
        self.begin_registration = self._registrations.begin
        self.finish_registration = self._registrations.finish

    def list(self, user_id: str) -> list[Passkey]:
        """A user's passkeys."""
        return self._store.of_user(user_id)

    def has_passkeys(self, user_id: str) -> bool:
        """Whether the user has at least one passkey."""
        return self._store.count(user_id) > 0

    def counts(self) -> dict[str, int]:
        """Passkeys per user id (what administrators see)."""
        return self._store.counts()

    # Login

    def login_challenge(
        self, rp: RelyingParty, user_id: str | None
    ) -> tuple[LoginChallenge, dict[str, Any]]:
        """A challenge for a login step and the options for `navigator.credentials.get()`."""
        challenge = ceremony.new_challenge()
        allowed = None
        if user_id is not None:
            allowed = [key.id for key in self._store.of_user(user_id) if key.rp_id == rp.id]
        options = ceremony.authentication_options(
            rp, challenge=challenge, allowed=allowed, required_uv=user_id is None
        )
        held = LoginChallenge(rp, user_id, self._clock() + CHALLENGE_LIFETIME, challenge)
        return held, options

    async def check(
        self,
        held: LoginChallenge | None,
        response: object,
        *,
        ip: str,
        user_agent: str | None,
    ) -> PasskeyCheck:
        """Check an assertion against the challenge the flow held (already taken from it)."""
        if not isinstance(response, str):
            raise BadRequest("The passkey response is required.")
        if held is None or held.expires_at <= self._clock():
            return self._refused(held, None, "no_challenge", ip, user_agent)
        credential_id = ceremony.credential_id_of(response)
        key = None if credential_id is None else self._store.get(credential_id)
        if key is None:
            return self._refused(held, None, "unknown_passkey", ip, user_agent)
        if held.user_id is not None and key.user_id != held.user_id:
            return self._refused(held, key, "other_users_passkey", ip, user_agent)
        if key.rp_id != held.rp.id:
            return self._refused(held, key, "other_host", ip, user_agent)
        required_uv = held.user_id is None
        try:
            verified = ceremony.verify_assertion(
                held.rp,
                response,
                held.challenge,
                public_key=key.public_key,
                required_uv=required_uv,
            )
        except CeremonyFailed as err:
            return self._refused(held, key, err.reason, ip, user_agent)
        if ceremony.sign_count_regressed(key.sign_count, verified.new_sign_count):
            # Threat: a cloned authenticator. Its counter lags the original's.
            return self._refused(held, key, "sign_count_regressed", ip, user_agent)
        row = audit_row(
            "passkey_used",
            user_id=key.user_id,
            username=self._username(key.user_id),
            ip=ip,
            user_agent=user_agent,
            details={"passkey": key.id, "passwordless": required_uv},
        )
        advance = partial(
            passkey_store.advance_count,
            credential_id=key.id,
            old=key.sign_count,
            new=verified.new_sign_count,
            used_at=datetime.now(UTC),
        )

        def use(conn: Any) -> bool:
            if not advance(conn):
                return False
            insert_audit(conn, row)
            return True

        if not await self._db.write(use):
            # Another use of this credential won the race: one of the two is a clone.
            return self._refused(held, key, "sign_count_regressed", ip, user_agent)
        return PasskeyCheck(True, "ok", key.user_id)

    def _username(self, user_id: str) -> str | None:
        row = self._db.query_one("SELECT username FROM users WHERE id = ?", (user_id,))
        return None if row is None else str(row[0])

    def _refused(
        self,
        held: LoginChallenge | None,
        key: Passkey | None,
        reason: str,
        ip: str,
        user_agent: str | None,
    ) -> PasskeyCheck:
        user_id = held.user_id if held is not None and held.user_id else None
        details: dict[str, Any] = {"reason": reason}
        if key is not None:
            details["passkey"] = key.id
            details["owner"] = key.user_id
        self._audit.record(
            "passkey_failed",
            user_id=user_id,
            username=None if user_id is None else self._username(user_id),
            ip=ip,
            user_agent=user_agent,
            details=details,
        )
        return PasskeyCheck(False, reason)

    # Management

    async def rename(self, user: User, credential_id: str, name: object) -> None:
        """Rename one of the user's own passkeys; NotFound if they have none by that id."""
        label = clean_name(name)
        if not await self._db.write(
            partial(passkey_store.rename, user_id=user.id, credential_id=credential_id, name=label)
        ):
            raise NotFound("Passkey not found.")

    async def remove_all(self, user: User, *, by: str) -> int:
        """Remove every passkey of a user (`hearth user mfa-reset`); how many were removed."""
        row = audit_row(
            "passkey_removed",
            user_id=user.id,
            username=user.username,
            details={"all": True, "by": by},
        )

        def drop(conn: Any) -> int:
            removed = passkey_store.remove_all(conn, user.id)
            if removed:
                insert_audit(conn, row)
            return removed

        return await self._db.write(drop)

    async def remove(
        self, user: User, credential_id: str, *, by: str, ip: str | None, user_agent: str | None
    ) -> None:
        """Remove one of a user's passkeys (audited, durable on return)."""
        row = audit_row(
            "passkey_removed",
            user_id=user.id,
            username=user.username,
            ip=ip,
            user_agent=user_agent,
            details={"passkey": credential_id, "by": by},
        )

        def drop(conn: Any) -> bool:
            if not passkey_store.remove(conn, user.id, credential_id):
                return False
            insert_audit(conn, row)
            return True

        if not await self._db.write(drop):
            raise NotFound("Passkey not found.")
