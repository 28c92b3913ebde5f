"""`hearth check` inside the running hub: for admins on request, and one line at start-up."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aiohttp import web

from hearth.check.context import CheckContext, Host, Options
from hearth.check.report import Report
from hearth.http.keys import KEY_AUTH

_LOGGER = logging.getLogger(__name__)

# The hub answers other requests meanwhile; a stuck vulnerability lookup must not hold a
# request (or a shutdown) for long.
HUB_AUDIT_TIMEOUT: Final = 60.0

KEY_CHECK_LOCK: web.AppKey[asyncio.Lock] = web.AppKey("hearth_check_lock")


@dataclass(slots=True)
class LastReport:
    """The latest report an admin asked for: what may be acknowledged (hearth.check.acks)."""

    report: Report | None = None


KEY_LAST_REPORT: web.AppKey[LastReport] = web.AppKey("hearth_check_last_report")


def setup(app: web.Application) -> None:
    """One check run at a time per hub: each may run pip-audit and probe the hub."""
    app[KEY_CHECK_LOCK] = asyncio.Lock()
    app[KEY_LAST_REPORT] = LastReport()


def hub_report(config_dir: Path, options: Options) -> Report:
    """Run the checks as the hub process itself, which knows its own user (blocking)."""
    from hearth.check.runner import run_checks  # the checks load on first use, not at start-up

    host = Host(hub_uid=os.geteuid())
    return run_checks(CheckContext(config_dir, where="hub", host=host, options=options))


async def report_for(app: web.Application, *, probe: bool, offline: bool) -> Report:
    """Every check, run in a worker thread (the event loop keeps serving)."""
    # hearth.db always lives in the configuration directory (AuthManager.open(config_dir)).
    config_dir = app[KEY_AUTH].db.path.parent
    options = Options(probe=probe, offline=offline, audit_timeout=HUB_AUDIT_TIMEOUT)
    async with app[KEY_CHECK_LOCK]:
        report = await asyncio.to_thread(hub_report, config_dir, options)
    app[KEY_LAST_REPORT].report = report
    return report


async def log_startup_summary(config_dir: Path) -> None:
    """Run the fast checks and log exactly one line about them."""
    try:
        report = await asyncio.to_thread(hub_report, config_dir, Options(fast_only=True))
    except Exception:
        _LOGGER.exception("hearth check could not run")
        return
    level = logging.WARNING if report.summary_line().endswith("for details") else logging.INFO
    _LOGGER.log(level, "%s", report.summary_line())
