"""IP bans against the real hub process over real sockets: threshold, restart, expiry, allowlist."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest

from tests.acceptance.ban_support import (
    ATTACKER,
    BYSTANDER,
    StartHub,
    bans_listed,
    call,
    failure_lines,
    start_ban_hub_fixture,  # noqa: F401 - a fixture
    wait_for,
)
from tests.acceptance.support import HOST, create_token, create_user, hearth, tampered

pytestmark = pytest.mark.acceptance

BANNED = {"message": "Access from this address is blocked after repeated failed logins."}


def ws_upgrade_status(port: int, source: str, token: str | None = None) -> int:
    """The status of a WebSocket upgrade request sent from `source`."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    raw = (
        f"GET /api/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{auth}\r\n"
    ).encode()
    with socket.create_connection((HOST, port), timeout=5, source_address=(source, 0)) as sock:
        sock.sendall(raw)
        head = sock.recv(4096).decode("latin-1")
    return int(head.split(" ", 2)[1])


def test_brute_force_banned_at_exactly_the_threshold_and_across_restart(
    start_ban_hub: StartHub,
) -> None:
    hub = start_ban_hub()
    wrong = tampered(hub.token)
    statuses = [call(hub, token=wrong, source=ATTACKER).status for _ in range(5)]
    assert statuses == [401] * 5  # the default threshold is 5
    # The 6th request is refused before its (valid) token is even looked at.
    refused = call(hub, token=hub.token, source=ATTACKER)
    assert refused.status == 403
    assert json.loads(refused.body) == BANNED
    assert ws_upgrade_status(hub.port, ATTACKER) == 403
    assert call(hub, "/api/", token=hub.token).status == 200  # 127.0.0.1 is not affected
    assert len(failure_lines(hub, ATTACKER)) == 5
    assert "Banned 127.0.0.2 for 1h (5 failed logins)" in hub.log()

    # Three failures from another client before the restart, two after: the count survives.
    for _ in range(3):
        assert call(hub, token=wrong, source=BYSTANDER).status == 401

    hub = start_ban_hub(restart=hub)
    assert call(hub, token=hub.token, source=ATTACKER).status == 403
    assert call(hub, token=hub.token, source=BYSTANDER).status == 200
    assert call(hub, token=wrong, source=BYSTANDER).status == 401
    assert call(hub, token=wrong, source=BYSTANDER).status == 401
    assert call(hub, token=hub.token, source=BYSTANDER).status == 403
    assert [ban["ip"] for ban in bans_listed(hub)] == [ATTACKER, BYSTANDER]


def test_ban_lifted_with_the_cli_while_running(start_ban_hub: StartHub) -> None:
    hub = start_ban_hub()
    added = hearth(hub.config_dir, "ban", "add", ATTACKER, "--duration", "1h", "--reason", "test")
    assert added.returncode == 0, added.stderr
    wait_for(lambda: call(hub, token=hub.token, source=ATTACKER).status == 403, "the CLI ban")
    listed = hearth(hub.config_dir, "ban", "list")
    assert ATTACKER in listed.stdout
    removed = hearth(hub.config_dir, "ban", "remove", ATTACKER)
    assert removed.returncode == 0, removed.stderr
    wait_for(lambda: call(hub, token=hub.token, source=ATTACKER).status == 200, "the unban")


def test_ban_lifted_over_rest(start_ban_hub: StartHub) -> None:
    hub = start_ban_hub("  login_attempts_threshold: 1\n")
    assert call(hub, token="x", source=ATTACKER).status == 401
    assert call(hub, token=hub.token, source=ATTACKER).status == 403
    lifted = call(hub, f"/api/bans/{ATTACKER}", method="DELETE", token=hub.token)
    assert lifted.status == 200, lifted
    assert call(hub, token=hub.token, source=ATTACKER).status == 200
    assert bans_listed(hub) == []


def test_ban_expires_and_doubles_for_a_repeat_offender(start_ban_hub: StartHub) -> None:
    hub = start_ban_hub(
        "  login_attempts_threshold: 2\n  ip_ban_duration: 2s\n  ip_ban_max_duration: 1h\n"
    )
    for _ in range(2):
        assert call(hub, token="x", source=ATTACKER).status == 401
    assert call(hub, token=hub.token, source=ATTACKER).status == 403
    first = bans_listed(hub)[0]
    time.sleep(2.1)
    assert call(hub, token=hub.token, source=ATTACKER).status == 200
    for _ in range(2):
        assert call(hub, token="x", source=ATTACKER).status == 401
    second = bans_listed(hub)[0]
    assert (first["offences"], second["offences"]) == (1, 2)
    assert "Banned 127.0.0.2 for 2s" in hub.log()
    assert "Banned 127.0.0.2 for 4s" in hub.log()


def test_allow_listed_address_is_never_banned(start_ban_hub: StartHub) -> None:
    hub = start_ban_hub(f"  login_attempts_threshold: 2\n  ip_ban_allowlist: [{ATTACKER}]\n")
    for _ in range(20):
        assert call(hub, token="x", source=ATTACKER).status == 401
    assert call(hub, token=hub.token, source=ATTACKER).status == 200
    # Failures are still logged for the allow-listed address; others are banned as usual.
    assert len(failure_lines(hub, ATTACKER)) == 20
    for _ in range(2):
        assert call(hub, token="x", source=BYSTANDER).status == 401
    assert call(hub, token=hub.token, source=BYSTANDER).status == 403
    assert [ban["ip"] for ban in bans_listed(hub)] == [BYSTANDER]


def test_permission_denials_and_not_found_never_count(start_ban_hub: StartHub) -> None:
    hub = start_ban_hub("  login_attempts_threshold: 2\n")
    create_user(hub.config_dir, "guest", admin=False)
    guest = create_token(hub.config_dir, "guest", "guest-token")
    state = json.dumps({"state": "spoofed"}).encode()
    for _ in range(10):
        denied = call(hub, "/api/states/light.demo_light_1", method="POST", token=guest, body=state)
        assert denied.status == 403
        assert call(hub, "/api/bans", token=guest).status == 403
        assert call(hub, "/api/states/light.no_such_light", token=hub.token).status == 404
        assert call(hub, "/no/such/page", token=hub.token).status == 404
        assert call(hub, "/no/such/page", token="wrong").status == 404
        assert call(hub, "/api/states").status == 401  # no token at all: not a guess
    assert call(hub, token=guest).status == 200
    assert bans_listed(hub) == []
    assert failure_lines(hub, HOST) == []


def test_remote_ipv6_clients_share_a_counter_per_64(start_ban_hub: StartHub) -> None:
    """50 addresses of one remote /64, relayed by a trusted proxy on loopback, are one client."""
    hub = start_ban_hub(
        f"  trusted_proxies: [{HOST}]\n"
        "  use_x_forwarded_for: true\n"
        "  remote_access: true\n"
        "  login_attempts_threshold: 50\n"
    )
    for n in range(1, 51):
        reply = call(hub, token="x", headers={"X-Forwarded-For": f"2001:db8:aa:bb::{n:x}"})
        assert reply.status == 401, (n, reply)
    same_64 = {"X-Forwarded-For": "2001:db8:aa:bb:ffff:ffff:ffff:ffff"}
    assert call(hub, token=hub.token, headers=same_64).status == 403
    other_64 = {"X-Forwarded-For": "2001:db8:aa:bc::1"}
    assert call(hub, token=hub.token, headers=other_64).status == 200
    assert [ban["ip"] for ban in bans_listed(hub)] == ["2001:db8:aa:bb::/64"]
    assert re.search(r"Login failed for user '' from 2001:db8:aa:bb::32: ", hub.log())


def test_local_ipv6_clients_are_counted_per_address(start_ban_hub: StartHub) -> None:
    """On the home LAN every device shares one /64: a single device is banned, not the house."""
    hub = start_ban_hub(
        f"  trusted_proxies: [{HOST}]\n  use_x_forwarded_for: true\n  login_attempts_threshold: 3\n"
    )
    device = {"X-Forwarded-For": "fd12:3456:789a:1::7"}
    for _ in range(3):
        assert call(hub, token="x", headers=device).status == 401
    assert call(hub, token=hub.token, headers=device).status == 403
    housemate = {"X-Forwarded-For": "fd12:3456:789a:1::8"}
    assert call(hub, token=hub.token, headers=housemate).status == 200
    assert [ban["ip"] for ban in bans_listed(hub)] == ["fd12:3456:789a:1::7"]


def test_the_trusted_proxy_itself_is_never_banned(start_ban_hub: StartHub) -> None:
    """Requests the proxy makes itself (no X-Forwarded-For) never ban everyone behind it."""
    hub = start_ban_hub(
        f"  trusted_proxies: [{HOST}]\n  use_x_forwarded_for: true\n  login_attempts_threshold: 2\n"
    )
    for _ in range(10):
        assert call(hub, token="x").status == 401
    assert call(hub, token=hub.token).status == 200
    relayed = {"X-Forwarded-For": "192.168.7.7"}
    for _ in range(2):
        assert call(hub, token="x", headers=relayed).status == 401
    assert call(hub, token=hub.token, headers=relayed).status == 403
    assert call(hub, token=hub.token).status == 200
