"""The login flow store: bounded, expiring, bound to the client id and address that began it."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from hearth.auth import flow as wire
from hearth.auth.flow import FlowMismatch, FlowNotFound, LoginFlows, Step, TooManyFlows

from .conftest import FakeClock

CLIENT = "http://hub.local:8123/"
REDIRECT = "http://hub.local:8123/?auth_callback=1"
HOME = ip_address("192.168.1.20")
ELSEWHERE = ip_address("192.168.1.21")


def begin(flows: LoginFlows, ip: object = HOME) -> wire.LoginFlow:
    return flows.begin(provider="homeassistant", client_id=CLIENT, redirect_uri=REDIRECT, ip=ip)  # type: ignore[arg-type]


def test_begin_and_get(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock)
    flow = begin(flows)
    assert flow.step is Step.INIT
    assert len(flow.flow_id) == 32
    assert flows.get(flow.flow_id, client_id=CLIENT, ip=HOME) is flow
    assert flow.handler == ["homeassistant", None]


def test_flow_ids_are_unguessable(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock)
    assert len({begin(flows).flow_id for _ in range(100)}) == 100


def test_bound_to_the_address_that_began_it(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock)
    flow = begin(flows)
    with pytest.raises(FlowMismatch, match="IP address changed"):
        flows.get(flow.flow_id, client_id=CLIENT, ip=ELSEWHERE)


def test_bound_to_the_client_id(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock)
    flow = begin(flows)
    with pytest.raises(FlowMismatch, match="client id"):
        flows.get(flow.flow_id, client_id="http://evil.example/", ip=HOME)


@pytest.mark.parametrize("flow_id", ["", "nope", "x" * 10_000, None, 42, ["a"]])
def test_unknown_or_malformed_ids(clock: FakeClock, flow_id: object) -> None:
    flows = LoginFlows(clock=clock)
    begin(flows)
    with pytest.raises(FlowNotFound):
        flows.get(flow_id, client_id=CLIENT, ip=HOME)


def test_expires_after_ten_minutes(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock)
    flow = begin(flows)
    clock.advance(wire.FLOW_LIFETIME - 1)
    assert flows.get(flow.flow_id, client_id=CLIENT, ip=HOME) is flow
    clock.advance(1)
    with pytest.raises(FlowNotFound):
        flows.get(flow.flow_id, client_id=CLIENT, ip=HOME)
    assert len(flows) == 0


def test_finished_flows_are_gone(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock)
    flow = begin(flows)
    flow.recovery_codes = ["secret-code"]
    flows.finish(flow)
    assert flow.recovery_codes == []
    with pytest.raises(FlowNotFound):
        flows.get(flow.flow_id, client_id=CLIENT, ip=HOME)


def test_bounded_oldest_dropped(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock, max_flows=10, max_per_ip=100)
    first = begin(flows, ip_address("10.0.0.1"))
    for n in range(10):
        begin(flows, ip_address(f"10.0.1.{n}"))
    assert len(flows) == 10
    with pytest.raises(FlowNotFound):
        flows.get(first.flow_id, client_id=CLIENT, ip=ip_address("10.0.0.1"))


def test_one_address_cannot_push_out_the_others(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock, max_flows=100, max_per_ip=5)
    victim = begin(flows, ELSEWHERE)
    for _ in range(1000):
        begin(flows)
    assert len(flows) == 6
    assert flows.get(victim.flow_id, client_id=CLIENT, ip=ELSEWHERE) is victim


def begin_remote(flows: LoginFlows, ip: str) -> wire.LoginFlow:
    return flows.begin(
        provider="homeassistant",
        client_id=CLIENT,
        redirect_uri=REDIRECT,
        ip=ip_address(ip),
        remote=True,
    )


def test_remote_clients_share_a_quota_per_24(clock: FakeClock) -> None:
    """A subscriber holding a whole /24 (or /64) counts as one client."""
    flows = LoginFlows(clock=clock, max_flows=100, max_per_ip=5)
    victim = begin(flows, ELSEWHERE)
    for n in range(50):
        begin_remote(flows, f"203.0.113.{n}")
    for n in range(50):
        begin_remote(flows, f"2001:db8:0:1::{n + 1:x}")
    assert len(flows) == 11
    assert flows.get(victim.flow_id, client_id=CLIENT, ip=ELSEWHERE) is victim


@pytest.mark.parametrize("addresses", [40, 200])
def test_churn_from_many_addresses_does_not_push_out_a_real_user(
    clock: FakeClock, addresses: int
) -> None:
    """The issue's attack, scaled down: room comes from the groups creating beyond their
    allowance, then from those holding the most flows; the user's flow survives."""
    flows = LoginFlows(clock=clock, max_flows=100, max_per_ip=5)
    for n in range(addresses * 5):  # every churning address has used its allowance
        begin(flows, ip_address(f"10.1.0.{n % addresses}"))
    user = begin(flows, HOME)
    for n in range(5000):
        begin(flows, ip_address(f"10.1.0.{n % addresses}"))
        clock.advance(0.001)
    assert flows.get(user.flow_id, client_id=CLIENT, ip=HOME) is user
    assert len(flows) == 100


def test_a_flow_past_its_first_step_is_never_dropped(clock: FakeClock) -> None:
    """Even against one flow per address from thousands of addresses."""
    flows = LoginFlows(clock=clock, max_flows=50, max_per_ip=5)
    user = begin(flows, HOME)
    user.step = Step.MFA  # the password was right; the code comes in a moment
    for n in range(3000):
        begin(flows, ip_address(f"10.2.{n // 256}.{n % 256}"))
    assert flows.get(user.flow_id, client_id=CLIENT, ip=HOME) is user
    # Its own address cannot push it out either.
    for _ in range(20):
        begin(flows, HOME)
    assert flows.get(user.flow_id, client_id=CLIENT, ip=HOME) is user


def test_no_room_when_every_flow_is_being_completed(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock, max_flows=10, max_per_ip=2)
    for flow in (begin(flows), begin(flows)):
        flow.step = Step.MFA
    with pytest.raises(TooManyFlows) as refused:
        begin(flows)
    assert refused.value.status == 429
    assert begin(flows, ELSEWHERE).step is Step.INIT


def test_flows_beyond_the_allowance_are_marked(clock: FakeClock) -> None:
    """A person reloading the login page stays within it; a churner is marked, to be counted."""
    flows = LoginFlows(clock=clock)
    marked = [begin(flows).over_quota for _ in range(wire.MAX_FLOWS_PER_IP + 3)]
    assert marked == [False] * wire.MAX_FLOWS_PER_IP + [True] * 3
    assert begin(flows, ELSEWHERE).over_quota is False
    clock.advance(wire.FLOW_LIFETIME / wire.MAX_FLOWS_PER_IP)
    assert begin(flows).over_quota is False


def test_wire_shapes(clock: FakeClock) -> None:
    flows = LoginFlows(clock=clock)
    flow = begin(flows)
    form = wire.form(flow, wire.PASSWORD_SCHEMA, errors={"base": "invalid_auth"})
    assert form["type"] == "form"
    assert form["step_id"] == "init"
    assert [f["name"] for f in form["data_schema"]] == ["username", "password"]
    assert form["errors"] == {"base": "invalid_auth"}
    entry = wire.create_entry(flow, "the-code")
    assert (entry["type"], entry["result"]) == ("create_entry", "the-code")
    assert wire.abort(flow, "not_allowed")["reason"] == "not_allowed"
    choices = wire.user_schema([("id1", "Kitchen")])
    assert choices[0]["options"] == [["id1", "Kitchen"]]
