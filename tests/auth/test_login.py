"""LoginService: the login flow's steps with the real store, MFA manager and throttle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from hearth.auth.codes import AuthCodes
from hearth.auth.flow import MAX_STEP_FAILURES, LoginFlow
from hearth.auth.login import Client, LoginService, Outcome
from hearth.auth.manager import AuthManager
from hearth.auth.mfa import codes as mfa_codes
from hearth.auth.mfa.manager import MfaManager
from hearth.auth.mfa.policy import MfaPolicy
from hearth.auth.models import User
from hearth.auth.throttle import AccountThrottle, ThrottlePolicy
from hearth.auth.trusted import TrustedEntry, TrustedNetworks
from hearth.exceptions import BadRequest, Conflict, NotFound

from .conftest import PASSWORD, FakeClock

CLIENT_ID = "http://hub.local:8123/"
REDIRECT = "http://hub.local:8123/?auth_callback=1"
LAN = Client(ip=ip_address("192.168.1.20"), remote=False, user_agent="test-agent")
REMOTE = Client(ip=ip_address("203.0.113.9"), remote=True)
KITCHEN = Client(ip=ip_address("192.168.50.7"), remote=False)

Factory = Callable[..., LoginService]


@pytest.fixture
def mfa(auth: AuthManager, clock: FakeClock) -> MfaManager:
    return MfaManager(auth.db, clock=clock, audit=auth.audit)


@pytest.fixture
def make_service(auth: AuthManager, mfa: MfaManager, clock: FakeClock) -> Factory:
    def make(policy: MfaPolicy | None = None, **kwargs: Any) -> LoginService:
        options: dict[str, Any] = {
            "mfa": mfa,
            "throttle": AccountThrottle(clock=clock),
            "trusted": TrustedNetworks(),
            "mfa_policy": policy,
        }
        options.update(kwargs)
        return LoginService(auth, AuthCodes(clock=clock), **options)

    return make


@pytest.fixture
def service(make_service: Factory) -> LoginService:
    return make_service()


def begin(service: LoginService, client: Client = LAN, provider: str = "homeassistant") -> Outcome:
    return service.begin(provider, CLIENT_ID, REDIRECT, client)


def flow_of(service: LoginService, outcome: Outcome, client: Client = LAN) -> LoginFlow:
    return service.flows.get(outcome.body["flow_id"], client_id=CLIENT_ID, ip=client.ip)


async def login(
    service: LoginService, username: str, password: str, client: Client = LAN
) -> tuple[LoginFlow, Outcome]:
    flow = flow_of(service, begin(service, client), client)
    return flow, await service.step(flow, {"username": username, "password": password}, client)


async def enrol(mfa: MfaManager, user: User, clock: FakeClock) -> str:
    setup = await mfa.begin_totp_setup(user)
    await mfa.activate_totp(user.id, setup.setup_id, current_code(setup.secret, clock))
    clock.advance(60)  # the enrolment code cannot be used again
    return setup.secret


def current_code(secret: str, clock: FakeClock) -> str:
    return mfa_codes.code_at(secret, mfa_codes.time_step(clock()))


async def test_password_login(service: LoginService, alice: User, auth: AuthManager) -> None:
    _, outcome = await login(service, " Alice ", PASSWORD)
    assert outcome.body["type"] == "create_entry"
    assert outcome.failure is None
    assert outcome.user == alice
    grant = service.codes.consume(outcome.body["result"], CLIENT_ID)
    assert grant is not None
    assert grant.user_id == alice.id
    assert len(service.flows) == 0
    (entry,) = await auth.audit.query(event="login")
    assert (entry.username, entry.ip, entry.user_agent) == ("alice", "192.168.1.20", "test-agent")
    assert entry.details == {"provider": "homeassistant", "client_id": CLIENT_ID, "mfa": False}


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", PASSWORD), ("not a valid name!", PASSWORD)],
)
async def test_failures_look_alike(
    service: LoginService, alice: User, username: str, password: str
) -> None:
    flow, outcome = await login(service, username, password)
    assert outcome.body["type"] == "form"
    assert outcome.body["step_id"] == "init"
    assert outcome.body["errors"] == {"base": "invalid_auth"}
    assert (outcome.failure, outcome.username) == ("invalid_auth", username)
    assert service.flows.get(flow.flow_id, client_id=CLIENT_ID, ip=LAN.ip) is flow  # retry


async def test_inactive_user_fails_like_a_wrong_password(
    service: LoginService, alice: User, auth: AuthManager
) -> None:
    await auth.update_user(alice.id, is_active=False)
    _, outcome = await login(service, "alice", PASSWORD)
    assert outcome.body["errors"] == {"base": "invalid_auth"}


async def test_failures_feed_the_account_throttle(make_service: Factory, alice: User) -> None:
    throttle = AccountThrottle(ThrottlePolicy(free_failures=1, base_delay=0.3, max_delay=0.3))
    service = make_service(throttle=throttle)
    for _ in range(2):
        await login(service, "ALICE", "wrong password")
    assert throttle.failures("alice") == 2
    start = time.monotonic()
    _, outcome = await login(service, "alice", PASSWORD)
    assert time.monotonic() - start >= 0.25  # the delay was awaited before checking
    assert outcome.body["type"] == "create_entry"
    assert throttle.failures("alice") == 0


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": "alice"},
        {"username": 1, "password": "x"},
        {"username": "a" * 300, "password": "x"},
    ],
)
async def test_malformed_steps(service: LoginService, alice: User, data: dict[str, Any]) -> None:
    flow = flow_of(service, begin(service))
    with pytest.raises(BadRequest):
        await service.step(flow, data, LAN)


def test_unknown_provider(service: LoginService) -> None:
    with pytest.raises(NotFound):
        begin(service, provider="insecure_example")


async def test_local_only_user_from_outside(service: LoginService, auth: AuthManager) -> None:
    await auth.create_user("kid", PASSWORD, local_only=True)
    _, outcome = await login(service, "kid", PASSWORD, REMOTE)
    assert outcome.status == 403
    assert "local network" in outcome.body["message"]
    assert outcome.failure is None  # a refusal, not a wrong credential
    _, outcome = await login(service, "kid", PASSWORD, LAN)
    assert outcome.body["type"] == "create_entry"


async def test_parallel_submissions_of_one_step(service: LoginService, alice: User) -> None:
    flow = flow_of(service, begin(service))
    first = asyncio.ensure_future(service.step(flow, {"username": "alice", "password": "x"}, LAN))
    await asyncio.sleep(0)
    with pytest.raises(Conflict):
        await service.step(flow, {"username": "alice", "password": "y"}, LAN)
    await first


# MFA


async def test_mfa_step(
    service: LoginService, alice: User, mfa: MfaManager, clock: FakeClock, auth: AuthManager
) -> None:
    secret = await enrol(mfa, alice, clock)
    flow, outcome = await login(service, "alice", PASSWORD)
    assert (outcome.body["type"], outcome.body["step_id"]) == ("form", "mfa")
    assert [f["name"] for f in outcome.body["data_schema"]] == ["code"]
    wrong = await service.step(flow, {"code": "000000"}, LAN)
    assert wrong.body["errors"] == {"base": "invalid_code"}
    assert (wrong.failure, wrong.username) == ("invalid_mfa_code", "alice")
    done = await service.step(flow, {"code": current_code(secret, clock)}, LAN)
    assert done.body["type"] == "create_entry"
    assert (await auth.audit.query(event="login"))[0].details["mfa"] is True


async def test_mfa_too_many_wrong_codes(
    service: LoginService, alice: User, mfa: MfaManager, clock: FakeClock
) -> None:
    await enrol(mfa, alice, clock)
    flow, _ = await login(service, "alice", PASSWORD)
    outcomes = [await service.step(flow, {"code": "000000"}, LAN) for _ in range(MAX_STEP_FAILURES)]
    assert outcomes[-1].body == {**outcomes[-1].body, "type": "abort", "reason": "too_many_retry"}
    assert all(o.failure == "invalid_mfa_code" for o in outcomes)
    assert len(service.flows) == 0


async def test_recovery_code_at_the_mfa_step(
    service: LoginService, alice: User, mfa: MfaManager, clock: FakeClock
) -> None:
    setup = await mfa.begin_totp_setup(alice)
    codes = await mfa.activate_totp(alice.id, setup.setup_id, current_code(setup.secret, clock))
    flow, _ = await login(service, "alice", PASSWORD)
    done = await service.step(flow, {"code": codes[0]}, LAN)
    assert done.body["type"] == "create_entry"


async def test_required_mfa_is_set_up_at_login(
    make_service: Factory, alice: User, mfa: MfaManager, clock: FakeClock
) -> None:
    service = make_service("all")
    flow, outcome = await login(service, "alice", PASSWORD)
    assert outcome.body["step_id"] == "mfa_setup"
    placeholders = outcome.body["description_placeholders"]
    assert placeholders["qr_code"].startswith("<svg") or "<svg" in placeholders["qr_code"]
    assert placeholders["url"].startswith("otpauth://totp/")
    secret = placeholders["code"]
    wrong = await service.step(flow, {"code": "000000"}, LAN)
    assert wrong.body["step_id"] == "mfa_setup"
    assert wrong.body["errors"] == {"base": "invalid_code"}
    assert not mfa.has_mfa(alice.id)
    codes = await service.step(flow, {"code": current_code(secret, clock)}, LAN)
    assert codes.body["step_id"] == "recovery_codes"
    assert codes.body["data_schema"] == []
    assert len(codes.body["description_placeholders"]["recovery_codes"].split("\n")) >= 8
    assert mfa.has_mfa(alice.id)
    done = await service.step(flow, {}, LAN)
    assert done.body["type"] == "create_entry"


@pytest.mark.parametrize(
    ("policy", "client", "admin", "step"),
    [
        ("none", REMOTE, True, None),
        ("admins", LAN, False, None),
        ("admins", LAN, True, "mfa_setup"),
        ("remote", LAN, True, None),
        ("remote", REMOTE, False, "mfa_setup"),
        ("all", LAN, False, "mfa_setup"),
    ],
)
async def test_mfa_policy(
    make_service: Factory,
    auth: AuthManager,
    policy: MfaPolicy,
    client: Client,
    admin: bool,
    step: str | None,
) -> None:
    await auth.create_user("carol", PASSWORD, is_admin=admin)
    _, outcome = await login(make_service(policy), "carol", PASSWORD, client)
    if step is None:
        assert outcome.body["type"] == "create_entry"
    else:
        assert outcome.body["step_id"] == step


async def test_without_an_mfa_manager(make_service: Factory, alice: User) -> None:
    _, outcome = await login(make_service("all", mfa=None), "alice", PASSWORD)
    assert outcome.body["type"] == "create_entry"


# Trusted networks


@pytest.fixture
async def trusted_service(make_service: Factory, auth: AuthManager) -> LoginService:
    await auth.create_user("kitchen", PASSWORD, name="Kitchen tablet")
    networks = TrustedNetworks(
        [TrustedEntry((ip_network("192.168.50.0/24"),), ("kitchen", "ghost"))]
    )
    return make_service(trusted=networks)


async def test_trusted_network_login(trusted_service: LoginService, auth: AuthManager) -> None:
    kitchen = auth.get_user_by_username("kitchen")
    assert kitchen is not None
    types = [p["type"] for p in trusted_service.providers(KITCHEN)]
    assert types == ["homeassistant", "trusted_networks"]
    assert [p["type"] for p in trusted_service.providers(LAN)] == ["homeassistant"]
    started = begin(trusted_service, KITCHEN, "trusted_networks")
    assert started.body["data_schema"][0]["options"] == [[kitchen.id, "Kitchen tablet"]]
    flow = flow_of(trusted_service, started, KITCHEN)
    done = await trusted_service.step(flow, {"user": kitchen.id}, KITCHEN)
    assert done.body["type"] == "create_entry"
    assert (await auth.audit.query(event="login"))[0].details["provider"] == "trusted_networks"


async def test_trusted_network_refuses_others(trusted_service: LoginService, alice: User) -> None:
    assert begin(trusted_service, LAN, "trusted_networks").body["reason"] == "not_allowed"
    flow = flow_of(trusted_service, begin(trusted_service, KITCHEN, "trusted_networks"), KITCHEN)
    # alice exists but is not listed for this network
    refused = await trusted_service.step(flow, {"user": alice.id}, KITCHEN)
    assert refused.body["reason"] == "not_allowed"
