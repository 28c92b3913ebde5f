"""`recorder`: the history is being recorded, and its disk has room to keep doing so."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Final

from hearth import const
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity
from hearth.recorder import space, status

LOW_SPACE: Final = 100 * 1024 * 1024  # free bytes below which the disk is reported
_STANDARD = "Reliability: a full disk stops the history (and the audit log) from growing"

NOT_RECORDING = Rule(
    "recorder.not_recording",
    Severity.WARN,
    "The running hub has stopped recording history",
    _STANDARD,
    "Free space on the disk holding {database} (or raise the file size limit of the hub's "
    "service); recording resumes by itself within recorder.retry_interval. "
    "`hearth -c {config_dir} recorder stats` shows what fills the history",
)
LOW_DISK = Rule(
    "recorder.low_space",
    Severity.WARN,
    "Little free space is left for the history database",
    _STANDARD,
    "Free space on that disk, lower recorder.purge_keep_days, or exclude chatty entities "
    "(recorder: exclude:); `hearth -c {config_dir} recorder purge` applies a shorter keep now",
)


def _alive(ctx: CheckContext, pid: int) -> bool:
    """Whether process `pid` runs (this process, or one listed in /proc)."""
    return pid == os.getpid() or ctx.path(f"/proc/{pid}").is_dir()


def run(ctx: CheckContext) -> Iterator[Finding]:
    """The recorder's status file, and the free space beside its database."""
    if not ctx.config.recorder.enabled:
        raise NotChecked("recording is off (recorder: enabled: false)")
    database = ctx.config_dir / const.RECORDER_DATABASE_FILE
    values = {"config_dir": ctx.shown_dir, "database": database.name}
    found = status.read_status(ctx.config_dir / const.RECORDER_STATUS_FILE)
    if found is not None and found.state == status.STOPPED and _alive(ctx, found.pid):
        since = datetime.fromtimestamp(found.since, UTC).strftime("%Y-%m-%d %H:%M UTC")
        why = "the disk is full" if found.reason == status.DISK_FULL else "writes fail"
        yield NOT_RECORDING.found(
            f"recording stopped at {since} because {why} (hub pid {found.pid})", **values
        )
    free = space.free_bytes(database)
    if free is not None and free < LOW_SPACE:
        yield LOW_DISK.found(
            f"{free // (1024 * 1024)} MiB free on the disk holding {database.name} "
            f"(less than {LOW_SPACE // (1024 * 1024)} MiB)",
            **values,
        )


CHECK = Check("recorder", "History recorder", (NOT_RECORDING, LOW_DISK), run)
