"""THREAT_MODEL.md names real tests: a renamed or deleted one fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "THREAT_MODEL.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")
ATTACKERS = ("A device on the LAN", "A web page in a household browser", "An internet scanner",
             "A stolen token", "A malicious admin")  # fmt: skip
ASSETS = ("Accounts", "Tokens", "Device control", "The configuration's secrets")


def missing(text: str, root: Path = ROOT) -> list[str]:
    """The test files and test functions named in `text` that do not exist under `root`."""
    absent = []
    for path, name in REFERENCE.findall(text):
        file = root / path
        if not file.is_file():
            absent.append(path)
            continue
        if name:
            tree = ast.parse(file.read_text(encoding="utf-8"))
            defined = {node.name for node in ast.walk(tree)
                       if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}  # fmt: skip
            if name not in defined:
                absent.append(f"{path}::{name}")
    return absent


def threat_rows(text: str) -> list[list[str]]:
    rows = []
    threats = text.split("## Threats", 1)[1].split("## Known residual risks", 1)[0]
    for line in threats.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] not in ("Threat", "---"):
            rows.append(cells)
    return rows


def test_every_test_the_model_names_exists() -> None:
    text = MODEL.read_text(encoding="utf-8")
    assert len(REFERENCE.findall(text)) >= 40
    assert missing(text) == [], "THREAT_MODEL.md names tests that do not exist"


def test_a_missing_test_is_found() -> None:
    text = (
        "`tests/test_threat_model.py::test_a_missing_test_is_found` "
        "`tests/test_threat_model.py::test_that_was_renamed` `tests/no_such_file.py`"
    )
    assert missing(text) == ["tests/test_threat_model.py::test_that_was_renamed",
                             "tests/no_such_file.py"]  # fmt: skip


def test_the_model_names_its_assets_and_attackers() -> None:
    text = MODEL.read_text(encoding="utf-8")
    for asset in ASSETS:
        assert f"| {asset} |" in text, asset
    for number, attacker in enumerate(ATTACKERS, 1):
        assert f"{number}. **{attacker}**" in text, attacker
        assert f"### {number}. {attacker}\n" in text, attacker


def test_every_threat_has_a_proof_or_is_in_progress() -> None:
    rows = threat_rows(MODEL.read_text(encoding="utf-8"))
    assert len(rows) >= 30
    for cells in rows:
        assert len(cells) == 3, cells
        in_progress = cells[1] == "**in progress**"
        assert bool(REFERENCE.search(cells[2])) != in_progress, cells
