"""A check report: its JSON form (docs/check-report.schema.json), its text form, its summary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from hearth.check.acks import Ack
from hearth.check.grade import grade
from hearth.check.model import SEVERITY_ORDER, CheckResult, Finding, Severity, Status

FORMAT_VERSION: Final = 1
_LABELS: Final = {Severity.FAIL: "FAIL", Severity.WARN: "WARN", Severity.INFO: "INFO"}


def plural(count: int, word: str) -> str:
    """`1 warning`, `2 warnings`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def printable(text: str) -> str:
    """Terminal-safe text: nothing from a file name or a user name can move the cursor."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


@dataclass(frozen=True, slots=True)
class Report:
    """The results of one run of the checks."""

    results: tuple[CheckResult, ...]
    generated_at: datetime
    where: str  # "cli" or "hub"
    config_dir: str
    # Rules the owner accepted (hearth.check.acks): listed, marked, not graded or counted.
    acknowledged: dict[str, Ack] = field(default_factory=dict)

    def findings(self) -> Iterator[tuple[str, Finding]]:
        """(check id, finding), the worst first."""
        pairs = [(result.check.id, f) for result in self.results for f in result.findings]
        return iter(sorted(pairs, key=lambda pair: -SEVERITY_ORDER[pair[1].severity]))

    @property
    def grade(self) -> str:
        """The letter grade (docs/check.md#grades)."""
        return grade(finding for _check, finding in self.open_findings())

    def open_findings(self) -> Iterator[tuple[str, Finding]]:
        """The findings nobody acknowledged."""
        return ((c, f) for c, f in self.findings() if f.rule.id not in self.acknowledged)

    def count(self, severity: Severity) -> int:
        """How many unacknowledged findings of this severity."""
        return sum(1 for _check, finding in self.open_findings() if finding.severity is severity)

    def finding_dict(self, check: str, finding: Finding) -> dict[str, Any]:
        """A finding's JSON form, with its acknowledgement when there is one."""
        data = finding.as_dict(check)
        ack = self.acknowledged.get(finding.rule.id)
        if ack is not None:
            data["acknowledged"] = ack.as_dict()
        return data

    def with_status(self, status: Status) -> list[CheckResult]:
        """The checks that ended with this status."""
        return [result for result in self.results if result.status is status]

    def reaches(self, threshold: Severity) -> bool:
        """Whether a finding is at least as bad as `threshold` (for --fail-on)."""
        bar = SEVERITY_ORDER[threshold]
        return any(SEVERITY_ORDER[f.severity] >= bar for _check, f in self.open_findings())

    def as_dict(self) -> dict[str, Any]:
        """The JSON report; the same from the CLI, the REST API and the WebSocket."""
        return {
            "format": FORMAT_VERSION,
            "generated_at": self.generated_at.isoformat(),
            "source": self.where,
            "config_dir": self.config_dir,
            "grade": self.grade,
            "summary": {
                "fail": self.count(Severity.FAIL),
                "warn": self.count(Severity.WARN),
                "info": self.count(Severity.INFO),
                "not_checked": len(self.with_status(Status.NOT_CHECKED)),
                "error": len(self.with_status(Status.ERROR)),
            },
            "checks": [result.as_dict() for result in self.results],
            "findings": [self.finding_dict(check, finding) for check, finding in self.findings()],
        }

    def counts_text(self) -> str:
        """`1 failure, 2 warnings` (what lowers the grade), or `no failures or warnings`."""
        parts = []
        if fails := self.count(Severity.FAIL):
            parts.append(plural(fails, "failure"))
        if warns := self.count(Severity.WARN):
            parts.append(plural(warns, "warning"))
        return ", ".join(parts) or "no failures or warnings"

    def summary_line(self) -> str:
        """The one line the hub logs at start-up."""
        counts = self.counts_text()
        if self.count(Severity.FAIL) or self.count(Severity.WARN):
            return f"hearth check: {counts}, run 'hearth check' for details"
        return f"hearth check: {counts}"

    def text(self) -> str:
        """The report for people: one line per finding, then the grade."""
        lines = [printable(f"Hearth security check of {self.config_dir}"), ""]
        for _check, finding in self.findings():
            ack = self.acknowledged.get(finding.rule.id)
            label = "OK  " if ack is not None else _LABELS[finding.severity]
            lines.append(
                printable(
                    f"{label}  {finding.rule.title} [{finding.rule.id}]: "
                    f"{finding.detail.rstrip('.')}. Fix: {finding.fix.rstrip('.')}. "
                    f"See {finding.rule.docs}"
                    + ("" if ack is None else f" (acknowledged by {ack.by}: {ack.reason})")
                )
            )
        for result in self.with_status(Status.NOT_CHECKED):
            lines.append(
                printable(f"SKIP  {result.check.title} [{result.check.id}]: {result.note}")
            )
        for result in self.with_status(Status.ERROR):
            lines.append(
                printable(f"ERROR {result.check.title} [{result.check.id}]: {result.note}")
            )
        passed = self.with_status(Status.PASS)
        if len(lines) > 2:
            lines.append("")
        tally = [self.counts_text()]
        if notes := self.count(Severity.INFO):
            tally.append(plural(notes, "note"))
        tally.append(f"{len(passed)} of {len(self.results)} checks passed")
        if skipped := len(self.with_status(Status.NOT_CHECKED)):
            tally.append(f"{skipped} not checked")
        lines.append(f"Grade {self.grade}: {'; '.join(tally)} (grading: docs/check.md#grades)")
        return "\n".join(lines)
