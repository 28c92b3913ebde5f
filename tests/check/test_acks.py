"""Acknowledged findings: listed and marked, not graded; critical ones only fixed; admins only."""

from __future__ import annotations

from datetime import UTC, datetime

import jsonschema

from hearth.check.acks import Ack
from hearth.check.model import Check, CheckResult, Rule, Severity
from hearth.check.report import Report
from tests.check.test_api import SCHEMA

WARN = Rule("demo.warned", Severity.WARN, "A warning", "test", "fix it")
FAIL = Rule("demo.failed", Severity.FAIL, "A failure", "test", "fix it")


def report(acknowledged: dict[str, Ack]) -> Report:
    check = Check("demo", "Demo", (WARN, FAIL), lambda _ctx: ())
    findings = (WARN.found("w"), FAIL.found("f"))
    return Report((CheckResult.of(check, findings),), datetime.now(UTC), "hub", "/c", acknowledged)


def test_acknowledged_findings_do_not_count() -> None:
    assert report({}).grade == "C"
    ack = Ack("demo.failed", "accepted: lab hub", "owner", datetime.now(UTC).isoformat())
    accepted = report({"demo.failed": ack})
    assert accepted.grade == "A"
    data = accepted.as_dict()
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert data["summary"]["fail"] == 0
    listed = {finding["id"]: finding for finding in data["findings"]}
    assert listed["demo.failed"]["acknowledged"]["reason"] == "accepted: lab hub"
    assert "acknowledged" not in listed["demo.warned"]
    assert "acknowledged by owner" in accepted.text()
