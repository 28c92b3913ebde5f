"""The grade (docs/check.md#grades) and the config check that every other check leans on."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.check.checks import config
from hearth.check.grade import grade
from hearth.check.model import Finding, Rule, Severity
from tests.check.support import config_dir, context, finding_ids

FAIL = Rule("t.fail", Severity.FAIL, "t", "s", "f")
CRITICAL = Rule("t.critical", Severity.FAIL, "t", "s", "f", critical=True)
WARN = Rule("t.warn", Severity.WARN, "t", "s", "f")
INFO = Rule("t.info", Severity.INFO, "t", "s", "f")


def found(*rules: Rule) -> list[Finding]:
    return [rule.found("x") for rule in rules]


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([], "A+"),
        ([INFO, INFO, INFO, INFO], "A+"),
        ([WARN], "A"),
        ([WARN, WARN], "A"),
        ([WARN, WARN, WARN], "B"),
        ([FAIL], "C"),
        ([FAIL, WARN, WARN, WARN], "C"),
        ([FAIL, FAIL], "D"),
        ([FAIL, FAIL, FAIL], "F"),
        ([CRITICAL], "F"),
    ],
)
def test_grade(findings: list[Rule], expected: str) -> None:
    assert grade(found(*findings)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("homeassistant:\n  name: Home\n", []),
        ("http:\n  server_port: 99999\n", ["config.invalid"]),
        ("http: [\n", ["config.invalid"]),
        ("x: !secret nothing\n", ["config.invalid"]),
    ],
)
def test_config(tmp_path: Path, text: str, expected: list[str]) -> None:
    assert finding_ids(config.CHECK, context(config_dir(tmp_path, text))) == expected


def test_config_missing(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    (finding,) = config.CHECK.run(ctx)
    assert "init-demo" in finding.detail
