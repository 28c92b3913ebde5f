"""What a check is and what it reports: rules (stable ids), findings, results."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from hearth.check.context import CheckContext

DOCS_PAGE: Final = "docs/check.md"


class Severity(StrEnum):
    """How bad a finding is; `info` never lowers the grade."""

    FAIL = "fail"
    WARN = "warn"
    INFO = "info"


class Status(StrEnum):
    """The outcome of one check."""

    PASS = "pass"  # noqa: S105 - ran, found nothing worse than info
    WARN = "warn"
    FAIL = "fail"
    NOT_CHECKED = "not_checked"  # could not run here (offline, no database, no TLS ...)
    ERROR = "error"  # a bug in the check; the log has the traceback


SEVERITY_ORDER: Final = {Severity.INFO: 0, Severity.WARN: 1, Severity.FAIL: 2}


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of finding, with a stable id documented in docs/check.md under that id."""

    id: str
    severity: Severity
    title: str
    source: str  # the seed checklist line or the standard the rule comes from
    fix: str  # what to do; `{placeholders}` are filled in per finding
    critical: bool = False  # a failure of this rule alone makes the grade F

    @property
    def docs(self) -> str:
        """The docs anchor explaining this rule."""
        return f"{DOCS_PAGE}#{self.id}"

    def found(self, detail: str, **values: Any) -> Finding:
        """A finding of this rule; `values` fill the fix's placeholders."""
        return Finding(self, detail, self.fix.format(**values) if values else self.fix)


@dataclass(frozen=True, slots=True)
class Finding:
    """Something one check found. `detail` and `fix` never contain a secret value."""

    rule: Rule
    detail: str
    fix: str

    @property
    def severity(self) -> Severity:
        """The rule's severity."""
        return self.rule.severity

    def as_dict(self, check_id: str) -> dict[str, Any]:
        """JSON-ready form (see docs/check-report.schema.json)."""
        return {
            "id": self.rule.id,
            "check": check_id,
            "severity": self.rule.severity.value,
            "title": self.rule.title,
            "detail": self.detail,
            "fix": self.fix,
            "docs": self.rule.docs,
            "source": self.rule.source,
        }


class NotChecked(Exception):
    """Raised by a check that cannot run here; the message says why (never a secret)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


CheckFunction = Callable[["CheckContext"], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    """One check: an id, the rules it may report, and the function that looks.

    `fast` checks only read local files and the database; the hub runs them at start-up.
    `on_request` checks run only when asked for (`--probe`).
    """

    id: str
    title: str
    rules: tuple[Rule, ...]
    run: CheckFunction
    fast: bool = True
    on_request: bool = False

    def rule(self, rule_id: str) -> Rule:
        """One of this check's rules by id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check produced."""

    check: Check
    findings: tuple[Finding, ...] = ()
    note: str | None = None  # why it was not checked, or what failed
    status: Status = field(default=Status.PASS)

    @classmethod
    def of(cls, check: Check, findings: Iterable[Finding]) -> CheckResult:
        """The result of a check that ran: its status is its worst finding's."""
        found = tuple(sorted(findings, key=lambda f: -SEVERITY_ORDER[f.severity]))
        worst = found[0].severity if found else Severity.INFO
        status = {Severity.FAIL: Status.FAIL, Severity.WARN: Status.WARN}.get(worst, Status.PASS)
        return cls(check, found, None, status)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form of the check's outcome (findings are listed separately)."""
        return {
            "id": self.check.id,
            "title": self.check.title,
            "status": self.status.value,
            "note": self.note,
        }
