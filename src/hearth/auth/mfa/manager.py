"""Multi-factor authentication: TOTP with replay protection, single-use recovery codes.

API (one instance per hub: `request.app[KEY_MFA]`; the CLI builds its own on `auth.db`):
    MfaManager(db, *, clock=time.time, audit=None, issuer="Hearth")
    has_mfa(user_id) -> bool
    await begin_totp_setup(user) -> TotpSetup(setup_id, secret, otpauth_uri, qr_svg, expires_at)
        Conflict if the user already has MFA (disable first). Pending setups live in memory.
    pending_setup(user_id, setup_id) -> TotpSetup | None   (to show the same form again)
    await activate_totp(user_id, setup_id, code, *, ip=None, user_agent=None) -> list[str]
        10 recovery codes, shown once. NotFound: setup unknown/expired/someone else's;
        InvalidCode: wrong or malformed code; Conflict: already set up.
    await verify(user_id, code, *, ip=None, user_agent=None, remote=False) -> bool
        a TOTP code (current step +-1, each step accepted once) or an unused recovery code.
    await check(user_id, code, *, ip=None, user_agent=None, remote=False) -> CodeCheck
        the same, saying why a code was refused and whether that counts against the client.
    await disable(user_id, *, by=None, ip=None, user_agent=None) -> bool   (False: had no MFA)
    retry_after(user_id, *, ip=None, remote=False) -> float   seconds before that client's
        codes are checked again (0.0: now; see hearth.auth.mfa.pause)
    Every change is durable when the await returns (the store's writer thread); a failed code is
    audited as bookkeeping (batched).
    recovery_codes_left(user_id) -> int;  status(user_id) -> MfaStatus;  any_admin_has_mfa() -> bool
Policy: hearth.auth.mfa.policy.mfa_required_for(user, *, remote, policy, any_admin_has_mfa).

Threat model of the stored secret: a TOTP secret must be readable to check codes, so it is stored
as is in hearth.db (mode 0600, `secure_delete` on, so a removed secret is overwritten). Whoever can
read that file also reads the access-token signing keys kept beside it, so encrypting the secret
with a key in the same directory would not stop them. It is never logged, never in a repr, and
returned only by begin_totp_setup. Backups of hearth.db are as sensitive as the hub itself.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Final

from hearth.auth.mfa import codes as mfa_codes
from hearth.auth.mfa import store as mfa_store
from hearth.auth.mfa.codes import CodeKind
from hearth.auth.mfa.pause import FailurePause, Verdict, pause_source
from hearth.auth.mfa.store import MfaStore
from hearth.auth.models import User
from hearth.exceptions import Conflict, InvalidCode, NotFound
from hearth.storage import Database
from hearth.storage.audit import AuditLog, AuditRow, audit_row, insert_audit

_LOGGER = logging.getLogger(__name__)

SETUP_LIFETIME: Final = 600.0  # seconds a started setup waits for its first code
MAX_PENDING_SETUPS: Final = 256  # across all users; the oldest is dropped beyond this
MAX_ID_LENGTH: Final = 64
DEFAULT_ISSUER: Final = "Hearth"


@dataclass(frozen=True, slots=True)
class TotpSetup:
    """A started enrolment: show the URI (as the QR code) and the secret, then ask for a code."""

    setup_id: str
    user_id: str
    expires_at: float
    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    qr_svg: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """A checked code: accepted, or refused with a reason and whether it counts as a failure
    of the client (toward its IP ban and its login flow's tries)."""

    accepted: bool
    counts: bool
    reason: str


@dataclass(frozen=True, slots=True)
class MfaStatus:
    """What may be shown about a user's MFA (nothing secret)."""

    enabled: bool
    created_at: datetime | None
    recovery_codes_left: int


class MfaManager:
    """Enrols, checks and removes second factors; records each event in the audit log."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        audit: AuditLog | None = None,
        issuer: str = DEFAULT_ISSUER,
    ) -> None:
        self._store = MfaStore(db)
        self._db = db
        self._clock = clock
        self._audit = audit or AuditLog(db)
        self._issuer = issuer
        self._pending: OrderedDict[str, TotpSetup] = OrderedDict()
        self._pause = FailurePause()

    def has_mfa(self, user_id: str) -> bool:
        """Whether the user has set up a second factor."""
        return self._store.totp(user_id) is not None

    def any_admin_has_mfa(self) -> bool:
        """Whether at least one active administrator has set up MFA (for the default policy)."""
        return self._store.any_admin_enrolled()

    def enrolled_user_ids(self) -> set[str]:
        """Ids of every user with MFA."""
        return self._store.enrolled_user_ids()

    def recovery_codes_left(self, user_id: str) -> int:
        """Unused recovery codes of a user."""
        return self._store.recovery_codes_left(user_id)

    def status(self, user_id: str) -> MfaStatus:
        """Whether MFA is on, since when, and how many recovery codes remain."""
        record = self._store.totp(user_id)
        if record is None:
            return MfaStatus(enabled=False, created_at=None, recovery_codes_left=0)
        return MfaStatus(True, record.created_at, self._store.recovery_codes_left(user_id))

    def retry_after(self, user_id: str, *, ip: str | None = None, remote: bool = False) -> float:
        """Seconds until the client at `ip` gets this user's codes checked again (0.0: now)."""
        return self._pause.retry_after(user_id, pause_source(ip, remote=remote), self._clock())

    # Enrolment

    def _expire_setups(self, now: float) -> None:
        for setup_id in [sid for sid, s in self._pending.items() if s.expires_at <= now]:
            del self._pending[setup_id]

    async def begin_totp_setup(self, user: User) -> TotpSetup:
        """Start enrolling `user`: a new secret, its otpauth URI and QR code; nothing stored yet."""
        if self.has_mfa(user.id):
            raise Conflict("Multi-factor authentication is already set up; remove it first.")
        secret = mfa_codes.new_totp_secret()
        uri = mfa_codes.otpauth_uri(secret, user.username, self._issuer)
        # Drawing the QR code takes milliseconds of CPU: keep it off the event loop.
        svg = await asyncio.to_thread(mfa_codes.qr_svg, uri)
        now = self._clock()
        self._expire_setups(now)
        # One pending setup per user: starting again replaces the previous one.
        for setup_id in [sid for sid, s in self._pending.items() if s.user_id == user.id]:
            del self._pending[setup_id]
        while len(self._pending) >= MAX_PENDING_SETUPS:
            self._pending.popitem(last=False)
        setup = TotpSetup(
            setup_id=secrets.token_hex(16),
            user_id=user.id,
            expires_at=now + SETUP_LIFETIME,
            secret=secret,
            otpauth_uri=uri,
            qr_svg=svg,
        )
        self._pending[setup.setup_id] = setup
        return setup

    def pending_setup(self, user_id: str, setup_id: object) -> TotpSetup | None:
        """The user's unexpired pending setup with this id, or None."""
        if not isinstance(setup_id, str) or len(setup_id) > MAX_ID_LENGTH:
            return None
        setup = self._pending.get(setup_id)
        if setup is None or setup.user_id != user_id or setup.expires_at <= self._clock():
            return None
        return setup

    async def activate_totp(
        self,
        user_id: str,
        setup_id: str,
        code: object,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> list[str]:
        """Finish enrolling with one valid code; returns the recovery codes (shown once)."""
        setup = self.pending_setup(user_id, setup_id)
        if setup is None:
            raise NotFound("This setup has expired or does not exist; start again.")
        parsed = mfa_codes.classify(code)
        now = self._clock()
        step = None
        if parsed is not None and parsed[0] is CodeKind.TOTP:
            step = mfa_codes.matching_step(setup.secret, parsed[1], now)
        if step is None:
            raise InvalidCode("The code is not valid; enter the current 6-digit code from the app.")
        proved = step
        codes = mfa_codes.new_recovery_codes()
        hashes = [mfa_codes.hash_recovery_code(c.replace("-", "")) for c in codes]
        username = self._store.username(user_id)
        enabled = audit_row(
            "mfa_enabled",
            user_id=user_id,
            username=username,
            ip=ip,
            user_agent=user_agent,
            details={"method": "totp", "recovery_codes": len(codes)},
        )

        def store(conn: sqlite3.Connection) -> None:
            mfa_store.enroll(
                conn,
                user_id,
                setup.secret,
                # The code that proved the enrolment cannot be used again to log in.
                last_step=proved,
                created_at=datetime.fromtimestamp(now, UTC),
                code_hashes=hashes,
            )
            insert_audit(conn, enabled)

        await self._db.write(store)
        self._pending.pop(setup.setup_id, None)
        self._pause.clear(user_id)
        _LOGGER.info("MFA enabled for %s", username)
        return codes

    # Checking codes

    async def verify(
        self,
        user_id: str,
        code: object,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        remote: bool = False,
    ) -> bool:
        """Whether `code` is a valid, unused TOTP code or recovery code of this active user."""
        checked = await self.check(user_id, code, ip=ip, user_agent=user_agent, remote=remote)
        return checked.accepted

    async def check(
        self,
        user_id: str,
        code: object,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        remote: bool = False,
    ) -> CodeCheck:
        """Check a code from the client at `ip`; say whether a refusal counts against that client.

        Pauses bind to the client that missed (see hearth.auth.mfa.pause); a recovery code is
        checked whatever the pause.
        """
        # Shape first: nothing too long or of the wrong form is ever hashed.
        parsed = mfa_codes.classify(code)
        if not isinstance(user_id, str) or len(user_id) > MAX_ID_LENGTH:
            return CodeCheck(accepted=False, counts=True, reason="invalid_code")
        record = self._store.totp(user_id)
        if record is None:
            return CodeCheck(accepted=False, counts=True, reason="invalid_code")
        now = self._clock()
        source = pause_source(ip, remote=remote)

        def fail(reason: str, *, counts: bool = True) -> CodeCheck:
            if counts and reason not in (Verdict.PAUSED, Verdict.ACCOUNT_PAUSED):
                self._pause.failure(user_id, source, now)
            self._audit.record(
                "mfa_failed",
                user_id=user_id,
                username=record.username,
                ip=ip,
                user_agent=user_agent,
                details={"reason": reason},
            )
            return CodeCheck(accepted=False, counts=counts, reason=reason)

        if not record.is_active:
            return fail("inactive_user")
        if parsed is None:
            return fail("bad_format")
        kind, value = parsed
        if kind is CodeKind.TOTP:
            verdict = self._pause.verdict(user_id, source, now)
            if verdict is Verdict.PAUSED:
                return fail(str(verdict))
            if verdict is Verdict.ACCOUNT_PAUSED:
                # Threat: a refusal of a client that never missed must not ban the real user.
                return fail(str(verdict), counts=self._pause.has_failed(user_id, source, now))
            step = mfa_codes.matching_step(record.secret, value, now)
            if step is None:
                return fail("invalid_code")
            if step <= record.last_step or not await self._db.write(
                partial(mfa_store.advance_step, user_id=user_id, step=step)
            ):
                return fail("replayed")
        else:
            used = partial(
                audit_row,
                "recovery_code_used",
                user_id=user_id,
                username=record.username,
                ip=ip,
                user_agent=user_agent,
            )
            left = await self._use_recovery_code(user_id, value, used)
            if left is None:
                return fail("invalid_code")
            _LOGGER.info("Recovery code used by %s; %d left", record.username, left)
        self._pause.success(user_id, source)
        return CodeCheck(accepted=True, counts=False, reason="")

    async def _use_recovery_code(
        self, user_id: str, normalized: str, used: Callable[..., AuditRow]
    ) -> int | None:
        """Consume a matching recovery code (audited with the number left, in the same
        transaction); the number left, or None if none matched."""
        digest = mfa_codes.hash_recovery_code(normalized)
        match = None
        for code_id, stored in self._store.recovery_hashes(user_id):
            # Compare against every code, in constant time, without stopping at a match.
            if hmac.compare_digest(stored, digest):
                match = code_id
        if match is None:
            return None
        code_id = match

        def consume(conn: sqlite3.Connection) -> int | None:
            left = mfa_store.use_recovery_code(conn, user_id, code_id)
            if left is not None:
                insert_audit(conn, used(details={"recovery_codes_left": left}))
            return left

        return await self._db.write(consume)

    # Removal

    async def disable(
        self,
        user_id: str,
        *,
        by: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> bool:
        """Remove the user's second factor and recovery codes; False if there were none.

        Callers check authority first (a current code, an admin, or the CLI); `by` names who
        acted, for the audit log.
        """
        record = self._store.totp(user_id)
        for setup_id in [sid for sid, s in self._pending.items() if s.user_id == user_id]:
            del self._pending[setup_id]
        if record is None:
            return False
        disabled = audit_row(
            "mfa_disabled",
            user_id=user_id,
            username=record.username,
            ip=ip,
            user_agent=user_agent,
            details={"method": "totp", **({"by": by} if by is not None else {})},
        )

        def remove(conn: sqlite3.Connection) -> bool:
            removed = mfa_store.remove(conn, user_id)
            if removed:
                insert_audit(conn, disabled)
            return removed

        if not await self._db.write(remove):
            return False
        self._pause.clear(user_id)
        _LOGGER.info("MFA removed for %s", record.username)
        return True
