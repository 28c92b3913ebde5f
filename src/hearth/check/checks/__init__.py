"""Every check `hearth check` runs, in report order. Each module holds one check and its rules.

To add a check: a module here with its `Rule`s (stable ids, the seed line or standard each comes
from, a fix) and a `CHECK`; an entry per rule id in docs/check.md (a test fails without one);
a table-driven test in tests/check/. The SSH debug console's rules (`ssh.debug_console*`) live
in `debug_console.py`.
"""

from __future__ import annotations

from typing import Final

from hearth.check.checks import (
    accounts,
    acme,
    config,
    debug_console,
    exposure,
    files,
    firewall,
    lockfile,
    mqtt,
    probe,
    process,
    python_support,
    reachability,
    recorder,
    secrets,
    ssh,
    tls,
    tokens,
    vulnerabilities,
)
from hearth.check.model import Check

CHECKS: Final[tuple[Check, ...]] = tuple(
    module.CHECK
    for module in (
        config,
        process,
        files,
        secrets,
        accounts,
        tokens,
        recorder,
        exposure,
        tls,
        mqtt,
        acme,
        ssh,
        debug_console,
        firewall,
        reachability,
        python_support,
        lockfile,
        vulnerabilities,
        probe,
    )
)
