"""The CLI changing users and tokens while the hub runs: the hub follows without a restart."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.acceptance.support import (
    RunningHub,
    assert_error_shape,
    create_token,
    create_user,
    hearth,
    request,
)

pytestmark = pytest.mark.acceptance

# The hub re-reads the store every const.AUTH_RELOAD_INTERVAL (1 s); allow for a slow machine.
PROPAGATION_TIMEOUT = 5.0


def wait_for_status(hub: RunningHub, token: str, status: int) -> int:
    """Poll GET /api/ with the token until it answers `status`; return the last status."""
    deadline = time.monotonic() + PROPAGATION_TIMEOUT
    while True:
        got = request(hub, "GET", "/api/", token=token).status
        if got == status or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_token_created_and_revoked_while_running(hub: RunningHub) -> None:
    """A new CLI token works at once; after `token revoke` it is refused within seconds."""
    created = hearth(hub.config_dir, "token", "create", "admin", "--name", "second")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert request(hub, "GET", "/api/", token=token).status == 200
    match = re.search(r"\(id (\S+)\)", created.stderr)
    assert match, created.stderr
    token_id = match.group(1)

    listed = hearth(hub.config_dir, "token", "list")
    assert listed.returncode == 0, listed.stderr
    assert token_id in listed.stdout
    assert token not in listed.stdout + listed.stderr
    assert hub.token not in listed.stdout + listed.stderr

    revoked = hearth(hub.config_dir, "token", "revoke", token_id)
    assert revoked.returncode == 0, revoked.stderr
    assert wait_for_status(hub, token, 401) == 401
    assert_error_shape(request(hub, "GET", "/api/states", token=token), 401)
    assert request(hub, "GET", "/api/", token=hub.token).status == 200


def test_non_admin_user_created_while_running(hub: RunningHub) -> None:
    """A non-admin may read and call services but gets 403 (JSON) on admin-only endpoints."""
    create_user(hub.config_dir, "guest", admin=False)
    token = create_token(hub.config_dir, "guest", "guest-token")
    assert request(hub, "GET", "/api/states", token=token).status == 200
    body = json.dumps({"entity_id": "switch.demo_switch_1"}).encode()
    called = request(hub, "POST", "/api/services/switch/toggle", token=token, body=body)
    assert called.status == 200, called

    state = json.dumps({"state": "spoofed"}).encode()
    denied = request(hub, "POST", "/api/states/light.demo_light_1", token=token, body=state)
    assert_error_shape(denied, 403)
    assert_error_shape(request(hub, "POST", "/api/events/custom", token=token, body=b"{}"), 403)
    assert_error_shape(request(hub, "DELETE", "/api/states/light.demo_light_1", token=token), 403)
    light = request(hub, "GET", "/api/states/light.demo_light_1", token=token).json()
    assert light["state"] != "spoofed"
