"""Background pruning of the store: the audit log, token tombstones and dead tokens.

Each prune is a few short transactions of the writer thread, so neither the event loop nor
other writes wait for it; a failure (a full disk) is logged by the writer and retried next time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hearth import const
from hearth.exceptions import StorageError

if TYPE_CHECKING:
    from hearth.auth.manager import AuthManager
    from hearth.config.schema import AuthSection

_LOGGER = logging.getLogger(__name__)


def upkeep_interval(section: AuthSection) -> float:
    """Hourly, or more often when the audit log is kept for less than a few hours."""
    return min(const.STORAGE_UPKEEP_INTERVAL, max(0.5, section.audit_log_retention / 4))


async def prune_once(auth: AuthManager, section: AuthSection) -> None:
    """Prune the audit log (by age and by size), tombstones and dead tokens once."""
    cutoff = datetime.fromtimestamp(time.time() - section.audit_log_retention, UTC)
    await auth.audit.prune(before=cutoff, max_rows=section.audit_log_max_rows)
    await auth.prune_tombstones()
    await auth.prune_dead_tokens()


async def upkeep_loop(auth: AuthManager, section: AuthSection) -> None:
    """Prune at start and then every `upkeep_interval`, for as long as the hub runs."""
    interval = upkeep_interval(section)
    while True:
        try:
            await prune_once(auth, section)
        except StorageError:
            pass  # the writer has logged it; the next round retries
        except Exception:
            _LOGGER.exception("Could not prune the store")
        await asyncio.sleep(interval)
