"""The letter grade of a report. The rules are documented in docs/check.md#grades.

- F: a critical failure (the hub runs as root, remote access without TLS, an expired
  certificate, an API that answers without a token), or three or more failures;
- D: two failures;  C: one failure;
- B: no failure, three or more warnings;  A: no failure, one or two warnings;
- A+: no failure and no warning.
Notes (info) and checks that could not run never change the grade; the report lists them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from hearth.check.model import Finding, Severity

GRADES: Final = ("A+", "A", "B", "C", "D", "F")


def grade(findings: Iterable[Finding]) -> str:
    """The grade for these findings."""
    fails = warns = 0
    critical = False
    for finding in findings:
        if finding.severity is Severity.FAIL:
            fails += 1
            critical = critical or finding.rule.critical
        elif finding.severity is Severity.WARN:
            warns += 1
    if critical or fails >= 3:
        return "F"
    if fails:
        return "D" if fails == 2 else "C"
    if warns >= 3:
        return "B"
    return "A" if warns else "A+"
