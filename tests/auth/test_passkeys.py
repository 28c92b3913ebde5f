"""Passkeys: registration and both logins with responses made by a software authenticator,
verified by py_webauthn; replays, foreign origins, other users' passkeys, clones."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

import orjson
import pytest

from hearth.auth.codes import AuthCodes
from hearth.auth.flow import LoginFlow, Step
from hearth.auth.login import Client, LoginService, Outcome
from hearth.auth.manager import AuthManager
from hearth.auth.mfa.manager import MfaManager
from hearth.auth.models import User
from hearth.auth.passkeys.ceremony import RelyingParty
from hearth.auth.passkeys.manager import CHALLENGE_LIFETIME, PasskeyManager
from hearth.auth.trusted import TrustedNetworks
from hearth.exceptions import BadRequest
from hearth.storage.audit import AuditLog

from .conftest import PASSWORD, FakeClock
from .soft_authenticator import SoftAuthenticator

RP = RelyingParty(id="hub.example", origin="https://hub.example:8123")
LAN = Client(ip=ip_address("192.168.1.20"), remote=False, user_agent="test", rp=RP)
CLIENT_ID = "https://hub.example:8123/"
REDIRECT = "https://hub.example:8123/?auth_callback=1"


@pytest.fixture
def passkeys(auth: AuthManager, clock: FakeClock) -> PasskeyManager:
    return PasskeyManager(auth.db, audit=auth.audit, clock=clock)


@pytest.fixture
def service(auth: AuthManager, passkeys: PasskeyManager, clock: FakeClock) -> LoginService:
    mfa = MfaManager(auth.db, clock=clock, audit=auth.audit)
    return LoginService(
        auth,
        AuthCodes(clock=clock),
        mfa=mfa,
        throttle=None,
        trusted=TrustedNetworks(),
        mfa_policy=None,
        passkeys=passkeys,
    )


async def register(passkeys: PasskeyManager, user: User, **kwargs: Any) -> SoftAuthenticator:
    device = SoftAuthenticator(origin=RP.origin, rp_id=RP.id, **kwargs)
    ceremony_id, options = passkeys.begin_registration(user, RP, ip="192.168.1.20")
    answer = orjson.dumps(device.create(options)).decode()
    await passkeys.finish_registration(
        user, ceremony_id, answer, "Laptop", rp=RP, ip="192.168.1.20", user_agent=None
    )
    return device


async def events(auth: AuthManager) -> list[tuple[str, dict[str, object]]]:
    await auth.db.flush()
    return [(e.event, e.details) for e in reversed(await AuditLog(auth.db).query())]


def options_of(outcome: Outcome) -> dict[str, Any]:
    placeholders = outcome.body["description_placeholders"]
    result: dict[str, Any] = orjson.loads(placeholders["passkey_options"])
    return result


async def to_second_step(service: LoginService) -> tuple[LoginFlow, Outcome]:
    begun = service.begin("homeassistant", CLIENT_ID, REDIRECT, LAN)
    flow = service.flows.get(begun.body["flow_id"], client_id=CLIENT_ID, ip=LAN.ip)
    outcome = await service.step(flow, {"username": "alice", "password": PASSWORD}, LAN)
    assert outcome.body["step_id"] == "mfa"
    return flow, outcome


async def to_passwordless(service: LoginService) -> tuple[LoginFlow, Outcome]:
    begun = service.begin("homeassistant", CLIENT_ID, REDIRECT, LAN)
    flow = service.flows.get(begun.body["flow_id"], client_id=CLIENT_ID, ip=LAN.ip)
    outcome = await service.step(flow, {"passkey_login": "1"}, LAN)
    assert outcome.body["step_id"] == "passkey"
    return flow, outcome


def answer(device: SoftAuthenticator, options: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    return {"passkey": orjson.dumps(device.get(options, **kwargs)).decode()}


# Registration


async def test_registration_stores_the_public_key_and_is_audited(
    auth: AuthManager, passkeys: PasskeyManager, alice: User
) -> None:
    device = await register(passkeys, alice)
    [key] = passkeys.list(alice.id)
    assert (key.id, key.name, key.rp_id, key.transports) == (
        device.id,
        "Laptop",
        RP.id,
        ["internal"],
    )
    assert (
        "passkey_registered",
        {"passkey": device.id, "name": "Laptop", "rp_id": RP.id, "aaguid": key.aaguid},
    ) in await events(auth)


async def test_a_registration_challenge_works_once_for_its_user_and_address(
    auth: AuthManager, passkeys: PasskeyManager, alice: User
) -> None:
    bob = await auth.create_user("bob", PASSWORD, name="Bob")
    device = SoftAuthenticator(origin=RP.origin, rp_id=RP.id)
    ceremony_id, options = passkeys.begin_registration(alice, RP, ip="192.168.1.20")
    reply = orjson.dumps(device.create(options)).decode()
    with pytest.raises(BadRequest):  # another user
        await passkeys.finish_registration(
            bob, ceremony_id, reply, "x", rp=RP, ip="192.168.1.20", user_agent=None
        )
    with pytest.raises(BadRequest):  # taken by the attempt above: single use
        await passkeys.finish_registration(
            alice, ceremony_id, reply, "x", rp=RP, ip="192.168.1.20", user_agent=None
        )
    ceremony_id, options = passkeys.begin_registration(alice, RP, ip="192.168.1.20")
    with pytest.raises(BadRequest):  # another address
        await passkeys.finish_registration(
            alice,
            ceremony_id,
            orjson.dumps(device.create(options)).decode(),
            "x",
            rp=RP,
            ip="10.0.0.9",
            user_agent=None,
        )
    assert passkeys.list(alice.id) == []


async def test_registration_from_another_origin_is_refused(
    passkeys: PasskeyManager, alice: User, clock: FakeClock
) -> None:
    device = SoftAuthenticator(origin=RP.origin, rp_id=RP.id)
    ceremony_id, options = passkeys.begin_registration(alice, RP, ip="1.2.3.4")
    reply = orjson.dumps(device.create(options, origin="https://hub.example.evil")).decode()
    with pytest.raises(BadRequest):
        await passkeys.finish_registration(
            alice, ceremony_id, reply, "x", rp=RP, ip="1.2.3.4", user_agent=None
        )
    ceremony_id, options = passkeys.begin_registration(alice, RP, ip="1.2.3.4")
    clock.advance(CHALLENGE_LIFETIME)
    with pytest.raises(BadRequest):  # expired
        await passkeys.finish_registration(
            alice,
            ceremony_id,
            orjson.dumps(device.create(options)).decode(),
            "x",
            rp=RP,
            ip="1.2.3.4",
            user_agent=None,
        )


# Login: second factor


async def test_password_then_passkey_logs_in(
    auth: AuthManager, service: LoginService, passkeys: PasskeyManager, alice: User
) -> None:
    device = await register(passkeys, alice)
    flow, outcome = await to_second_step(service)
    options = options_of(outcome)
    assert [c["id"] for c in options["allowCredentials"]] == [device.id]
    done = await service.step(flow, answer(device, options), LAN)
    assert done.body["type"] == "create_entry"
    assert done.user is not None
    assert done.user.id == alice.id
    logged = [d for e, d in await events(auth) if e == "login"]
    assert logged[-1]["passkey"] is True
    assert logged[-1]["mfa"] is True
    assert passkeys.list(alice.id)[0].sign_count == 1


async def test_a_replayed_assertion_is_refused(
    auth: AuthManager, service: LoginService, passkeys: PasskeyManager, alice: User
) -> None:
    device = await register(passkeys, alice)
    flow, outcome = await to_second_step(service)
    seen = answer(device, options_of(outcome))
    assert (await service.step(flow, seen, LAN)).body["type"] == "create_entry"
    # The same response in a new login: its challenge is not this flow's.
    flow, _ = await to_second_step(service)
    refused = await service.step(flow, seen, LAN)
    assert refused.failure == "invalid_passkey"
    assert refused.body["errors"] == {"base": "invalid_passkey"}
    assert (
        "passkey_failed",
        {
            "reason": "assertion_invalid: InvalidAuthenticationResponse",
            "passkey": device.id,
            "owner": alice.id,
        },
    ) in await events(auth)


async def test_a_challenge_is_used_once(
    service: LoginService, passkeys: PasskeyManager, alice: User
) -> None:
    device = await register(passkeys, alice)
    flow, outcome = await to_second_step(service)
    options = options_of(outcome)
    wrong = await service.step(flow, {"passkey": "{}"}, LAN)  # spends the challenge
    assert wrong.failure == "invalid_passkey"
    refused = await service.step(flow, answer(device, options), LAN)
    assert refused.failure == "invalid_passkey"
    # The form offered a new challenge, which works.
    assert (await service.step(flow, answer(device, options_of(refused)), LAN)).user is not None


async def test_an_expired_challenge_is_refused(
    service: LoginService, passkeys: PasskeyManager, alice: User, clock: FakeClock
) -> None:
    device = await register(passkeys, alice)
    flow, outcome = await to_second_step(service)
    clock.advance(CHALLENGE_LIFETIME)
    assert (
        await service.step(flow, answer(device, options_of(outcome)), LAN)
    ).failure == "invalid_passkey"


async def test_a_wrong_origin_or_rp_is_refused(
    service: LoginService, passkeys: PasskeyManager, alice: User
) -> None:
    device = await register(passkeys, alice)
    flow, outcome = await to_second_step(service)
    phished = answer(device, options_of(outcome), origin="https://hub-example.evil")
    refused = await service.step(flow, phished, LAN)
    assert refused.failure == "invalid_passkey"
    other_rp = answer(device, options_of(refused), rp_id="evil.example")
    assert (await service.step(flow, other_rp, LAN)).failure == "invalid_passkey"


async def test_another_users_passkey_is_no_second_factor(
    auth: AuthManager, service: LoginService, passkeys: PasskeyManager, alice: User
) -> None:
    bob = await auth.create_user("bob", PASSWORD, name="Bob")
    await register(passkeys, alice)
    bobs = await register(passkeys, bob)
    flow, outcome = await to_second_step(service)
    refused = await service.step(flow, answer(bobs, options_of(outcome)), LAN)
    assert refused.failure == "invalid_passkey"
    assert (
        "passkey_failed",
        {"reason": "other_users_passkey", "passkey": bobs.id, "owner": bob.id},
    ) in await events(auth)


async def test_a_clone_whose_count_goes_back_is_refused_and_audited(
    auth: AuthManager, service: LoginService, passkeys: PasskeyManager, alice: User
) -> None:
    device = await register(passkeys, alice)
    flow, outcome = await to_second_step(service)
    assert (await service.step(flow, answer(device, options_of(outcome), count=7), LAN)).user
    flow, outcome = await to_second_step(service)
    refused = await service.step(flow, answer(device, options_of(outcome), count=5), LAN)
    assert refused.failure == "invalid_passkey"
    assert (
        "passkey_failed",
        {"reason": "sign_count_regressed", "passkey": device.id, "owner": alice.id},
    ) in await events(auth)
    assert passkeys.list(alice.id)[0].sign_count == 7


async def test_five_refused_passkeys_end_the_flow(
    service: LoginService, passkeys: PasskeyManager, alice: User
) -> None:
    await register(passkeys, alice)
    flow, _ = await to_second_step(service)
    for _ in range(4):
        assert (await service.step(flow, {"passkey": "{}"}, LAN)).body["type"] == "form"
    assert (await service.step(flow, {"passkey": "{}"}, LAN)).body["reason"] == "too_many_retry"


# Login: password-less


async def test_passwordless_login(
    service: LoginService, passkeys: PasskeyManager, alice: User
) -> None:
    device = await register(passkeys, alice)
    flow, outcome = await to_passwordless(service)
    options = options_of(outcome)
    assert options["userVerification"] == "required"
    assert not options.get("allowCredentials")
    done = await service.step(flow, answer(device, options), LAN)
    assert done.body["type"] == "create_entry"
    assert done.user is not None
    assert done.user.id == alice.id


async def test_passwordless_needs_user_verification(
    service: LoginService, passkeys: PasskeyManager, alice: User
) -> None:
    device = await register(passkeys, alice, uv=False)
    flow, outcome = await to_passwordless(service)
    refused = await service.step(flow, answer(device, options_of(outcome)), LAN)
    assert refused.failure == "invalid_passkey"
    assert refused.body["type"] == "form"


async def test_an_unregistered_passkey_is_refused(service: LoginService, alice: User) -> None:
    stranger = SoftAuthenticator(origin=RP.origin, rp_id=RP.id)
    flow, outcome = await to_passwordless(service)
    refused = await service.step(flow, answer(stranger, options_of(outcome)), LAN)
    assert refused.failure == "invalid_passkey"
    assert flow.step is Step.PASSKEY


async def test_no_passkeys_without_a_host_name(service: LoginService) -> None:
    plain = Client(ip=ip_address("192.168.1.20"), remote=False)
    begun = service.begin("homeassistant", CLIENT_ID, REDIRECT, plain)
    flow = service.flows.get(begun.body["flow_id"], client_id=CLIENT_ID, ip=plain.ip)
    with pytest.raises(BadRequest):
        await service.step(flow, {"passkey_login": "1"}, plain)


# Management


async def test_rename_and_remove_only_your_own(
    auth: AuthManager, passkeys: PasskeyManager, alice: User
) -> None:
    bob = await auth.create_user("bob", PASSWORD, name="Bob")
    device = await register(passkeys, alice)
    from hearth.exceptions import NotFound

    with pytest.raises(NotFound):
        await passkeys.rename(bob, device.id, "mine")
    with pytest.raises(NotFound):
        await passkeys.remove(bob, device.id, by="bob", ip=None, user_agent=None)
    await passkeys.rename(alice, device.id, "  Phone\t ")
    assert passkeys.list(alice.id)[0].name == "Phone"
    assert passkeys.counts() == {alice.id: 1}
    await passkeys.remove(alice, device.id, by="alice", ip=None, user_agent=None)
    assert passkeys.list(alice.id) == []
    assert ("passkey_removed", {"passkey": device.id, "by": "alice"}) in await events(auth)


async def test_an_admins_passkey_turns_on_the_default_policy(
    auth: AuthManager, passkeys: PasskeyManager, alice: User, clock: FakeClock
) -> None:
    mfa = MfaManager(auth.db, clock=clock)
    admin = await auth.create_user("root", PASSWORD, name="Root", is_admin=True)
    assert not mfa.any_admin_has_mfa()
    await register(passkeys, alice)  # not an administrator
    assert not mfa.any_admin_has_mfa()
    await register(passkeys, admin)
    assert mfa.any_admin_has_mfa()
