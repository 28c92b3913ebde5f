"""axe-core (locked in tests/acceptance/js, run locally) against the page a browser shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

AXE: Final = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
# Serious and critical only, as the issue asks; minor and moderate ones are for people to judge.
BLOCKING: Final = frozenset({"serious", "critical"})

_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (result) => done(result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }))),
  (err) => done([{id: "axe-error", impact: "critical", help: String(err), nodes: []}]),
);
"""


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """The serious and critical violations on the current page (axe injected by the driver,
    which no page policy governs)."""
    assert AXE.is_file(), f"run `npm ci` in {AXE.parents[2]} (make system-test-deps does)"
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(30)
    found: list[dict[str, Any]] = driver.execute_async_script(_RUN)
    return [violation for violation in found if violation.get("impact") in BLOCKING]
