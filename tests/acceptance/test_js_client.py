"""The unmodified npm `home-assistant-js-websocket` client, driven by js/client.mjs under node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hearth.const import HA_COMPAT_VERSION
from tests.acceptance.support import RunningHub, hub_env, tampered

pytestmark = pytest.mark.acceptance

JS_DIR = Path(__file__).parent / "js"
NODE = shutil.which("node")
LIGHT = "light.demo_light_1"


def run_client(url: str, token: str) -> tuple[int, dict[str, Any], str]:
    """Run client.mjs; return its exit code, its JSON result line and its stderr."""
    if NODE is None:
        pytest.skip("node is not installed (make system-test-deps installs it)")
    library = JS_DIR / "node_modules" / "home-assistant-js-websocket"
    assert library.is_dir(), f"run `npm ci` in {JS_DIR} (make system-test-deps does)"
    env = hub_env() | {"HEARTH_TOKEN": token, "HEARTH_TIMEOUT_MS": "20000"}
    done = subprocess.run(
        [NODE, "client.mjs", url],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"client.mjs printed nothing (exit {done.returncode}):\n{done.stderr}"
    return done.returncode, json.loads(lines[-1]), done.stderr


def test_js_client_reads_states_calls_light_sees_state_changed(hub: RunningHub) -> None:
    """Connect with a CLI token, read states, turn a light on, see state_changed and the update."""
    code, result, stderr = run_client(hub.base_url, hub.token)
    assert code == 0, (result, stderr)
    assert result["ok"] is True
    assert result["ha_version"] == HA_COMPAT_VERSION
    user = result["user"]
    assert user["is_admin"] is True
    assert user["id"]
    assert result["location_name"] == "Acceptance Home"
    assert result["state_count"] == 7
    assert {"light", "switch"} <= set(result["service_domains"])

    event = result["event"]
    assert event["event_type"] == "state_changed"
    assert event["old_state"] == "off"
    assert event["new_state"]["entity_id"] == LIGHT
    assert event["new_state"]["state"] == "on"
    assert event["new_state"]["attributes"]["brightness"] == 128
    assert event["context"]["user_id"] == user["id"]

    assert isinstance(result["call_result"]["context"]["id"], str)

    entity = result["entity"]
    assert entity["state"] == "on"
    assert entity["attributes"]["brightness"] == 128
    # No warnings from the library (unknown subscriptions, unhandled messages, ...).
    assert stderr == "", stderr


def test_js_client_wrong_token(hub: RunningHub) -> None:
    """A wrong token makes the library report invalid auth, not a hang or a crash."""
    code, result, _stderr = run_client(hub.base_url, tampered(hub.token))
    assert code == 1
    assert result == {"ok": False, "error": "invalid auth"}
