"""Run the checks against one context and collect a report; no check can break the others."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from hearth.check import acks
from hearth.check.checks import CHECKS
from hearth.check.context import CheckContext
from hearth.check.model import Check, CheckResult, NotChecked, Status
from hearth.check.report import Report

_LOGGER = logging.getLogger(__name__)


def selected(ctx: CheckContext, checks: Sequence[Check] = CHECKS) -> list[Check]:
    """The checks this context asks for (fast ones only at start-up, the probe on request)."""
    options = ctx.options
    return [
        check
        for check in checks
        if (check.fast or not options.fast_only) and (options.probe or not check.on_request)
    ]


def run_check(check: Check, ctx: CheckContext) -> CheckResult:
    """One check's result; an unexpected exception is a result too (status error)."""
    try:
        return CheckResult.of(check, check.run(ctx))
    except NotChecked as err:
        return CheckResult(check, (), err.reason, Status.NOT_CHECKED)
    except PermissionError:
        # A hub that gave root up may not reach files it opened before (a configuration
        # directory below a folder only root enters): say so, it is not the check's fault.
        reason = f"not checked: this process (uid {os.geteuid()}) may not read what it needs"
        return CheckResult(check, (), reason, Status.NOT_CHECKED)
    except Exception:
        # The traceback goes to the log; the report names no detail (it could quote a file).
        _LOGGER.exception("The check %s failed", check.id)
        return CheckResult(check, (), "the check failed unexpectedly; see the log", Status.ERROR)


def run_checks(ctx: CheckContext, checks: Sequence[Check] = CHECKS) -> Report:
    """Every selected check, in order."""
    results = tuple(run_check(check, ctx) for check in selected(ctx, checks))
    acknowledged = acks.read_from(ctx.config_dir)
    return Report(results, ctx.now, ctx.where, str(ctx.config_dir), acknowledged)
