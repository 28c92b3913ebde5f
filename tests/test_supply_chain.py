"""Supply chain: `make sbom` writes a valid CycloneDX SBOM of the lock; `make audit` never calls
an unchecked lock clean."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from tools.audit_lock import CLEAN, NOT_CHECKED, VULNERABLE, verdict

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)", re.MULTILINE)


def pins(lock: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PIN.findall(lock.read_text())}


@pytest.mark.timeout(180)
def test_sbom_lists_the_locked_runtime_dependencies_and_is_valid(tmp_path: Path) -> None:
    out = tmp_path / "sbom.cdx.json"
    made = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "sbom", f"SBOM={out}"],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    text = out.read_text(encoding="utf-8")
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)[:2000]
    bom = json.loads(text)
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.6")
    assert bom["metadata"]["component"]["name"] == "hearth"
    listed = {c["name"].lower(): c["version"] for c in bom["components"]}
    assert listed == pins(ROOT / "requirements.lock")  # the runtime set, nothing from dev
    assert "pytest" not in listed
    for component in bom["components"]:
        assert component["purl"] == f"pkg:pypi/{component['name']}@{component['version']}"
        hashes = [h for ref in component["externalReferences"] for h in ref.get("hashes", ())]
        assert hashes, component["name"]  # the lock's sha256 pins travel with the SBOM
        assert {h["alg"] for h in hashes} == {"SHA-256"}


def test_the_validator_rejects_a_broken_sbom() -> None:
    broken = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{}]})
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(broken) is not None


def dep(name: str, *vulns: str, skip: str | None = None) -> dict[str, object]:
    if skip is not None:
        return {"name": name, "skip_reason": skip}
    return {
        "name": name,
        "version": "1.0",
        "vulns": [{"id": v, "fix_versions": ["1.1"], "description": ""} for v in vulns],
    }


@pytest.mark.parametrize(
    ("report", "code", "first"),
    [
        ({"dependencies": [dep("a"), dep("b")]}, CLEAN, "No known vulnerability in the 2"),
        ({"dependencies": [dep("a", "PYSEC-1"), dep("b")]}, VULNERABLE, "Vulnerable: 1 known"),
        # A mirror without PyPI's JSON API: pip-audit says "No known vulnerabilities found".
        (
            {"dependencies": [dep("a", skip="Dependency not found on PyPI")]},
            NOT_CHECKED,
            "Not checked: the vulnerability database answered for 0 of 1",
        ),
        (
            {"dependencies": [dep("a"), dep("b", skip="not found")]},
            NOT_CHECKED,
            "Not checked: the vulnerability database answered for 1 of 2",
        ),
        ({"dependencies": [dep("a", "GHSA-x"), dep("b", skip="x")]}, VULNERABLE, "Vulnerable"),
        ({"unexpected": True}, NOT_CHECKED, "Not checked: pip-audit wrote a report"),
    ],
)
def test_audit_verdicts(report: dict[str, object], code: int, first: str) -> None:
    got, lines = verdict(report)
    assert got == code
    assert lines[0].startswith(first), lines


@pytest.mark.timeout(120)
def test_audit_without_the_database_says_so_with_its_own_exit_code(tmp_path: Path) -> None:
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "XDG_CACHE_HOME": str(tmp_path), "NO_PROXY": "", "no_proxy": ""}  # fmt: skip
    ran = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "audit_lock.py"), str(ROOT / "requirements.lock")],
        capture_output=True,
        text=True,
        timeout=110,
        env=env,
        check=False,
    )
    assert ran.returncode == NOT_CHECKED, ran
    assert ran.stdout.startswith("Not checked: the vulnerability database could not be reached")
