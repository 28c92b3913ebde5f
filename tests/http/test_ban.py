"""The ban check and record_auth_failure, in a bare app with only the checks they need."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from ipaddress import IPv6Address, ip_address
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.auth.manager import AuthManager
from hearth.auth.throttle import AccountThrottle
from hearth.bans.manager import BanManager
from hearth.bans.policy import BanPolicy, client_key, policy_allowlist
from hearth.config.schema import HttpSection
from hearth.http import ban as ban_module
from hearth.http.auth import check_auth
from hearth.http.ban import (
    BANNED_MESSAGE,
    KEY_BANS,
    ban_check,
    ban_policy,
    log_refused_summary,
    quote_username,
    record_auth_failure,
    setup_ban,
)
from hearth.http.gate import request_gate
from hearth.http.keys import KEY_AUDIT, KEY_AUTH, REQ_CLIENT_IP
from hearth.http.view import admin_only, json_response, public
from hearth.storage.audit import AuditLog
from hearth.storage.db import Database
from tests.conftest import AiohttpClient

Client = TestClient[Any, Any]
TEST_CLIENT_HEADER = "X-Test-Client"


def fake_forwarded(request: web.Request) -> web.Request:
    """Stands in for the forwarded step: lets a test pick the client address."""
    if TEST_CLIENT_HEADER in request.headers:
        request[REQ_CLIENT_IP] = ip_address(request.headers[TEST_CLIENT_HEADER])
    return request


async def private_view(_request: web.Request) -> web.Response:
    return json_response({"ok": True})


@admin_only
async def admin_view(_request: web.Request) -> web.Response:
    return json_response({"admin": True})


@public
async def login_view(request: web.Request) -> web.Response:
    """A stand-in login step that always fails."""
    record_auth_failure(request, reason="invalid_password", username=request.query.get("user"))
    return json_response({"errors": {"base": "invalid_auth"}})


AppFactory = Callable[..., Any]


@pytest.fixture
def make_client(aiohttp_client: AiohttpClient, auth: AuthManager) -> AppFactory:
    async def factory(**policy: Any) -> tuple[Client, BanManager]:
        bans = BanManager(auth.db, BanPolicy(**policy))
        app = web.Application(
            middlewares=[
                request_gate(forwarded=fake_forwarded, checks=[ban_check(bans), check_auth])
            ]
        )
        app[KEY_AUTH] = auth
        app[KEY_AUDIT] = AuditLog(auth.db)
        setup_ban(app, bans, AccountThrottle())
        app.router.add_get("/private", private_view)
        app.router.add_get("/admin", admin_view)
        app.router.add_post("/login", login_view)
        return await aiohttp_client(app), bans

    return factory


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def status(client: Client, path: str = "/private", **kwargs: Any) -> int:
    async with client.get(path, **kwargs) as resp:
        return resp.status


async def test_banned_after_exactly_the_threshold(
    make_client: AppFactory, admin_token: str
) -> None:
    client, bans = await make_client(threshold=3)
    statuses = [await status(client, headers=bearer("wrong")) for _ in range(3)]
    assert statuses == [401, 401, 401]
    async with client.get("/private", headers=bearer(admin_token)) as resp:
        # Banned before the (valid) token is looked at.
        assert resp.status == 403
        assert resp.content_type == "application/json"
        assert await resp.json() == {"message": BANNED_MESSAGE}
    assert await status(client, "/nowhere") == 403
    await bans.drain()  # the ban applies at once; it is stored just after
    assert bans.list()[0].client == "127.0.0.1"


async def test_missing_token_never_counts(make_client: AppFactory, admin_token: str) -> None:
    client, _ = await make_client(threshold=2)
    for _ in range(10):
        assert await status(client) == 401
        assert await status(client, headers={"Authorization": "Basic YWRtaW46YWRtaW4="}) == 401
    assert await status(client, headers=bearer(admin_token)) == 200


async def test_permission_denial_never_counts(make_client: AppFactory, user_token: str) -> None:
    client, _ = await make_client(threshold=2)
    for _ in range(10):
        assert await status(client, "/admin", headers=bearer(user_token)) == 403
    assert await status(client, headers=bearer(user_token)) == 200


async def test_not_found_never_counts(make_client: AppFactory, admin_token: str) -> None:
    client, _ = await make_client(threshold=2)
    for _ in range(10):
        assert await status(client, "/nowhere", headers=bearer(admin_token)) == 404
        # No route matched, so the token is never checked: not a failure either.
        assert await status(client, "/nowhere", headers=bearer("wrong")) == 404
    assert await status(client, headers=bearer(admin_token)) == 200


async def test_allow_listed_client_is_never_banned(
    make_client: AppFactory, admin_token: str
) -> None:
    client, bans = await make_client(threshold=2, allowlist=policy_allowlist(["127.0.0.0/8"]))
    for _ in range(10):
        assert await status(client, headers=bearer("wrong")) == 401
    assert await status(client, headers=bearer(admin_token)) == 200
    assert bans.list() == []


async def test_disabled_bans_nothing(make_client: AppFactory, admin_token: str) -> None:
    client, _ = await make_client(enabled=False, threshold=1)
    for _ in range(5):
        assert await status(client, headers=bearer("wrong")) == 401
    assert await status(client, headers=bearer(admin_token)) == 200


async def test_ipv6_64_shares_one_counter(make_client: AppFactory, admin_token: str) -> None:
    client, bans = await make_client(threshold=50)
    for n in range(1, 51):
        headers = {**bearer("wrong"), TEST_CLIENT_HEADER: f"2001:db8:aa:bb::{n:x}"}
        assert await status(client, headers=headers) == 401
    other = {**bearer(admin_token), TEST_CLIENT_HEADER: "2001:db8:aa:bb:ffff::1"}
    assert await status(client, headers=other) == 403
    neighbour = {**bearer(admin_token), TEST_CLIENT_HEADER: "2001:db8:aa:bc::1"}
    assert await status(client, headers=neighbour) == 200
    assert await status(client, headers=bearer(admin_token)) == 200  # 127.0.0.1
    await bans.drain()
    assert [ban.client for ban in bans.list()] == ["2001:db8:aa:bb::/64"]


async def test_local_ipv6_counted_per_address(make_client: AppFactory, admin_token: str) -> None:
    client, bans = await make_client(
        threshold=2, local_networks=policy_allowlist(["fd00::/8", "fe80::/10"])
    )
    for _ in range(2):
        headers = {**bearer("wrong"), TEST_CLIENT_HEADER: "fd00:1:2:3::7"}
        assert await status(client, headers=headers) == 401
    housemate = {**bearer(admin_token), TEST_CLIENT_HEADER: "fd00:1:2:3::8"}
    assert await status(client, headers=housemate) == 200
    device = {**bearer(admin_token), TEST_CLIENT_HEADER: "fd00:1:2:3::7"}
    assert await status(client, headers=device) == 403
    await bans.drain()
    assert [ban.client for ban in bans.list()] == ["fd00:1:2:3::7"]


async def test_ban_expires(make_client: AppFactory, admin_token: str) -> None:
    client, _ = await make_client(threshold=1, duration=0.3, max_duration=1.0)
    assert await status(client, headers=bearer("wrong")) == 401
    assert await status(client, headers=bearer(admin_token)) == 403
    await asyncio.sleep(0.35)
    assert await status(client, headers=bearer(admin_token)) == 200


async def test_refusals_are_not_logged_per_request(
    make_client: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client, bans = await make_client(threshold=1)
    assert await status(client, headers=bearer("wrong")) == 401
    await bans.drain()  # "Banned ..." is logged once the ban is stored
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        for _ in range(50):
            assert await status(client) == 403
    assert [r for r in caplog.records if r.name.startswith("hearth")] == []
    assert bans.refused == {client_key(ip_address("127.0.0.1")): 50}
    with caplog.at_level(logging.INFO):
        log_refused_summary(bans, 60.0)
        log_refused_summary(bans, 60.0)  # nothing new: nothing logged
    lines = [r.getMessage() for r in caplog.records if r.name == "hearth.http.ban"]
    assert lines == [
        "Refused 50 request(s) from 1 banned client(s) in the last 60s: 127.0.0.1 (50)"
    ]


async def test_failure_line_audit_and_count(
    make_client: AppFactory, auth: AuthManager, caplog: pytest.LogCaptureFixture
) -> None:
    client, bans = await make_client()
    with caplog.at_level(logging.WARNING):
        async with client.post("/login?user=alice", headers={"User-Agent": "curl/8"}) as resp:
            assert resp.status == 200
    assert "Login failed for user 'alice' from 127.0.0.1: invalid_password" in caplog.messages
    entry = (await AuditLog(auth.db).query(event="login_failed"))[0]
    assert (entry.username, entry.ip, entry.user_agent) == ("alice", "127.0.0.1", "curl/8")
    assert entry.details == {"reason": "invalid_password"}
    assert bans.failures(ip_address("127.0.0.1")) == 1


async def test_failures_are_batched_off_the_event_loop(
    make_client: AppFactory, auth: AuthManager
) -> None:
    """The 401 path runs no SQL on the event loop; a flood of failures shares commits."""
    client, bans = await make_client(threshold=1000)
    on_loop: list[str] = []
    written: list[str] = []
    auth.db._reader.set_trace_callback(on_loop.append)
    auth.db._writer._conn.set_trace_callback(written.append)
    try:
        statuses = await asyncio.gather(
            *(status(client, headers=bearer(f"wrong-{n}")) for n in range(20))
        )
        assert statuses == [401] * 20
        await auth.db.flush()
    finally:
        auth.db._reader.set_trace_callback(None)
        auth.db._writer._conn.set_trace_callback(None)
    assert on_loop == []
    assert bans.failures(ip_address("127.0.0.1")) == 20
    assert written.count("COMMIT") < 20
    assert len(await AuditLog(auth.db).query(event="login_failed")) == 20
    stored = auth.db.query("SELECT count(*) FROM ip_ban_failures")[0][0]
    assert stored == 20


async def test_a_locked_database_never_delays_a_failed_login(
    make_client: AppFactory, auth: AuthManager
) -> None:
    """Another process holds the write lock: the failure is answered and counted at once, and
    stored once the lock is released."""
    client, bans = await make_client()
    other = sqlite3.connect(auth.db.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        async with client.post("/login?user=x") as resp:
            assert resp.status == 200
        assert bans.failures(ip_address("127.0.0.1")) == 1
    finally:
        other.execute("ROLLBACK")
        other.close()
    await auth.db.flush()
    assert len(await AuditLog(auth.db).query(event="login_failed")) == 1


async def test_token_failure_line_has_an_empty_name(
    make_client: AppFactory, auth: AuthManager, caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = await make_client()
    with caplog.at_level(logging.WARNING):
        assert await status(client, headers=bearer("not-a-token")) == 401
    assert "Login failed for user '' from 127.0.0.1: invalid_access_token" in caplog.messages
    assert "not-a-token" not in caplog.text
    entry = (await AuditLog(auth.db).query(event="login_failed"))[0]
    assert entry.username is None
    assert "not-a-token" not in str(entry.as_dict())


@pytest.mark.parametrize(
    ("username", "shown"),
    [
        (None, ""),
        ("", ""),
        ("alice", "alice"),
        ("x' from 203.0.113.9: invalid_password", "x\\' from 203.0.113.9: invalid_password"),
        ("back\\slash", "back\\\\slash"),
        ("new\nline\r\x00", "new?line??"),
        ("ünïcödé", "?n?c?d?"),
        ("a" * 500, "a" * 64),
    ],
)
def test_quote_username(username: str | None, shown: str) -> None:
    assert quote_username(username) == shown


async def test_bans_from_another_process_apply_within_a_second(
    make_client: AppFactory, auth: AuthManager, admin_token: str
) -> None:
    client, _ = await make_client()
    cli_db = Database.open(auth.db.path)
    try:
        cli = BanManager(cli_db, BanPolicy())
        await cli.ban("127.0.0.1")
        started = time.monotonic()
        while await status(client, headers=bearer(admin_token)) != 403:
            assert time.monotonic() - started < 3
            await asyncio.sleep(0.05)
        await cli.unban("127.0.0.1")
        while await status(client, headers=bearer(admin_token)) != 200:
            assert time.monotonic() - started < 6
            await asyncio.sleep(0.05)
    finally:
        cli_db.close()


async def test_record_auth_failure_without_ban_state(aiohttp_client: AiohttpClient) -> None:
    """An app without bans or audit (a test app, a sub-app) still logs and never raises."""
    app = web.Application()
    app.router.add_post("/login", login_view)
    client = await aiohttp_client(app)
    async with client.post("/login?user=x") as resp:
        assert resp.status == 200


async def test_storage_failure_is_logged_not_raised(
    make_client: AppFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client, bans = await make_client()

    def broken(_ip: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(bans, "record_failure", broken)
    async with client.post("/login?user=x") as resp:
        assert resp.status == 200
    assert "Could not count the failed login from 127.0.0.1" in caplog.text


async def test_maintenance_loop_summarises_and_sweeps(
    make_client: AppFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ban_module, "RELOAD_INTERVAL", 0.02)
    monkeypatch.setattr(ban_module, "SUMMARY_INTERVAL", 0.1)
    monkeypatch.setattr(ban_module, "PRUNE_INTERVAL", 0.1)
    client, bans = await make_client(threshold=1, duration=0.05, max_duration=1.0)
    with caplog.at_level(logging.INFO):
        assert await status(client, headers=bearer("wrong")) == 401
        assert await status(client) == 403
        await asyncio.sleep(0.4)
    assert not bans.banned
    assert "Refused 1 request(s) from 1 banned client(s)" in caplog.text


def test_ban_policy_from_config() -> None:
    http = HttpSection(
        login_attempts_threshold=7,
        login_attempts_window=60,
        ip_ban_duration=120,
        ip_ban_max_duration=240,
        ip_ban_allowlist=["192.168.1.0/24"],
        trusted_proxies=["10.0.0.2"],
        use_x_forwarded_for=True,
    )
    policy = ban_policy(http)
    assert (policy.threshold, policy.window, policy.duration, policy.max_duration) == (
        7,
        60,
        120,
        240,
    )
    # The proxy stands for every client behind it: it is never banned.
    assert policy.allowed(ip_address("10.0.0.2"))
    assert policy.allowed(ip_address("192.168.1.9"))
    assert not policy.allowed(ip_address("192.168.2.9"))
    assert not policy.allowed(IPv6Address("::1"))


async def test_full_app_keeps_bans_on_the_app(app: web.Application) -> None:
    assert isinstance(app[KEY_BANS], BanManager)
    assert app[KEY_BANS].policy.enabled
