"""deploy/fail2ban against log lines the real hub wrote, checked with Debian's fail2ban tools."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from tests.acceptance.ban_support import (
    StartHub,
    call,
    start_ban_hub_fixture,  # noqa: F401 - a fixture
)
from tests.acceptance.support import HOST, PASSWORD, USERNAME, RunningHub

pytestmark = pytest.mark.acceptance

REPO = Path(__file__).resolve().parents[2]
FILTER = REPO / "deploy" / "fail2ban" / "filter.d" / "hearth.conf"
JAIL = REPO / "deploy" / "fail2ban" / "jail.d" / "hearth.local"
FAIL2BAN_REGEX = shutil.which("fail2ban-regex")
FAIL2BAN_CLIENT = shutil.which("fail2ban-client")
# A username that tries to make fail2ban read someone else's address out of the line.
HOSTILE_USERNAME = "x' from 203.0.113.9: invalid_password"

needs_fail2ban = pytest.mark.skipif(
    FAIL2BAN_REGEX is None or FAIL2BAN_CLIENT is None,
    reason="fail2ban is not installed (Debian package fail2ban; `make system-test-deps`)",
)


async def ws_invalid_token(hub: RunningHub, source: str) -> None:
    """One WebSocket handshake with a wrong token, from `source`."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.ws_connect(hub.ws_url) as ws,
    ):
        assert (await ws.receive_json(timeout=5))["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": "not-a-token"})
        assert (await ws.receive_json(timeout=5))["type"] == "auth_invalid"


def wrong_password(hub: RunningHub, source: str, username: str) -> None:
    """One Home Assistant login flow step with a wrong password, from `source`."""
    client_id = f"http://{HOST}:{hub.port}/"
    begun = call(
        hub,
        "/auth/login_flow",
        method="POST",
        source=source,
        body=json.dumps(
            {
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{client_id}?auth_callback=1",
            }
        ).encode(),
    )
    assert begun.status == 200, begun
    flow_id = json.loads(begun.body)["flow_id"]
    step = call(
        hub,
        f"/auth/login_flow/{flow_id}",
        method="POST",
        source=source,
        body=json.dumps(
            {"client_id": client_id, "username": username, "password": PASSWORD + "-wrong"}
        ).encode(),
    )
    assert step.status == 200, step
    assert json.loads(step.body)["errors"] == {"base": "invalid_auth"}


def fail2ban_regex(log: Path, *options: str) -> str:
    assert FAIL2BAN_REGEX is not None
    done = subprocess.run(
        [FAIL2BAN_REGEX, *options, str(log), str(FILTER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@needs_fail2ban
def test_filter_matches_every_failure_line_the_hub_wrote(start_ban_hub: StartHub) -> None:
    hub = start_ban_hub(
        f"  trusted_proxies: [{HOST}]\n  use_x_forwarded_for: true\n  login_attempts_threshold: 6\n"
    )
    # Credential failures: REST and WebSocket tokens, a wrong password, through a proxy too.
    for _ in range(3):
        assert call(hub, token="not-a-token", source="127.0.0.2").status == 401
    for _ in range(2):
        asyncio.run(ws_invalid_token(hub, "127.0.0.2"))
    for _ in range(2):
        relayed = {"X-Forwarded-For": "fd00::7"}
        assert call(hub, token="not-a-token", headers=relayed).status == 401
    wrong_password(hub, "127.0.0.3", HOSTILE_USERNAME)
    wrong_password(hub, "127.0.0.3", USERNAME)
    # A client banned at its 6th failure; its 7th request is refused without a failure line.
    for _ in range(6):
        assert call(hub, token="not-a-token", source="127.0.0.4").status == 401
    assert call(hub, token=hub.token, source="127.0.0.4").status == 403
    # Noise that must never match: no token, permission and routing errors, normal use.
    assert call(hub, "/api/states").status == 401
    assert call(hub, "/no/such/page", token="not-a-token").status == 404
    assert call(hub, "/api/states", token=hub.token).status == 200
    assert hub.stop() == 0

    log = hub.log_path
    failures = [line for line in log.read_text().splitlines() if "Login failed for user" in line]
    assert len(failures) == 3 + 2 + 2 + 2 + 6, "\n".join(failures)
    # The hostile name is no user: it is shown as a keyed hash, and cannot name an address.
    assert "203.0.113.9" not in log.read_text()
    assert sum(bool(re.search(r"user '#[0-9a-f]{12}' from 127\.0\.0\.3: ", f)) for f in failures)
    assert any("user 'admin' from 127.0.0.3: invalid_auth" in f for f in failures)

    summary = fail2ban_regex(log)
    total = len(log.read_text().splitlines())
    assert re.search(rf"Lines: {total} lines, 0 ignored, {len(failures)} matched", summary), summary

    ips = Counter(fail2ban_regex(log, "-o", "ip").split())
    assert ips == {"127.0.0.2": 5, "fd00::7": 2, "127.0.0.3": 2, "127.0.0.4": 6}, ips
    assert "203.0.113.9" not in ips


@needs_fail2ban
def test_jail_passes_fail2ban_configuration_test(tmp_path: Path) -> None:
    """The jail and filter load in Debian's fail2ban (with the file backend, as on a test box)."""
    assert FAIL2BAN_CLIENT is not None
    etc = tmp_path / "fail2ban"
    shutil.copytree("/etc/fail2ban", etc)
    shutil.copy(FILTER, etc / "filter.d" / "hearth.conf")
    shutil.copy(JAIL, etc / "jail.d" / "hearth.local")
    log = tmp_path / "hearth.log"
    log.write_text("")
    # Debian enables sshd, whose log does not exist here; the journal is not available either.
    (etc / "jail.d" / "zz-test.local").write_text(
        f"[sshd]\nenabled = false\n\n[hearth]\nbackend = auto\njournalmatch =\nlogpath = {log}\n"
    )
    done = subprocess.run(
        [FAIL2BAN_CLIENT, "-c", str(etc), "--test"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: configuration test is successful" in done.stdout + done.stderr
    dumped = subprocess.run(
        [FAIL2BAN_CLIENT, "-c", str(etc), "-d"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "['add', 'hearth', 'auto']" in dumped.stdout, dumped.stdout + dumped.stderr
    assert "['set', 'hearth', 'maxretry', 5]" in dumped.stdout


async def audit_entries(hub: RunningHub) -> list[dict[str, object]]:
    """The audit log's failed logins, read by the admin over the WebSocket."""
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        assert (await ws.receive_json(timeout=5))["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": hub.token})
        assert (await ws.receive_json(timeout=5))["type"] == "auth_ok"
        await ws.send_json({"id": 1, "type": "audit/log", "event": "login_failed"})
        reply = await ws.receive_json(timeout=5)
        assert reply["success"] is True, reply
        entries: list[dict[str, object]] = reply["result"]
        return entries


def test_a_password_typed_as_username_is_never_written_down(start_ban_hub: StartHub) -> None:
    """Not in the log, not in the audit log: a keyed hash stands for it; fail2ban still sees
    the address, and an existing username stays readable."""
    hub = start_ban_hub()
    typed = "Tr0ub4dor&3-" + PASSWORD[::-1]
    wrong_password(hub, "127.0.0.5", typed)
    wrong_password(hub, "127.0.0.5", typed.upper())  # the same name, typed differently
    wrong_password(hub, "127.0.0.5", USERNAME)
    log = hub.log()
    assert typed not in log
    assert typed.casefold() not in log.casefold()
    hashed = re.findall(
        r"Login failed for user '(#[0-9a-f]{12})' from 127\.0\.0\.5: invalid_auth", log
    )
    assert len(hashed) == 2
    assert hashed[0] == hashed[1]
    entries = asyncio.run(audit_entries(hub))
    assert typed.casefold() not in str(entries).casefold()
    assert sorted(str(e["username"]) for e in entries) == sorted([USERNAME, *hashed])
