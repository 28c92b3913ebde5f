"""The whole checklist: a hardened installation gets A+, no check can break the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.check.checks import CHECKS
from hearth.check.context import Options
from hearth.check.model import Check, NotChecked, Rule, Severity, Status
from hearth.check.runner import run_check, run_checks, selected
from tests.check.support import context, hardened_dir, hardened_host


def test_hardened_installation_gets_a_plus_without_any_finding(tmp_path: Path) -> None:
    report = run_checks(context(hardened_dir(tmp_path), hardened_host(tmp_path)))
    assert [f.rule.id for _check, f in report.findings()] == []
    assert report.grade == "A+"
    statuses = {result.check.id: result.status for result in report.results}
    # Offline on purpose, and never a silent pass: the report says so.
    assert statuses.pop("vulnerabilities") is Status.NOT_CHECKED
    assert set(statuses.values()) == {Status.PASS}, statuses
    assert "probe" not in statuses  # only with --probe


def test_rule_ids_are_unique_and_namespaced_by_check() -> None:
    ids = [rule.id for check in CHECKS for rule in check.rules]
    assert len(ids) == len(set(ids))
    assert len({check.id for check in CHECKS}) == len(CHECKS)
    for check in CHECKS:
        assert check.rules, check.id
        for rule in check.rules:
            assert rule.source, rule.id
            assert rule.fix, rule.id
            assert rule.title, rule.id


def test_fast_only_leaves_out_the_slow_checks_and_probe_is_on_request(tmp_path: Path) -> None:
    fast = selected(context(tmp_path, options=Options(fast_only=True)))
    assert {"vulnerabilities", "firewall", "probe"}.isdisjoint(c.id for c in fast)
    assert "probe" in {c.id for c in selected(context(tmp_path, options=Options(probe=True)))}


def _crash(_ctx: object) -> list[object]:
    raise RuntimeError("secret-looking text that must not reach the report")


def _not_here(_ctx: object) -> list[object]:
    raise NotChecked("not checked: no such thing here")


RULE = Rule("test.rule", Severity.WARN, "t", "s", "f")


@pytest.mark.parametrize(
    ("function", "status", "note"),
    [
        (_crash, Status.ERROR, "the check failed unexpectedly; see the log"),
        (_not_here, Status.NOT_CHECKED, "not checked: no such thing here"),
        (lambda _ctx: [RULE.found("x")], Status.WARN, None),
        (lambda _ctx: [], Status.PASS, None),
    ],
)
def test_a_check_that_fails_is_reported_not_raised(
    tmp_path: Path,
    function: object,
    status: Status,
    note: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    check = Check("test", "Test", (RULE,), function)  # type: ignore[arg-type]
    result = run_check(check, context(tmp_path))
    assert (result.status, result.note) == (status, note)
    assert "secret-looking" not in str(result.as_dict())
