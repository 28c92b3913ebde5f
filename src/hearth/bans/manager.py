"""Bans in memory for the hot path, backed by the store; counting failures and lifting bans.

Failures are counted in memory (the ban decision is exact and immediate) and persisted as
batched bookkeeping. A ban applies in memory at once; it is written durably before it is logged
or audited, so a ban that was reported survives a crash.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Final

from hearth.bans.ha_import import IP_BANS_FILE, import_ha_bans
from hearth.bans.policy import (
    PERMANENT,
    BanPolicy,
    BanRecord,
    ClientKey,
    IPAddress,
    client_text,
    stored_key,
)
from hearth.bans.store import BanStore, add_failure, delete_ban, get_ban, prune_bans, put_ban
from hearth.config.duration import format_duration
from hearth.exceptions import StorageError
from hearth.storage.audit import AuditRow, audit_row, insert_audit
from hearth.storage.db import Database

_LOGGER = logging.getLogger(__name__)

# Clients whose failures are remembered at once; beyond this the longest-idle is forgotten, so a
# flood of one-off addresses cannot grow memory without bound.
MAX_TRACKED_CLIENTS: Final = 100_000


class BanManager:
    """Owns `banned` (client key -> expiry, seconds since the epoch), the dict the middleware reads.

    `banned` is mutated in place, never replaced, so the middleware can hold a reference to it.
    """

    def __init__(
        self,
        db: Database,
        policy: BanPolicy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = BanStore(db)
        self.db = db
        self.policy = policy
        self.clock = clock
        self.banned: dict[ClientKey, float] = {}
        self.refused: dict[ClientKey, int] = {}
        self._failures: dict[ClientKey, list[float]] = {}
        self._changes_seen = db.external_changes
        self._seq = self.store.last_change()
        self._writes: set[asyncio.Task[None]] = set()
        self._storing: dict[str, BanRecord] = {}  # automatic bans applied, not yet stored
        self.load()

    async def import_home_assistant(self, config_dir: Path) -> int | None:
        """Import ip_bans.yaml from the config dir once; the number of bans imported, or None."""

        def entry(count: int) -> AuditRow:
            details = {"source": "import", "count": count}
            return audit_row("ban_added", ip=IP_BANS_FILE, details=details)

        count = await import_ha_bans(self.store, config_dir, self.clock(), self.policy, entry)
        if count is not None:
            self.load()
        return count

    # Loading and following other processes

    def load(self) -> None:
        """Read every active ban and the failures still inside the window."""
        now = self.clock()
        self.banned.clear()
        self._seq = self.store.last_change()
        if self.policy.enabled:
            self._load_bans(now)
        self._failures.clear()
        for client, times in self.store.failures(now - self.policy.window).items():
            try:
                self._failures[stored_key(client)] = times[-self.policy.threshold :]
            except ValueError:
                continue

    def _load_bans(self, now: float) -> None:
        # Lean on purpose: a hub may start with 100,000 bans.
        banned = self.banned
        allowed = self.policy.key_allowed if self.policy.allowlist else None
        skipped = 0
        for client, expires_at in self.store.expiries(now):
            try:
                key = stored_key(client)
            except ValueError:
                skipped += 1
                continue
            if allowed is not None and allowed(key):
                skipped += 1
                continue
            banned[key] = PERMANENT if expires_at is None else expires_at
        if skipped:
            _LOGGER.warning(
                "Not applying %d stored ban(s): invalid or on ip_ban_allowlist", skipped
            )

    def _apply(self, record: BanRecord, now: float) -> None:
        """Make the in-memory set agree with one stored ban (or its absence)."""
        try:
            key = record.key
        except ValueError:
            _LOGGER.warning("Ignoring a stored ban of an invalid address %.60r", record.client)
            return
        if not record.active(now) or not self.policy.enabled:
            self.banned.pop(key, None)
        elif self.policy.key_allowed(key):
            _LOGGER.warning("Not applying the ban of %s: it is on ip_ban_allowlist", record.client)
        else:
            self.banned[key] = record.expiry

    def reload_if_changed(self) -> bool:
        """Apply bans added or lifted by another process (the CLI); cheap when nothing changed."""
        seen = self.db.external_changes
        if seen == self._changes_seen:
            return False
        self._changes_seen = seen
        clients, self._seq, missed = self.store.changes_since(self._seq)
        if missed or "*" in clients:
            self.load()
            return True
        now = self.clock()
        for client in clients:
            record = self.store.get(client)
            if record is not None:
                self._apply(record, now)
                self._failures.pop(record.key, None)
                continue
            try:
                key = stored_key(client)
            except ValueError:
                continue
            self.banned.pop(key, None)
            self._failures.pop(key, None)
        return bool(clients)

    # The hot path's helpers

    def is_banned(self, ip: IPAddress) -> bool:
        """Whether requests from `ip` are refused (what the middleware does, as a method)."""
        key = self.policy.key(ip)
        expiry = self.banned.get(key)
        if expiry is None:
            return False
        if expiry > self.clock():
            return True
        self.banned.pop(key, None)
        return False

    def sweep(self) -> int:
        """Drop expired bans from memory (the store keeps them for the offence history)."""
        now = self.clock()
        expired = [key for key, expiry in self.banned.items() if expiry <= now]
        for key in expired:
            del self.banned[key]
        for client in [c for c, record in self._storing.items() if not record.active(now)]:
            del self._storing[client]
        return len(expired)

    def take_refused(self) -> dict[ClientKey, int]:
        """Requests refused per client since the last call (for the periodic summary)."""
        refused = dict(self.refused)
        self.refused.clear()
        return refused

    async def prune(self) -> None:
        """Forget old failures, old offences and old change-log rows."""
        now = self.clock()
        remember = max(self.policy.max_duration, self.policy.duration)
        await self.db.write(
            partial(prune_bans, now=now, remember=remember, window=self.policy.window)
        )
        cutoff = now - self.policy.window
        for key in [k for k, times in self._failures.items() if not times or times[-1] <= cutoff]:
            del self._failures[key]

    # Counting failures

    def record_failure(self, ip: IPAddress) -> BanRecord | None:
        """Count one credential failure from `ip`; the new ban if this one reached the threshold."""
        if not self.policy.enabled:
            return None
        key = self.policy.key(ip)
        now = self.clock()
        if self.banned.get(key, 0.0) > now or self.policy.key_allowed(key):
            return None  # requests already in flight when the ban started; or never banned
        times, reached = self.policy.count_failure(self._failures.pop(key, ()), now)
        client = client_text(key)
        if reached:
            reason = f"{self.policy.threshold} failed logins"
            record = self._record(key, now, None, source="auto", reason=reason)
            self._apply_now(record, now)
            # Durable before it is logged or audited; meanwhile it already applies in memory.
            self._storing[record.client] = record
            task = asyncio.get_running_loop().create_task(self._store(record))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)
            return record
        self._failures[key] = times  # re-inserted last: the dict is ordered by last failure
        if len(self._failures) > MAX_TRACKED_CLIENTS:
            del self._failures[next(iter(self._failures))]
        self.db.submit(partial(add_failure, client=client, at=now, window=self.policy.window))
        return None

    async def drain(self) -> None:
        """Wait for the bans still being written (at shutdown, and in tests)."""
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def failures(self, ip: IPAddress) -> int:
        """Failures from the client of `ip` still inside the window."""
        start = self.clock() - self.policy.window
        return sum(1 for t in self._failures.get(self.policy.key(ip), ()) if t > start)

    # Bans by hand and lifting

    async def ban(
        self,
        client: str,
        *,
        seconds: float | None = None,
        source: str = "cli",
        reason: str = "",
        user_id: str | None = None,
        username: str | None = None,
    ) -> BanRecord:
        """Ban an address or IPv6 /64 for `seconds` (None = permanent); ValueError if invalid.

        Durable when this returns (StorageError if it could not be stored: then nothing changed).
        """
        key = self.policy.parse(client)
        if seconds is not None and seconds <= 0:
            raise ValueError("the ban duration must be positive")
        await self.drain()  # so that this ban, not an automatic one being written, is the last
        now = self.clock()
        record = self._record(key, now, seconds, source=source, reason=reason)
        await self._store(record, user_id=user_id, username=username, raise_errors=True)
        self._apply_now(record, now)
        return record

    def _record(
        self, key: ClientKey, now: float, seconds: float | None, *, source: str, reason: str
    ) -> BanRecord:
        previous = self.store.get(client_text(key))
        return self.policy.new_ban(key, previous, now, seconds, source=source, reason=reason)

    def _apply_now(self, record: BanRecord, now: float) -> None:
        self._failures.pop(record.key, None)
        self._apply(record, now)

    async def _store(
        self,
        record: BanRecord,
        *,
        user_id: str | None = None,
        username: str | None = None,
        raise_errors: bool = False,
    ) -> None:
        """Write a ban (and its audit entry) durably, then log it."""
        length = None if record.expires_at is None else record.expires_at - record.banned_at
        entry = audit_row(
            "ban_added",
            user_id=user_id,
            username=username,
            ip=record.client,
            details={**record.as_dict(), "seconds": length},
        )

        def store(conn: sqlite3.Connection) -> None:
            put_ban(conn, record)
            insert_audit(conn, entry)

        try:
            await self.db.write(store)
        except StorageError as err:
            if raise_errors:
                raise
            # It still applies (and is listed) until it ends or the hub restarts.
            _LOGGER.warning(
                "Banned %s in memory only (%s); the ban ends if the hub restarts",
                record.client,
                err.message,
            )
            return
        self._storing.pop(record.client, None)
        _LOGGER.warning(
            "Banned %s %s (%s)",
            record.client,
            "permanently" if length is None else f"for {format_duration(length)}",
            record.reason or record.source,
        )

    async def unban(
        self, client: str, *, user_id: str | None = None, username: str | None = None
    ) -> BanRecord | None:
        """Lift a ban and forget the client's offences and failures; the lifted ban, or None."""
        keys = self.policy.lookup_keys(client)
        await self.drain()  # an automatic ban still being written must not outlive this
        for key in keys:
            text = client_text(key)
            if self.store.get(text) is not None or key == keys[-1]:
                break
        now = self.clock()

        def lift(conn: sqlite3.Connection) -> BanRecord | None:
            record = get_ban(conn, text)
            if not delete_ban(conn, text) or record is None or not record.active(now):
                return None
            entry = audit_row(
                "ban_removed", user_id=user_id, username=username, ip=text, details=record.as_dict()
            )
            insert_audit(conn, entry)
            return record

        lifted = await self.db.write(lift)
        self.banned.pop(key, None)
        self._storing.pop(text, None)
        for candidate in keys:
            self._failures.pop(candidate, None)
        if lifted is not None:
            _LOGGER.warning("Ban of %s lifted", text)
        return lifted

    def list(self) -> list[BanRecord]:
        """The bans in force now, oldest first: the store's (other processes' too) and those
        applied here that are still being written."""
        now = self.clock()
        stored = self.store.active(now)
        known = {record.client for record in stored}
        storing = [r for r in self._storing.values() if r.client not in known and r.active(now)]
        return sorted([*stored, *storing], key=lambda record: (record.banned_at, record.client))
