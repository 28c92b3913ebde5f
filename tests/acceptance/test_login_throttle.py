"""The per-account throttle against the real hub: parallel guesses from many addresses are
checked one slot at a time, a full queue refuses at once, and the owner is not counted for it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.acceptance.ban_support import failure_lines
from tests.acceptance.support import PASSWORD, USERNAME, HubFactory, RunningHub
from tests.acceptance.support_login import begin_flow, flow_step

pytestmark = pytest.mark.acceptance

# A short constant delay through `auth: account_throttle` keeps the wall time bounded; the
# default (1 s doubling to 30 s) is the same mechanism with longer gaps.
DELAY = 0.15
PARALLEL = 60
ADDRESSES = [f"127.0.1.{n}" for n in range(1, 16)]  # 15 addresses x 4: under the IP threshold
WARM_UP = "127.0.1.100"


def throttled_hub(hub_factory: HubFactory, delay: float, queue: int) -> RunningHub:
    return hub_factory(
        f"auth:\n  account_throttle:\n    base_delay: {delay}\n    max_delay: {delay}\n"
        f"    queue: {queue}\n"
    )


def wrong_password(hub: RunningHub, source: str) -> None:
    flow = begin_flow(hub, source=source)
    reply = flow_step(hub, flow["flow_id"], source=source, username=USERNAME, password="wrong")
    assert reply.json()["errors"] == {"base": "invalid_auth"}


def test_parallel_guesses_from_many_addresses_are_spaced_out(hub_factory: HubFactory) -> None:
    """60 guesses at once, 4 from each of 15 addresses, each in its own flow: the k-th answer
    cannot come before k delays have passed (the old code checked them all within the cap)."""
    hub = throttled_hub(hub_factory, DELAY, queue=64)
    for _ in range(3):  # the free failures: from now on every check waits DELAY after the last
        wrong_password(hub, WARM_UP)
    sources = [ADDRESSES[n % len(ADDRESSES)] for n in range(PARALLEL)]
    flows = [begin_flow(hub, source=source)["flow_id"] for source in sources]
    start = threading.Barrier(PARALLEL + 1)
    answered: list[float] = []

    def guess(n: int) -> None:
        start.wait()
        reply = flow_step(
            hub, flows[n], source=sources[n], username=USERNAME, password=f"guess {n}"
        )
        answered.append(time.monotonic())
        assert reply.json()["errors"] == {"base": "invalid_auth"}, reply

    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = [pool.submit(guess, n) for n in range(PARALLEL)]
        start.wait()
        sent = time.monotonic()
        for future in futures:
            future.result(timeout=60)
    waited = sorted(at - sent for at in answered)
    # A lower bound the attack must respect: answer k comes at least k x DELAY after the burst.
    too_early = [(k, round(at, 3)) for k, at in enumerate(waited) if at < k * DELAY]
    assert not too_early, f"answers before their slot: {too_early[:5]}"
    assert waited[-1] >= (PARALLEL - 1) * DELAY
    assert len([line for line in hub.log().splitlines() if ": invalid_auth" in line]) == 63


def test_a_full_queue_refuses_at_once_and_counts_only_the_flooding_address(
    hub_factory: HubFactory,
) -> None:
    """Beyond the queue: the answer of a wrong password, counted toward the IP ban of the
    address that floods in parallel, never of a client that sends one attempt at a time."""
    hub = throttled_hub(hub_factory, 1.0, queue=4)
    attacker, owner = "127.0.2.1", "127.0.2.2"
    for _ in range(3):
        wrong_password(hub, "127.0.2.3")
    flows = [begin_flow(hub, source=attacker)["flow_id"] for _ in range(5)]
    owner_flow = begin_flow(hub, source=owner)["flow_id"]
    with ThreadPoolExecutor(4) as pool:
        queued = [
            pool.submit(
                flow_step, hub, flows[n], source=attacker, username=USERNAME, password=f"g{n}"
            )
            for n in range(4)
        ]
        time.sleep(0.5)  # the 4 wait for their slots (1 s apart): the queue is full
        flood = flow_step(hub, flows[4], source=attacker, username=USERNAME, password="g4")
        assert flood.json()["errors"] == {"base": "invalid_auth"}
        refused = flow_step(hub, owner_flow, source=owner, username=USERNAME, password=PASSWORD)
        assert refused.json()["errors"] == {"base": "invalid_auth"}
        assert not any(f.done() for f in queued), "the refusals did not wait for the queue"
        for future in queued:
            assert future.result(timeout=30).json()["errors"] == {"base": "invalid_auth"}
    assert len(failure_lines(hub, attacker)) == 5
    assert [line for line in failure_lines(hub, attacker) if "login_throttled" in line]
    assert failure_lines(hub, owner) == []
    # Once the queue has drained, the owner's next attempt is checked and succeeds.
    done = flow_step(hub, owner_flow, source=owner, username=USERNAME, password=PASSWORD)
    assert done.json()["type"] == "create_entry", done
