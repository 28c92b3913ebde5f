"""docs/check.md explains every check and every rule id: a test fails when one is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.check.checks import CHECKS
from hearth.check.grade import GRADES

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = (DOCS / "check.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "rule", [rule for check in CHECKS for rule in check.rules], ids=lambda rule: rule.id
)
def test_every_rule_has_an_entry(rule: object) -> None:
    rule_id = rule.id  # type: ignore[attr-defined]
    anchor = f'<a id="{rule_id}"></a>'
    assert anchor in PAGE, f"docs/check.md lacks {anchor}"
    entry = PAGE.split(anchor, 1)[1].split("<a id=", 1)[0]
    assert "**Why:**" in entry, f"{rule_id}: say why it matters"
    assert "**Fix:**" in entry, f"{rule_id}: say how to fix it"


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.id)
def test_every_check_is_listed(check: object) -> None:
    assert f"`{check.id}`" in PAGE  # type: ignore[attr-defined]


def test_grades_are_documented() -> None:
    assert '<a id="grades"></a>' in PAGE
    for letter in GRADES:
        assert f"**{letter}**" in PAGE


def test_the_schema_is_linked_from_the_docs() -> None:
    assert "check-report.schema.json" in PAGE
    assert "check.md" in (DOCS.parent / "README.md").read_text()
