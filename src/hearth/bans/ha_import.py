"""Import Home Assistant's `ip_bans.yaml` (`IP: {banned_at: ISO-8601}`) once, as permanent bans."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import yaml

from hearth.bans.policy import BanPolicy, BanRecord, client_text
from hearth.bans.store import BanStore, mark_imported, put_bans
from hearth.config.files import UnusableFileError, read_text
from hearth.config.parse import HearthLoader
from hearth.storage.audit import AuditRow, insert_audit

_LOGGER = logging.getLogger(__name__)

IP_BANS_FILE: Final = "ip_bans.yaml"
IMPORT_REASON: Final = "imported from ip_bans.yaml"


def _banned_at(value: Any, default: float) -> float | None:
    """The ban time of one entry; None if the entry is malformed."""
    if value is None:
        return default
    if not isinstance(value, dict):
        return None
    when = value.get("banned_at")
    if when is None:
        return default
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when)
        except ValueError:
            return None
    if isinstance(when, date) and not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day, tzinfo=UTC)
    if not isinstance(when, datetime):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def parse_ip_bans(text: str, now: float, policy: BanPolicy) -> tuple[list[BanRecord], int]:
    """The bans in an ip_bans.yaml text and how many entries were skipped as invalid.

    Raises yaml.YAMLError for a file that is not YAML and ValueError for one that is not a mapping.
    """
    data = yaml.load(text, Loader=HearthLoader)  # noqa: S506 - HearthLoader is a bounded SafeLoader
    if data is None:
        return [], 0
    if not isinstance(data, dict):
        raise ValueError("expected a mapping of IP addresses to {banned_at: ...}")
    records: dict[str, BanRecord] = {}
    skipped = 0
    for entry, value in data.items():
        try:
            client = client_text(policy.parse(str(entry)))
        except ValueError:
            client = None
        banned_at = _banned_at(value, now)
        if client is None or banned_at is None:
            skipped += 1
            # %r: the file is user-editable text; keep control characters out of the log.
            _LOGGER.warning("Skipping invalid entry %.60r in %s", str(entry), IP_BANS_FILE)
            continue
        # Home Assistant's bans never end; a remote IPv6 address becomes a ban of its /64.
        records.setdefault(client, BanRecord(client, banned_at, None, 1, "import", IMPORT_REASON))
    return list(records.values()), skipped


async def import_ha_bans(
    store: BanStore,
    config_dir: Path,
    now: float,
    policy: BanPolicy,
    audit: Callable[[int], AuditRow] | None = None,
) -> int | None:
    """Import ip_bans.yaml from `config_dir` unless done before; the number imported, or None.

    The user's file is left in place. A file that cannot be read is reported and retried at the
    next start; once imported, later edits of the file are ignored (use `hearth ban add`). The
    bans, the import marker and the audit entry `audit(count)` commit together.
    """
    path = config_dir / IP_BANS_FILE
    if store.imported(IP_BANS_FILE) or not path.exists():
        return None
    try:
        records, skipped = parse_ip_bans(read_text(path), now, policy)
    except UnusableFileError as err:
        _LOGGER.warning("Cannot import %s: the file %s", IP_BANS_FILE, err.reason)
        return None
    except (yaml.YAMLError, ValueError) as err:
        problem = getattr(err, "problem", None) or str(err)
        _LOGGER.warning("Cannot import %s: %s", IP_BANS_FILE, problem)
        return None
    fresh = [record for record in records if store.get(record.client) is None]

    def store_all(conn: sqlite3.Connection) -> int:
        count = put_bans(conn, fresh)
        mark_imported(conn, IP_BANS_FILE, count)
        if audit is not None and count:
            insert_audit(conn, audit(count))
        return count

    count = await store.db.write(store_all)
    _LOGGER.info(
        "Imported %d ban(s) from %s (%d invalid entries skipped); the file is no longer read",
        count,
        IP_BANS_FILE,
        skipped,
    )
    return count
