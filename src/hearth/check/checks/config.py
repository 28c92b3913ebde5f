"""`config`: configuration.yaml loads and validates, so the hub starts with what it says."""

from __future__ import annotations

from collections.abc import Iterator

from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, Rule, Severity

INVALID = Rule(
    "config.invalid",
    Severity.FAIL,
    "The configuration is invalid",
    "Fail closed, explain loudly (Hearth's design): an invalid configuration stops the hub",
    "Correct the line named above, then run `hearth -c {config_dir} check` again",
)


def run(ctx: CheckContext) -> Iterator[Finding]:
    """One finding with the loader's own one-line error (file, line, key; never a value)."""
    problem = ctx.config_problem
    if problem is not None:
        yield INVALID.found(f"the hub will not start: {problem}", config_dir=ctx.shown_dir)


CHECK = Check("config", "Configuration", (INVALID,), run)
