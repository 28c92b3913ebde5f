"""IP bans: refuse banned clients first and cheaply; count every credential failure in one place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web

from hearth.auth.throttle import AccountThrottle
from hearth.auth.username_hash import UsernameMask
from hearth.bans.manager import BanManager
from hearth.bans.policy import BanPolicy, IPAddress, client_text, policy_allowlist
from hearth.http.keys import KEY_AUDIT
from hearth.http.network import LOCAL_NETWORKS, parse_networks
from hearth.http.refusals import Refusal
from hearth.http.view import client_ip, client_ip_text

if TYPE_CHECKING:
    from hearth.config.schema import HttpSection
    from hearth.storage.audit import AuditLog
    from hearth.storage.db import Database

_LOGGER = logging.getLogger(__name__)

KEY_BANS: web.AppKey[BanManager] = web.AppKey("hearth_bans")
KEY_ACCOUNT_THROTTLE: web.AppKey[AccountThrottle] = web.AppKey("hearth_account_throttle")
KEY_USERNAME_MASK: web.AppKey[UsernameMask] = web.AppKey("hearth_username_mask")

RELOAD_INTERVAL: Final = 1.0  # seconds: bans added or lifted with the CLI apply this fast
SUMMARY_INTERVAL: Final = 60.0  # seconds between summaries of refused requests
PRUNE_INTERVAL: Final = 3600.0
MAX_USERNAME_SHOWN: Final = 64
MAX_REASON: Final = 40
_SUMMARY_TOP: Final = 5

BANNED_MESSAGE: Final = "Access from this address is blocked after repeated failed logins."
BANNED: Final = Refusal(403, BANNED_MESSAGE)


def ban_policy(http: HttpSection) -> BanPolicy:
    """The ban policy of an `http:` section; trusted proxies are never banned.

    IPv6 clients on local networks (the network guard's, plus `local_networks`) are counted per
    address, remote ones per /64 (see hearth.bans.policy).
    """
    # A proxy's own address stands for every client behind it: banning it would lock out all.
    return BanPolicy(
        enabled=http.ip_ban_enabled,
        threshold=http.login_attempts_threshold,
        window=http.login_attempts_window,
        duration=http.ip_ban_duration,
        max_duration=http.ip_ban_max_duration,
        allowlist=policy_allowlist([*http.ip_ban_allowlist, *http.trusted_proxies]),
        local_networks=(*LOCAL_NETWORKS, *parse_networks(http.local_networks)),
    )


def open_bans(db: Database, http: HttpSection) -> BanManager:
    """The ban manager for a hub: bans from the store (ip_bans.yaml is imported at start-up)."""
    return BanManager(db, ban_policy(http))


def ban_check(bans: BanManager) -> Callable[[web.Request], web.Response | None]:
    """The check refusing banned clients with 403 before any other work."""
    banned = bans.banned
    refused = bans.refused
    clock = bans.clock
    key_of = bans.policy.key

    def ban(request: web.Request) -> web.Response | None:
        # The hot path: one truthiness test while nobody is banned, one dict lookup otherwise;
        # the clock is read only on a hit. No I/O and no logging: a flood of refused requests
        # must cost as little as possible (they are summarised once a minute).
        if banned:
            key = key_of(client_ip(request))
            expiry = banned.get(key)
            if expiry is not None:
                if expiry > clock():
                    refused[key] = refused.get(key, 0) + 1
                    return BANNED.response()
                banned.pop(key, None)
        return None

    return ban


def setup_ban(app: web.Application, bans: BanManager, throttle: AccountThrottle) -> None:
    """Keep the manager on the app and follow the CLI's changes while the app runs."""
    app[KEY_BANS] = bans
    app[KEY_ACCOUNT_THROTTLE] = throttle
    app.cleanup_ctx.append(_maintain)


async def _maintain(app: web.Application) -> AsyncIterator[None]:
    bans = app[KEY_BANS]
    await bans.import_home_assistant(bans.db.path.parent)
    task = asyncio.create_task(_maintenance_loop(bans), name="hearth-bans")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await bans.drain()


async def _maintenance_loop(bans: BanManager) -> None:
    last_summary = last_prune = time.monotonic()
    while True:
        await asyncio.sleep(RELOAD_INTERVAL)
        now = time.monotonic()
        try:
            bans.reload_if_changed()
            if now - last_summary >= SUMMARY_INTERVAL:
                last_summary = now
                log_refused_summary(bans, SUMMARY_INTERVAL)
                bans.sweep()
            if now - last_prune >= PRUNE_INTERVAL:
                last_prune = now
                await bans.prune()
        except Exception:
            _LOGGER.exception("Could not update the IP bans")


def log_refused_summary(bans: BanManager, interval: float) -> None:
    """One line for all requests refused since the last summary (never one per request)."""
    refused = bans.take_refused()
    if not refused:
        return
    top = sorted(refused.items(), key=lambda item: item[1], reverse=True)[:_SUMMARY_TOP]
    shown = ", ".join(f"{client_text(key)} ({count})" for key, count in top)
    more = f" and {len(refused) - len(top)} more" if len(refused) > len(top) else ""
    _LOGGER.info(
        "Refused %d request(s) from %d banned client(s) in the last %gs: %s%s",
        sum(refused.values()),
        len(refused),
        interval,
        shown,
        more,
    )


def quote_username(username: str | None) -> str:
    """A username for the failure line: printable ASCII, clipped, quotes and backslashes escaped.

    fail2ban reads the address after the username; escaping keeps a username such as
    `x' from 203.0.113.9: invalid_password` from naming someone else's address.
    """
    text = (username or "")[:MAX_USERNAME_SHOWN]
    if not (text.isascii() and text.isprintable()):
        text = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return text.replace("\\", "\\\\").replace("'", "\\'")


@lru_cache(maxsize=64)
def _reason(reason: str) -> str:
    # Reasons are a few fixed words from the code, so each is cleaned once.
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in reason)
    return cleaned[:MAX_REASON] or "unknown"


def record_auth_failure(request: web.Request, *, reason: str, username: str | None = None) -> None:
    """Report one credential failure: log line, audit entry, and a count toward the IP ban.

    The one place every wrong password, invalid token and bad MFA code goes through. Never a
    permission denial, never a missing token, never a 404. Never raises.
    """
    ip = client_ip(request)
    address = client_ip_text(request)
    reason = _reason(reason)
    # A password typed as a username must not be written down: unknown names are hashed.
    mask = request.app.get(KEY_USERNAME_MASK)
    if mask is not None and username:
        username = mask.shown(username)
    # No reverse DNS: the address as is. The format is what deploy/fail2ban matches.
    _LOGGER.warning(
        "Login failed for user '%s' from %s: %s", quote_username(username), address, reason
    )
    app = request.app
    # Counted in memory (a ban starts at once); the audit entry and the counter are bookkeeping
    # that the store's writer commits in batches: this path never waits for the disk.
    try:
        _count_failure(
            request, app.get(KEY_AUDIT), app.get(KEY_BANS), ip, address, reason, username
        )
    except Exception:
        _LOGGER.exception("Could not count the failed login from %s", ip)


def _count_failure(
    request: web.Request,
    audit: AuditLog | None,
    bans: BanManager | None,
    ip: IPAddress,
    address: str,
    reason: str,
    username: str | None,
) -> None:
    if audit is not None:
        audit.record(
            "login_failed",
            username=username or None,
            ip=address,
            user_agent=request.headers.get(hdrs.USER_AGENT),
            details={"reason": reason},
        )
    if bans is not None:
        try:
            bans.record_failure(ip)
        except Exception:
            _LOGGER.exception("Could not count the failed login from %s", ip)
