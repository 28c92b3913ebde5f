"""Registering a passkey: a single-use challenge bound to the user, the address and the host
name (5 minutes), then the authenticator's answer, verified by py_webauthn and stored."""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from hearth.auth.models import User
from hearth.auth.passkeys import ceremony
from hearth.auth.passkeys import store as passkey_store
from hearth.auth.passkeys.ceremony import CeremonyFailed, RelyingParty
from hearth.auth.passkeys.store import Passkey, PasskeyStore
from hearth.exceptions import BadRequest
from hearth.storage import Database
from hearth.storage.audit import AuditLog, audit_row, insert_audit

_LOGGER = logging.getLogger(__name__)

CHALLENGE_LIFETIME: Final = 300.0  # seconds, for registration and login challenges
MAX_PENDING_REGISTRATIONS: Final = 256
MAX_PASSKEYS_PER_USER: Final = 20
MAX_NAME_LENGTH: Final = 64
DEFAULT_NAME: Final = "Passkey"


@dataclass(frozen=True, slots=True)
class _Registration:
    user_id: str
    ip: str
    rp: RelyingParty
    expires_at: float
    challenge: bytes = field(repr=False)


def clean_name(name: object) -> str:
    """A passkey's name: printable, trimmed, at most 64 characters; BadRequest otherwise."""
    if not isinstance(name, str):
        raise BadRequest("The passkey's name must be text.")
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME_LENGTH or not cleaned.isprintable():
        raise BadRequest(f"A passkey's name is at most {MAX_NAME_LENGTH} printable characters.")
    return cleaned or DEFAULT_NAME


class Registrations:
    """Registrations in progress (in memory, bounded) and their completion."""

    def __init__(
        self, db: Database, store: PasskeyStore, audit: AuditLog, clock: Callable[[], float]
    ) -> None:
        self._db = db
        self._store = store
        self._audit = audit
        self._clock = clock
        self._pending: OrderedDict[str, _Registration] = OrderedDict()

    def begin(self, user: User, rp: RelyingParty, *, ip: str) -> tuple[str, dict[str, Any]]:
        """Options for `navigator.credentials.create()` and the id to finish with."""
        existing = self._store.of_user(user.id)
        if len(existing) >= MAX_PASSKEYS_PER_USER:
            raise BadRequest(f"A user can have at most {MAX_PASSKEYS_PER_USER} passkeys.")
        now = self._clock()
        self._expire(now)
        while len(self._pending) >= MAX_PENDING_REGISTRATIONS:
            self._pending.popitem(last=False)
        challenge = ceremony.new_challenge()
        ceremony_id = secrets.token_urlsafe(16)
        self._pending[ceremony_id] = _Registration(
            user.id, ip, rp, now + CHALLENGE_LIFETIME, challenge
        )
        options = ceremony.registration_options(
            rp,
            user_handle=user.id.encode(),
            username=user.username,
            display_name=user.name,
            challenge=challenge,
            existing=[key.id for key in existing],
        )
        return ceremony_id, options

    def _expire(self, now: float) -> None:
        for ceremony_id, pending in list(self._pending.items()):
            if pending.expires_at <= now:
                del self._pending[ceremony_id]

    async def finish(
        self,
        user: User,
        ceremony_id: object,
        response: object,
        name: object,
        *,
        rp: RelyingParty,
        ip: str,
        user_agent: str | None,
    ) -> Passkey:
        """Verify the authenticator's answer and store the passkey (durable on return)."""
        label = clean_name(name if name is not None else DEFAULT_NAME)
        if not isinstance(response, str):
            raise BadRequest("The credential is required.")
        # Single use: taken out whatever happens next.
        pending = self._pending.pop(ceremony_id, None) if isinstance(ceremony_id, str) else None
        if (
            pending is None
            or pending.expires_at <= self._clock()
            or pending.user_id != user.id
            or pending.ip != ip
            or pending.rp != rp
        ):
            self._failed(user, "unknown_ceremony", ip=ip, user_agent=user_agent)
            raise BadRequest("This passkey registration has expired. Start it again.")
        try:
            new = ceremony.verify_registration(rp, response, pending.challenge)
        except CeremonyFailed as err:
            self._failed(user, err.reason, ip=ip, user_agent=user_agent)
            raise BadRequest("The passkey could not be verified.") from None
        key = Passkey(
            id=new.id,
            user_id=user.id,
            rp_id=rp.id,
            public_key=new.public_key,
            sign_count=new.sign_count,
            transports=new.transports,
            aaguid=new.aaguid,
            name=label,
            created_at=datetime.now(UTC),
            last_used_at=None,
        )
        row = audit_row(
            "passkey_registered",
            user_id=user.id,
            username=user.username,
            ip=ip,
            user_agent=user_agent,
            details={"passkey": key.id, "name": label, "rp_id": rp.id, "aaguid": key.aaguid},
        )

        def store(conn: Any) -> None:
            passkey_store.insert(conn, key)
            insert_audit(conn, row)

        await self._db.write(store)
        _LOGGER.info("Passkey registered for %s", user.username)
        return key

    def _failed(self, user: User, reason: str, *, ip: str, user_agent: str | None) -> None:
        self._audit.record(
            "passkey_failed",
            user_id=user.id,
            username=user.username,
            ip=ip,
            user_agent=user_agent,
            details={"reason": reason, "registration": True},
        )
