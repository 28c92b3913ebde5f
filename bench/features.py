"""Which security features this Hearth has, and how the benchmark sets them up before a start."""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import time
from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from hearth import const


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _http_fields() -> set[str]:
    from hearth.config.schema import HttpSection

    return set(HttpSection.model_fields)


def has_bans() -> bool:
    """IP bans: a ban store, a ban middleware and the config switch."""
    return (
        _has_module("hearth.bans.store")
        and _has_module("hearth.http.ban")
        and "ip_ban_enabled" in _http_fields()
    )


def has_tls() -> bool:
    """TLS: certificate options in the http section."""
    return {"ssl_certificate", "ssl_key", "ssl_profile"} <= _http_fields()


def ban_clients(count: int) -> Iterator[str]:
    """Distinct clients to ban, as the ban store writes them, none of them loopback.

    Half IPv4 addresses (10/8), half IPv6 /64 networks (2001:db8::/32).
    """
    for number in range(count):
        if number % 2 == 0:
            yield str(IPv4Address((10 << 24) + 1 + number // 2))
        else:
            yield f"2001:db8:{(number >> 16) & 0xFFFF:x}:{number & 0xFFFF:x}::/64"


def ban_with_cli(config_dir: Path, client: str) -> None:
    """`hearth ban add CLIENT`: a permanent ban, stored before the hub starts."""
    from bench.hub import hearth_cli

    hearth_cli(config_dir, "ban", "add", client, "--reason", "benchmark")


def store_bans(config_dir: Path, clients: Iterable[str]) -> int:
    """Store many permanent bans at once with the hub's own ban store (no CLI for bulk)."""
    policy: Any = importlib.import_module("hearth.bans.policy")
    store_module: Any = importlib.import_module("hearth.bans.store")
    from hearth.storage import Database

    db = Database.open(config_dir / const.DATABASE_FILE)
    try:
        now = time.time()
        records = [policy.BanRecord(client, now, None, 1, "cli", "benchmark") for client in clients]
        stored: int = asyncio.run(
            db.write(functools.partial(store_module.put_bans, records=records))
        )
        return stored
    finally:
        db.close()
