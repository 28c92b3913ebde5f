"""The ban manager over a real SQLite store: counting, persistence, expiry, following the CLI."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from functools import partial
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

import pytest

from hearth import const
from hearth.bans.manager import MAX_TRACKED_CLIENTS, BanManager
from hearth.bans.policy import PERMANENT, BanPolicy, BanRecord, client_key, policy_allowlist
from hearth.bans.store import BanStore, put_bans
from hearth.storage.audit import AuditLog
from hearth.storage.db import Database

ATTACKER = IPv4Address("203.0.113.9")


class Clock:
    """A settable wall clock."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / const.DATABASE_FILE


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database.open(db_path)
    yield database
    database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def manager(db: Database, clock: Clock, **policy: object) -> BanManager:
    return BanManager(db, BanPolicy(**policy), clock=clock)  # type: ignore[arg-type]


async def reload_soon(bans: BanManager) -> bool:
    """Apply another process's changes once the writer has noticed its commit (it polls)."""
    for _ in range(40):
        if bans.reload_if_changed():
            return True
        await asyncio.sleep(0.02)
    return False


async def fail(
    bans: BanManager, ip: IPv4Address | IPv6Address, times: int
) -> list[BanRecord | None]:
    """`times` failures; a ban they cause is written durably before this returns."""
    results = [bans.record_failure(ip) for _ in range(times)]
    await bans.drain()
    return results


async def test_banned_at_exactly_the_threshold(db: Database, clock: Clock) -> None:
    bans = manager(db, clock)
    results = await fail(bans, ATTACKER, 4)
    assert results == [None] * 4
    assert not bans.is_banned(ATTACKER)
    assert bans.failures(ATTACKER) == 4
    ban = bans.record_failure(ATTACKER)
    await bans.drain()
    assert ban is not None
    assert ban.client == "203.0.113.9"
    assert ban.expires_at == clock.now + 3600
    assert ban.source == "auto"
    assert bans.is_banned(ATTACKER)
    assert not bans.is_banned(IPv4Address("203.0.113.10"))
    # Failures of requests already in flight when the ban began change nothing.
    assert bans.record_failure(ATTACKER) is None
    assert bans.list() == [ban]


async def test_failures_outside_the_window_do_not_count(db: Database, clock: Clock) -> None:
    bans = manager(db, clock, window=60.0)
    for _ in range(4):
        bans.record_failure(ATTACKER)
        clock.now += 15  # failures at 0, 15, 30, 45
    # At 60 the first has left the window: this is the 4th failure that counts, not the 5th.
    assert bans.record_failure(ATTACKER) is None
    assert bans.record_failure(ATTACKER) is not None


async def test_ban_expires(db: Database, clock: Clock) -> None:
    bans = manager(db, clock, duration=10.0)
    await fail(bans, ATTACKER, 5)
    assert bans.is_banned(ATTACKER)
    clock.now += 9.9
    assert bans.is_banned(ATTACKER)
    clock.now += 0.1
    assert not bans.is_banned(ATTACKER)
    assert client_key(ATTACKER) not in bans.banned
    assert bans.list() == []


async def test_repeat_offenders_are_banned_twice_as_long(db: Database, clock: Clock) -> None:
    bans = manager(db, clock, duration=10.0, max_duration=35.0)
    lengths = []
    for _ in range(4):
        ban = (await fail(bans, ATTACKER, 5))[-1]
        assert ban is not None
        assert ban.expires_at is not None
        lengths.append((ban.offences, ban.expires_at - ban.banned_at))
        clock.now = ban.expires_at + 1
    assert lengths == [(1, 10.0), (2, 20.0), (3, 35.0), (4, 35.0)]
    # Quiet for longer than the maximum: forgiven.
    clock.now += 36
    ban = (await fail(bans, ATTACKER, 5))[-1]
    assert ban is not None
    assert ban.offences == 1


async def test_permanent_ban_when_duration_is_zero(db: Database, clock: Clock) -> None:
    bans = manager(db, clock, duration=0.0)
    ban = (await fail(bans, ATTACKER, 5))[-1]
    assert ban is not None
    assert ban.expires_at is None
    assert bans.banned[client_key(ATTACKER)] == PERMANENT
    clock.now += 10 * 365 * 86400
    assert bans.is_banned(ATTACKER)


async def test_bans_and_counters_survive_a_restart(db_path: Path, clock: Clock) -> None:
    first = Database.open(db_path)
    bans = manager(first, clock)
    await fail(bans, ATTACKER, 5)
    other = IPv4Address("198.51.100.1")
    await fail(bans, other, 3)
    await bans.drain()
    first.close()

    second = Database.open(db_path)
    try:
        restarted = manager(second, clock)
        assert restarted.is_banned(ATTACKER)
        assert restarted.failures(other) == 3
        assert restarted.record_failure(other) is None
        assert restarted.record_failure(other) is not None
    finally:
        second.close()


async def test_counters_forgotten_after_the_window_across_restart(
    db_path: Path, clock: Clock
) -> None:
    first = Database.open(db_path)
    await fail(manager(first, clock), ATTACKER, 4)
    first.close()
    clock.now += const.IP_BAN_WINDOW + 1
    second = Database.open(db_path)
    try:
        assert manager(second, clock).failures(ATTACKER) == 0
    finally:
        second.close()


async def test_allow_listed_client_is_never_banned(db: Database, clock: Clock) -> None:
    bans = manager(db, clock, allowlist=policy_allowlist(["203.0.113.0/24"]))
    assert await fail(bans, ATTACKER, 50) == [None] * 50
    assert not bans.is_banned(ATTACKER)
    # A ban made by hand is stored, but not applied to an allow-listed client.
    await bans.ban("203.0.113.9", source="cli")
    assert not bans.is_banned(ATTACKER)


async def test_fifty_ipv6_addresses_of_one_64_share_a_counter(db: Database, clock: Clock) -> None:
    bans = manager(db, clock, threshold=50)
    addresses = [IPv6Address(f"2001:db8:7:7::{n:x}") for n in range(1, 51)]
    results = [bans.record_failure(address) for address in addresses]
    assert results[:-1] == [None] * 49
    assert results[-1] is not None
    assert results[-1].client == "2001:db8:7:7::/64"
    assert all(bans.is_banned(address) for address in addresses)
    assert bans.is_banned(IPv6Address("2001:db8:7:7:ffff::1"))
    assert not bans.is_banned(IPv6Address("2001:db8:7:8::1"))


async def test_disabled_policy_counts_and_applies_nothing(db: Database, clock: Clock) -> None:
    bans = manager(db, clock, enabled=False)
    assert await fail(bans, ATTACKER, 20) == [None] * 20
    await bans.ban("203.0.113.9")
    assert not bans.is_banned(ATTACKER)
    assert not bans.banned


async def test_manual_ban_and_unban(db: Database, clock: Clock) -> None:
    bans = manager(db, clock)
    record = await bans.ban("2001:db8::1", seconds=60, reason="scanner\x1b[31m", source="api")
    assert record.client == "2001:db8::/64"
    assert record.expires_at == clock.now + 60
    assert record.reason == "scanner?[31m"
    assert bans.is_banned(IPv6Address("2001:db8::ffff"))
    assert await bans.unban("2001:db8::abcd") == record
    assert not bans.is_banned(IPv6Address("2001:db8::ffff"))
    assert await bans.unban("2001:db8::abcd") is None
    with pytest.raises(ValueError, match="IPv6 /64"):
        await bans.ban("192.0.2.0/24")
    with pytest.raises(ValueError, match="positive"):
        await bans.ban("192.0.2.1", seconds=0)


async def test_unban_forgets_offences_and_failures(db: Database, clock: Clock) -> None:
    bans = manager(db, clock)
    await fail(bans, ATTACKER, 5)
    assert await bans.unban(str(ATTACKER)) is not None
    assert bans.failures(ATTACKER) == 0
    ban = (await fail(bans, ATTACKER, 5))[-1]
    assert ban is not None
    assert ban.offences == 1


async def test_audit_entries(db: Database, clock: Clock) -> None:
    bans = manager(db, clock)
    await fail(bans, ATTACKER, 5)
    await bans.unban(str(ATTACKER), user_id="u1", username="admin")
    await bans.drain()
    audit = AuditLog(db)
    added = await audit.query(event="ban_added")
    removed = await audit.query(event="ban_removed")
    assert [entry.ip for entry in added] == ["203.0.113.9"]
    assert added[0].details["source"] == "auto"
    assert added[0].details["seconds"] == 3600
    assert [(entry.ip, entry.username) for entry in removed] == [("203.0.113.9", "admin")]


async def test_follows_bans_made_by_another_process(
    db_path: Path, db: Database, clock: Clock
) -> None:
    """The CLI writes through its own connection; the hub applies the change on its next poll."""
    hub = manager(db, clock)
    assert not hub.reload_if_changed()
    cli_db = Database.open(db_path)
    try:
        cli = manager(cli_db, clock)
        await cli.ban("198.51.100.7")
        assert await reload_soon(hub)
        assert hub.is_banned(IPv4Address("198.51.100.7"))
        await cli.unban("198.51.100.7")
        assert await reload_soon(hub)
        assert not hub.is_banned(IPv4Address("198.51.100.7"))
        # A change that is not about bans (another table) costs one query and changes nothing.
        AuditLog(cli_db).record("config_loaded")
        await cli_db.flush()
        assert not await reload_soon(hub)
    finally:
        cli_db.close()


async def test_follower_that_missed_changes_reloads_everything(
    db_path: Path, db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = manager(db, clock)
    cli_db = Database.open(db_path)
    try:
        cli = manager(cli_db, clock)
        for n in range(5):
            await cli.ban(f"198.51.100.{n}")
        monkeypatch.setattr("hearth.bans.store.MAX_CHANGES_KEPT", 2)
        await cli.prune()
        assert await reload_soon(hub)
        assert all(hub.is_banned(IPv4Address(f"198.51.100.{n}")) for n in range(5))
    finally:
        cli_db.close()


async def test_sweep_and_prune(db: Database, clock: Clock) -> None:
    bans = manager(db, clock, duration=10.0, max_duration=20.0)
    await fail(bans, ATTACKER, 5)
    await fail(bans, IPv4Address("198.51.100.1"), 2)
    clock.now += 11
    assert bans.sweep() == 1
    assert not bans.banned
    assert BanStore(db).get("203.0.113.9") is not None  # kept: the offence history
    clock.now += const.IP_BAN_WINDOW + 21
    await bans.prune()
    assert BanStore(db).get("203.0.113.9") is None
    assert BanStore(db).failures(0.0) == {}


async def test_tracked_clients_are_bounded(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hearth.bans.manager.MAX_TRACKED_CLIENTS", 10)
    bans = manager(db, clock)
    for n in range(25):
        bans.record_failure(IPv4Address(f"198.51.100.{n}"))
    assert len(bans._failures) == 10
    assert bans.failures(IPv4Address("198.51.100.24")) == 1
    assert bans.failures(IPv4Address("198.51.100.0")) == 0
    assert MAX_TRACKED_CLIENTS >= 10_000


async def _bulk_ban(db: Database, count: int, now: float) -> None:
    records = [
        BanRecord(str(IPv4Address(0x0A000000 + n)), now, now + 3600.0, 1, "cli", "")
        for n in range(count)
    ]
    await db.write(partial(put_bans, records=records))


def _lookup_cost(bans: BanManager, rounds: int = 200_000) -> float:
    """Seconds per lookup of an address that is not banned (the common case)."""
    probe = [ip_address(f"192.0.2.{n}") for n in range(200)]
    start = time.perf_counter()
    for n in range(rounds):
        bans.is_banned(probe[n % 200])
    return (time.perf_counter() - start) / rounds


async def test_100k_bans_load_and_lookups_stay_constant(db_path: Path, clock: Clock) -> None:
    small_db = Database.open(db_path.with_name("small.db"))
    big_db = Database.open(db_path)
    try:
        await _bulk_ban(small_db, 10, clock.now)
        await _bulk_ban(big_db, 100_000, clock.now)
        small = manager(small_db, clock)
        started = time.perf_counter()
        big = manager(big_db, clock)
        load_seconds = time.perf_counter() - started
        assert len(big.banned) == 100_000
        assert big.is_banned(IPv4Address("10.0.0.0"))
        assert big.is_banned(IPv4Address(0x0A000000 + 99_999))
        assert not big.is_banned(IPv4Address(0x0A000000 + 100_000))
        small_cost = min(_lookup_cost(small) for _ in range(3))
        big_cost = min(_lookup_cost(big) for _ in range(3))
    finally:
        small_db.close()
        big_db.close()
    # A dict lookup: 100,000 bans cost about what 10 do (generous bound for a shared CPU).
    assert big_cost < small_cost * 3 + 1e-6, (small_cost, big_cost)
    assert load_seconds < 10, load_seconds


async def test_an_automatic_ban_is_listed_while_it_is_being_stored(
    db: Database, clock: Clock
) -> None:
    """It applies at once; it is logged once stored; it is listed either way."""
    bans = manager(db, clock)
    for _ in range(4):
        bans.record_failure(ATTACKER)
    ban = bans.record_failure(ATTACKER)
    assert ban is not None
    assert bans.is_banned(ATTACKER)
    assert BanStore(db).get(ban.client) is None  # the write is still queued
    assert bans.list() == [ban]
    await bans.drain()
    assert BanStore(db).get(ban.client) == ban
    assert bans.list() == [ban]
