"""Churning login flows against the real hub: the flood pays, the household logs in."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.acceptance.ban_support import failure_lines
from tests.acceptance.support import PASSWORD, USERNAME, HubFactory, RunningHub, request
from tests.acceptance.support_login import begin_flow, exchange, flow_step
from tests.acceptance.test_mfa_pause import enrol_totp

pytestmark = pytest.mark.acceptance

CHURN_SECONDS = 40.0  # bounded by time and by the number of flows; stopped after the logins
CHURN_MAX_FLOWS = 150_000  # the hub answers ~2,500 a second now: enough for the 13 s of logins
CHURN_ADDRESSES = 100  # 127.0.5.1 ... (flow_churn.py): 20 flows each would fill the table twice
CHURN_TASKS = 1
MFA_PAUSE = 3.0  # the user reads the code off their phone


def start_churn(hub: RunningHub) -> subprocess.Popen[str]:
    """The flood runs in its own process, as an attacker's would."""
    churn = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("flow_churn.py")),
            str(hub.port),
            str(CHURN_SECONDS),
            str(CHURN_ADDRESSES),
            str(CHURN_TASKS),
            str(CHURN_MAX_FLOWS),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert churn.stdout is not None
    assert churn.stdout.readline().strip() == "started"
    return churn


def real_login(hub: RunningHub, code: str) -> dict[str, object]:
    """The frontend's login with a second factor: page load, password, then the code 3 s later."""
    flow = begin_flow(hub)
    time.sleep(0.5)  # typing the password
    asked = flow_step(hub, flow["flow_id"], username=USERNAME, password=PASSWORD)
    assert asked.status == 200, asked  # the old code: 404 Invalid flow specified
    assert asked.json()["step_id"] == "mfa", asked
    time.sleep(MFA_PAUSE)
    done = flow_step(hub, flow["flow_id"], code=code)
    assert done.status == 200, done
    result: dict[str, object] = done.json()
    return result


def test_flow_churn_does_not_block_real_logins(hub_factory: HubFactory) -> None:
    # Bans off: the churn keeps going for the whole test instead of being banned after a few
    # seconds, so the flow table itself must protect the user.
    hub = hub_factory(http_extra="  ip_ban_enabled: false\n")
    totp, recovery = asyncio.run(enrol_totp(hub))
    churn = start_churn(hub)
    try:
        time.sleep(1.0)  # let the churn fill the table
        outcomes = [real_login(hub, code) for code in (totp.now(), recovery[0], recovery[1])]
        running = churn.poll() is None
        churn.terminate()
        output, _ = churn.communicate(timeout=30)
    finally:
        if churn.poll() is None:
            churn.kill()
            churn.wait()
    counts = {int(status): n for status, n in json.loads(output.strip().splitlines()[-1]).items()}
    report = f"churn: {counts}, still running after the logins: {running}"
    assert running, report  # the logins happened under churn
    assert sum(counts.values()) > 2000, report
    for outcome in outcomes:
        assert outcome["type"] == "create_entry", (outcome, report)
        assert exchange(hub, str(outcome["result"]))["token_type"] == "Bearer"
    # Excessive flow creation is reported as a credential failure (log, audit, ban count).
    churned = failure_lines(hub, "127.0.5.1")
    assert churned, report
    assert all(line.endswith(": too_many_login_flows") for line in churned)
    assert failure_lines(hub, "127.0.0.1") == []


def test_excessive_flow_creation_is_banned(hub_factory: HubFactory) -> None:
    hub = hub_factory()
    source = "127.0.6.1"
    statuses = []
    for _ in range(40):
        client_id = f"{hub.base_url}/"
        reply = request(
            hub,
            "POST",
            "/auth/login_flow",
            body=json.dumps(
                {
                    "client_id": client_id,
                    "handler": ["homeassistant", None],
                    "redirect_uri": f"{client_id}?auth_callback=1",
                }
            ).encode(),
            source=source,
        )
        statuses.append(reply.status)
    # 20 flows (a person reloading the login page), then 5 counted ones, then the ban.
    assert statuses == [200] * 25 + [403] * 15, statuses
    assert len(failure_lines(hub, source)) == 5
    assert begin_flow(hub)["step_id"] == "init"  # other addresses are not affected
