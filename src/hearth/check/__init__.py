"""`hearth check`: the security checklist, run against an installation, with a fix per finding.

The runner (runner.py) runs each check (checks/, one per module) against a CheckContext
(context.py) and collects a Report (report.py) with a grade (grade.py). The CLI, the REST API,
the WebSocket command and the hub's start-up summary all go through `run_checks`.
"""

from hearth.check.context import CheckContext, Host, Options
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity, Status
from hearth.check.report import Report
from hearth.check.runner import run_checks

__all__ = [
    "Check",
    "CheckContext",
    "Finding",
    "Host",
    "NotChecked",
    "Options",
    "Report",
    "Rule",
    "Severity",
    "Status",
    "run_checks",
]
