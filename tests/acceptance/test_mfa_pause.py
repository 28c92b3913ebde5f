"""The MFA failure pause against the real hub: it binds to the address that guesses, so
someone who knows only the password cannot keep the real user out or get them banned."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pyotp
import pytest

from tests.acceptance.ban_support import failure_lines
from tests.acceptance.support import PASSWORD, USERNAME, HubFactory, RunningHub
from tests.acceptance.support_login import begin_flow, flow_step
from tests.acceptance.support_ws import ws_auth, ws_result

pytestmark = pytest.mark.acceptance

ATTACKER = "127.0.3.1"  # knows the password, not the second factor
USER = "127.0.3.2"  # the real user, on their phone
# The attacker spaces their tries to stay under the IP threshold; a higher threshold plays that.
UNDER_THE_THRESHOLD = "  login_attempts_threshold: 20\n"


async def enrol_totp(hub: RunningHub) -> tuple[pyotp.TOTP, list[str]]:
    """Set up TOTP for the admin over the WebSocket, as the profile page does."""
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, hub.token)
        await ws.send_json({"id": 1, "type": "auth/setup_mfa", "mfa_module_id": "totp"})
        form = (await ws_result(ws, 1))["result"]
        assert isinstance(form, dict), form
        totp = pyotp.TOTP(form["description_placeholders"]["code"])
        # The previous step's code: the current one stays unused for the login below.
        earlier = totp.at(time.time() - 30)
        await ws.send_json(
            {
                "id": 2,
                "type": "auth/setup_mfa",
                "flow_id": form["flow_id"],
                "user_input": {"code": earlier},
            }
        )
        done = (await ws_result(ws, 2))["result"]
        assert isinstance(done, dict), done
        assert done["type"] == "create_entry", done
        return totp, list(done["data"]["recovery_codes"])


def mfa_step(hub: RunningHub, source: str) -> str:
    """Begin a flow from `source` and pass the password: the flow id, at the MFA step."""
    flow = begin_flow(hub, source=source)
    asked = flow_step(hub, flow["flow_id"], source=source, username=USERNAME, password=PASSWORD)
    assert asked.json()["step_id"] == "mfa", asked
    return str(flow["flow_id"])


def wrong_codes(hub: RunningHub, count: int) -> None:
    """The attacker's pattern: wrong codes, a new flow whenever one is aborted."""
    flow_id = mfa_step(hub, ATTACKER)
    for _ in range(count):
        reply = flow_step(hub, flow_id, source=ATTACKER, code="000000").json()
        if reply["type"] == "abort":
            flow_id = mfa_step(hub, ATTACKER)
        else:
            assert reply["errors"] == {"base": "invalid_code"}, reply


def test_a_guesser_at_one_address_does_not_lock_out_the_real_user(
    hub_factory: HubFactory,
) -> None:
    hub = hub_factory(http_extra=UNDER_THE_THRESHOLD)
    totp, recovery = asyncio.run(enrol_totp(hub))
    wrong_codes(hub, 6)  # 5 free misses, then the pause: the old code paused the account

    # The real user, from their own address, with the authenticator app ...
    flow_id = mfa_step(hub, USER)
    done = flow_step(hub, flow_id, source=USER, code=totp.now()).json()
    assert done["type"] == "create_entry", done

    # ... and, while the attacker keeps missing once per pause, with a recovery code.
    wrong_codes(hub, 1)
    flow_id = mfa_step(hub, USER)
    done = flow_step(hub, flow_id, source=USER, code=recovery[0]).json()
    assert done["type"] == "create_entry", done

    # The pause binds to the attacker: even a valid code is not checked from their address.
    flow_id = mfa_step(hub, ATTACKER)
    refused = flow_step(hub, flow_id, source=ATTACKER, code=totp.at(time.time() + 30))
    assert refused.json()["errors"] == {"base": "invalid_code"}
    # Only the address that missed is counted toward a ban.
    assert failure_lines(hub, USER) == []
    assert len(failure_lines(hub, ATTACKER)) == 8
