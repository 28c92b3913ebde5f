"""MfaManager with a frozen clock: enrolment, TOTP windows, replay, recovery codes, removal."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.mfa import codes as mfa_codes
from hearth.auth.mfa.manager import SETUP_LIFETIME, MfaManager, TotpSetup
from hearth.auth.mfa.pause import ACCOUNT_BURST, ACCOUNT_INTERVAL, FREE_FAILURES
from hearth.auth.models import User
from hearth.exceptions import Conflict, InvalidCode, NotFound
from hearth.storage.audit import AuditLog

from .conftest import PASSWORD, FakeClock

STEP = 56_666_667  # a time step; the clock sits 15 s into it


@pytest.fixture
def clock() -> FakeClock:
    frozen = FakeClock()
    frozen.now = STEP * 30 + 15.0
    return frozen


@pytest.fixture
def mfa(auth: AuthManager, clock: FakeClock) -> MfaManager:
    return MfaManager(auth.db, clock=clock)


async def enrol(mfa: MfaManager, user: User) -> tuple[TotpSetup, list[str]]:
    """Enrol with the previous step's code, so the current step is still unused."""
    setup = await mfa.begin_totp_setup(user)
    codes = await mfa.activate_totp(
        user.id, setup.setup_id, mfa_codes.code_at(setup.secret, STEP - 1)
    )
    return setup, codes


def code(setup: TotpSetup, offset: int = 0) -> str:
    return mfa_codes.code_at(setup.secret, STEP + offset)


async def events(auth: AuthManager) -> list[tuple[str, dict[str, object]]]:
    return [(e.event, e.details) for e in reversed(await AuditLog(auth.db).query())]


# Enrolment


async def test_setup_gives_uri_qr_and_secret(mfa: MfaManager, alice: User) -> None:
    setup = await mfa.begin_totp_setup(alice)
    parts = urlsplit(setup.otpauth_uri)
    assert (parts.scheme, parts.netloc, parts.path) == ("otpauth", "totp", "/Hearth:alice")
    assert parse_qs(parts.query) == {"secret": [setup.secret], "issuer": ["Hearth"]}
    assert setup.qr_svg == mfa_codes.qr_svg(setup.otpauth_uri)
    assert setup.qr_svg.startswith("<svg ")
    assert setup.secret not in repr(setup)
    assert not mfa.has_mfa(alice.id)  # nothing is stored before a code proves the app works


async def test_activation_needs_a_valid_code(
    mfa: MfaManager, alice: User, auth: AuthManager
) -> None:
    setup = await mfa.begin_totp_setup(alice)
    for bad in ("000000" if code(setup) != "000000" else "111111", "12345", "x" * 100, None):
        with pytest.raises(InvalidCode):
            await mfa.activate_totp(alice.id, setup.setup_id, bad)
    assert not mfa.has_mfa(alice.id)
    codes = await mfa.activate_totp(alice.id, setup.setup_id, code(setup))
    assert mfa.has_mfa(alice.id)
    assert len(codes) == len(set(codes)) == 10
    assert mfa.recovery_codes_left(alice.id) == 10
    # The setup is used up, and the code that proved it cannot log in.
    with pytest.raises(NotFound):
        await mfa.activate_totp(alice.id, setup.setup_id, code(setup))
    assert await mfa.verify(alice.id, code(setup)) is False
    assert ("mfa_enabled", {"method": "totp", "recovery_codes": 10}) in await events(auth)


async def test_setup_expires_after_ten_minutes(
    mfa: MfaManager, alice: User, clock: FakeClock
) -> None:
    setup = await mfa.begin_totp_setup(alice)
    clock.advance(SETUP_LIFETIME)
    with pytest.raises(NotFound):
        await mfa.activate_totp(
            alice.id, setup.setup_id, mfa_codes.code_at(setup.secret, STEP + 20)
        )
    assert mfa.pending_setup(alice.id, setup.setup_id) is None


async def test_setup_belongs_to_its_user(mfa: MfaManager, alice: User, auth: AuthManager) -> None:
    bob = await auth.create_user("bob", PASSWORD)
    setup = await mfa.begin_totp_setup(alice)
    with pytest.raises(NotFound):
        await mfa.activate_totp(bob.id, setup.setup_id, code(setup))
    with pytest.raises(NotFound):
        await mfa.activate_totp(alice.id, "f" * 10_000, code(setup))


async def test_starting_again_replaces_the_pending_setup(mfa: MfaManager, alice: User) -> None:
    first = await mfa.begin_totp_setup(alice)
    second = await mfa.begin_totp_setup(alice)
    assert first.secret != second.secret
    assert mfa.pending_setup(alice.id, first.setup_id) is None
    with pytest.raises(NotFound):
        await mfa.activate_totp(alice.id, first.setup_id, code(first))


async def test_cannot_set_up_twice(mfa: MfaManager, alice: User) -> None:
    await enrol(mfa, alice)
    with pytest.raises(Conflict):
        await mfa.begin_totp_setup(alice)


async def test_pending_setups_are_bounded(
    mfa: MfaManager, auth: AuthManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hearth.auth.mfa.manager.MAX_PENDING_SETUPS", 3)
    users = [await auth.create_user(f"user{i}", PASSWORD) for i in range(5)]
    setups = [await mfa.begin_totp_setup(user) for user in users]
    alive = [s for s in setups if mfa.pending_setup(s.user_id, s.setup_id) is not None]
    assert alive == setups[2:]


# Verifying TOTP codes


async def test_valid_code(mfa: MfaManager, alice: User) -> None:
    setup, _ = await enrol(mfa, alice)
    assert await mfa.verify(alice.id, code(setup)) is True


async def test_code_typed_with_a_space(mfa: MfaManager, alice: User) -> None:
    setup, _ = await enrol(mfa, alice)
    typed = code(setup)
    assert await mfa.verify(alice.id, f"{typed[:3]} {typed[3:]}") is True


@pytest.mark.parametrize("offset", [1, -1])
async def test_one_step_of_clock_skew_is_accepted(
    mfa: MfaManager, alice: User, clock: FakeClock, offset: int
) -> None:
    setup = await mfa.begin_totp_setup(alice)
    # Enrol with an older step so that STEP - 1 is still unused.
    clock.advance(-60)
    await mfa.activate_totp(alice.id, setup.setup_id, mfa_codes.code_at(setup.secret, STEP - 2))
    clock.advance(60)
    assert await mfa.verify(alice.id, code(setup, offset)) is True


@pytest.mark.parametrize("offset", [2, -2, 10])
async def test_two_steps_away_is_rejected(mfa: MfaManager, alice: User, offset: int) -> None:
    setup, _ = await enrol(mfa, alice)
    assert await mfa.verify(alice.id, code(setup, offset)) is False


async def test_replay_in_the_same_step_is_rejected(
    mfa: MfaManager, alice: User, auth: AuthManager
) -> None:
    setup, _ = await enrol(mfa, alice)
    assert await mfa.verify(alice.id, code(setup)) is True
    assert await mfa.verify(alice.id, code(setup)) is False
    assert (await events(auth))[-1] == ("mfa_failed", {"reason": "replayed"})


async def test_older_step_after_a_newer_one_is_rejected(mfa: MfaManager, alice: User) -> None:
    setup, _ = await enrol(mfa, alice)
    assert await mfa.verify(alice.id, code(setup, 1)) is True
    assert await mfa.verify(alice.id, code(setup)) is False


async def test_replay_after_restart_is_rejected(
    tmp_path: Path, mfa: MfaManager, alice: User, auth: AuthManager, clock: FakeClock
) -> None:
    setup, _ = await enrol(mfa, alice)
    assert await mfa.verify(alice.id, code(setup)) is True
    auth.close()
    reopened = AuthManager.open(tmp_path, clock=clock)
    try:
        assert await MfaManager(reopened.db, clock=clock).verify(alice.id, code(setup)) is False
        clock.advance(30)
        assert await MfaManager(reopened.db, clock=clock).verify(alice.id, code(setup, 1)) is True
    finally:
        reopened.close()


async def test_two_processes_cannot_both_accept_one_code(
    mfa: MfaManager, alice: User, other_process: AuthManager, clock: FakeClock
) -> None:
    setup, _ = await enrol(mfa, alice)
    other = MfaManager(other_process.db, clock=clock)
    assert await other.verify(alice.id, code(setup)) is True
    assert await mfa.verify(alice.id, code(setup)) is False


async def test_wrong_code(mfa: MfaManager, alice: User, auth: AuthManager) -> None:
    setup, _ = await enrol(mfa, alice)
    wrong = "000000" if code(setup) != "000000" else "111111"
    assert await mfa.verify(alice.id, wrong) is False
    assert (await events(auth))[-1] == ("mfa_failed", {"reason": "invalid_code"})
    assert await mfa.verify(alice.id, code(setup)) is True


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "1" * 65, None, 123456])
async def test_wrong_format(mfa: MfaManager, alice: User, auth: AuthManager, bad: object) -> None:
    await enrol(mfa, alice)
    assert await mfa.verify(alice.id, bad) is False
    assert (await events(auth))[-1] == ("mfa_failed", {"reason": "bad_format"})


async def test_user_without_mfa_never_verifies(mfa: MfaManager, alice: User) -> None:
    assert await mfa.verify(alice.id, "123456") is False
    assert await mfa.verify("no-such-user", "123456") is False
    assert await mfa.verify("x" * 10_000, "123456") is False


async def test_deactivated_user_is_rejected(
    mfa: MfaManager, alice: User, auth: AuthManager
) -> None:
    setup, codes = await enrol(mfa, alice)
    await auth.set_user_active(alice.id, False)
    assert await mfa.verify(alice.id, code(setup)) is False
    assert await mfa.verify(alice.id, codes[0]) is False
    assert (await events(auth))[-1] == ("mfa_failed", {"reason": "inactive_user"})
    await auth.set_user_active(alice.id, True)
    assert await mfa.verify(alice.id, code(setup)) is True


ATTACKER = "203.0.113.9"
USER_IP = "198.51.100.20"


async def test_repeated_failures_pause_checking(
    mfa: MfaManager, alice: User, clock: FakeClock, auth: AuthManager
) -> None:
    setup, _ = await enrol(mfa, alice)
    wrong = "000000" if code(setup) != "000000" else "111111"
    for _ in range(FREE_FAILURES):
        assert await mfa.verify(alice.id, wrong, ip=ATTACKER) is False
    assert mfa.retry_after(alice.id, ip=ATTACKER) == pytest.approx(30.0)
    # Even the right code is not checked during the pause, from that address.
    refused = await mfa.check(alice.id, code(setup), ip=ATTACKER)
    assert (refused.accepted, refused.counts, refused.reason) == (False, True, "paused")
    assert (await events(auth))[-1] == ("mfa_failed", {"reason": "paused"})
    clock.advance(30)
    assert mfa.retry_after(alice.id, ip=ATTACKER) == 0.0
    assert (
        await mfa.verify(alice.id, wrong, ip=ATTACKER) is False
    )  # one more miss doubles the pause
    assert mfa.retry_after(alice.id, ip=ATTACKER) == pytest.approx(60.0)
    clock.advance(60)
    assert await mfa.verify(alice.id, code(setup, 3), ip=ATTACKER) is True
    assert mfa.retry_after(alice.id, ip=ATTACKER) == 0.0


async def test_the_pause_binds_to_the_address_that_missed(
    mfa: MfaManager, alice: User, clock: FakeClock
) -> None:
    """Someone who knows only the password cannot keep the real user out."""
    setup, codes = await enrol(mfa, alice)
    wrong = "000000" if code(setup) != "000000" else "111111"
    for _ in range(FREE_FAILURES + 3):
        await mfa.verify(alice.id, wrong, ip=ATTACKER)
        clock.advance(1)
    assert mfa.retry_after(alice.id, ip=ATTACKER) > 0
    assert mfa.retry_after(alice.id, ip=USER_IP) == 0.0
    assert await mfa.verify(alice.id, code(setup), ip=USER_IP) is True
    # A paused address may still use a recovery code (it is not guessable).
    assert await mfa.verify(alice.id, codes[0], ip=ATTACKER) is True


async def test_misses_from_many_addresses_spend_the_account_budget(
    mfa: MfaManager, alice: User, clock: FakeClock
) -> None:
    """The guessing bound holds across addresses; the real user keeps recovery codes, and a
    refusal of an address that never missed does not count against it."""
    setup, codes = await enrol(mfa, alice)
    wrong = "000000" if code(setup) != "000000" else "111111"
    for n in range(ACCOUNT_BURST):
        assert (await mfa.check(alice.id, wrong, ip=f"203.0.113.{n + 1}")).counts
    refused = await mfa.check(alice.id, code(setup), ip=USER_IP)
    assert (refused.accepted, refused.counts, refused.reason) == (False, False, "account_paused")
    assert (await mfa.check(alice.id, wrong, ip="203.0.113.1")).counts  # that address did miss
    assert await mfa.verify(alice.id, codes[0], ip=USER_IP) is True
    clock.advance(ACCOUNT_INTERVAL)  # one more check has been earned
    assert await mfa.verify(alice.id, code(setup, int(ACCOUNT_INTERVAL) // 30), ip=USER_IP) is True


# Recovery codes


async def test_recovery_code_works_once(mfa: MfaManager, alice: User, auth: AuthManager) -> None:
    _, codes = await enrol(mfa, alice)
    assert await mfa.verify(alice.id, codes[3]) is True
    assert mfa.recovery_codes_left(alice.id) == 9
    assert (await events(auth))[-1] == ("recovery_code_used", {"recovery_codes_left": 9})
    assert await mfa.verify(alice.id, codes[3]) is False
    assert (await events(auth))[-1] == ("mfa_failed", {"reason": "invalid_code"})
    assert await mfa.verify(alice.id, codes[4].upper().replace("-", " ")) is True
    assert mfa.recovery_codes_left(alice.id) == 8


async def test_recovery_codes_are_per_user(mfa: MfaManager, alice: User, auth: AuthManager) -> None:
    bob = await auth.create_user("bob", PASSWORD)
    _, alice_codes = await enrol(mfa, alice)
    await enrol(mfa, bob)
    assert await mfa.verify(bob.id, alice_codes[0]) is False
    assert await mfa.verify(alice.id, alice_codes[0]) is True


async def test_only_hashes_are_stored(mfa: MfaManager, alice: User, auth: AuthManager) -> None:
    _, codes = await enrol(mfa, alice)
    folder = auth.db.path.parent
    raw = b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("hearth.db"))
    assert b"mfa_recovery_codes" in raw  # we searched the right files
    for recovery in codes:
        assert recovery.encode() not in raw
        assert recovery.replace("-", "").encode() not in raw
    rows = auth.db.query("SELECT code_hash FROM mfa_recovery_codes")
    assert len(rows) == 10
    assert {len(row["code_hash"]) for row in rows} == {64}


# Removal, policy inputs, logging


async def test_disable_removes_secret_and_codes(
    mfa: MfaManager, alice: User, auth: AuthManager
) -> None:
    setup, codes = await enrol(mfa, alice)
    assert await mfa.disable(alice.id, by="admin", ip="192.0.2.7") is True
    assert not mfa.has_mfa(alice.id)
    assert await mfa.verify(alice.id, code(setup)) is False
    assert await mfa.verify(alice.id, codes[0]) is False
    assert auth.db.query("SELECT * FROM mfa_recovery_codes") == []
    assert (await events(auth))[-1] == ("mfa_disabled", {"method": "totp", "by": "admin"})
    assert await mfa.disable(alice.id) is False
    # After removal, a new enrolment works.
    await enrol(mfa, alice)


async def test_deleting_a_user_deletes_their_mfa(
    mfa: MfaManager, alice: User, auth: AuthManager
) -> None:
    await enrol(mfa, alice)
    await auth.db.write(lambda conn: conn.execute("DELETE FROM users WHERE id = ?", (alice.id,)))
    assert auth.db.query("SELECT * FROM mfa_totp") == []
    assert auth.db.query("SELECT * FROM mfa_recovery_codes") == []


async def test_any_admin_has_mfa(mfa: MfaManager, alice: User, auth: AuthManager) -> None:
    admin = await auth.create_user("root", PASSWORD, is_admin=True)
    await enrol(mfa, alice)
    assert mfa.any_admin_has_mfa() is False  # alice is not an admin
    await enrol(mfa, admin)
    assert mfa.any_admin_has_mfa() is True
    await auth.set_user_active(admin.id, False)
    assert mfa.any_admin_has_mfa() is False
    assert mfa.enrolled_user_ids() == {alice.id, admin.id}


async def test_status(mfa: MfaManager, alice: User) -> None:
    assert mfa.status(alice.id).enabled is False
    _, codes = await enrol(mfa, alice)
    await mfa.verify(alice.id, codes[0])
    status = mfa.status(alice.id)
    assert status.enabled is True
    assert status.recovery_codes_left == 9
    assert status.created_at is not None


async def test_secrets_never_reach_the_log_or_audit(
    mfa: MfaManager, alice: User, auth: AuthManager, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    setup, codes = await enrol(mfa, alice)
    await mfa.verify(alice.id, code(setup))
    await mfa.verify(alice.id, codes[0])
    await mfa.verify(alice.id, "999999")
    await mfa.disable(alice.id)
    audit_text = str([e.as_dict() for e in await AuditLog(auth.db).query()])
    for secret in (setup.secret, setup.otpauth_uri, code(setup), *codes):
        assert secret not in caplog.text
        assert secret not in audit_text
    assert "MFA enabled for alice" in caplog.text


async def test_enrol_conflict_is_reported(auth: AuthManager, alice: User) -> None:
    from functools import partial

    from hearth.auth.mfa.store import enroll

    kwargs = {"last_step": 1, "created_at": alice.created_at, "code_hashes": ["a" * 64]}
    secret = "JBSWY3DPEHPK3PXP"
    await auth.db.write(partial(enroll, user_id=alice.id, secret=secret, **kwargs))  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        await auth.db.write(partial(enroll, user_id=alice.id, secret=secret, **kwargs))  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await auth.db.write(partial(enroll, user_id="no-such-user", secret=secret, **kwargs))  # type: ignore[arg-type]
