"""`make audit`: the pinned dependencies of a lock file against the PyPA vulnerability database.

pip-audit looks each pin up on PyPI. Its own exit code is 1 both for "vulnerable" and for "could
not ask", and a package it could not look up is only a skip: a mirror without PyPI's JSON API
gives "No known vulnerabilities found" for a lock it did not check at all. This wrapper reads
pip-audit's JSON report and never calls that a pass.

Exit codes: 0 every package was looked up and none has a known vulnerability; 1 at least one
has (listed with the versions that fix it); 3 not checked: the database could not be reached,
or answered for only some packages (the reason is printed); 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

CLEAN: Final = 0
VULNERABLE: Final = 1
USAGE: Final = 2
NOT_CHECKED: Final = 3
TIMEOUT: Final = 300.0


def pip_audit() -> Path:
    """pip-audit from the dev venv, beside this interpreter."""
    return Path(sys.executable).parent / "pip-audit"


def verdict(report: Any) -> tuple[int, list[str]]:
    """Exit code and lines to print, from pip-audit's JSON report (pure)."""
    if not isinstance(report, dict) or not isinstance(report.get("dependencies"), list):
        return NOT_CHECKED, ["Not checked: pip-audit wrote a report this script cannot read."]
    found, skipped, audited = [], [], 0
    for dependency in report["dependencies"]:
        if not isinstance(dependency, dict):
            continue
        if "skip_reason" in dependency:
            skipped.append(str(dependency["skip_reason"]))
            continue
        audited += 1
        for vuln in dependency.get("vulns") or ():
            fixed = ", ".join(vuln.get("fix_versions") or ()) or "no fixed version yet"
            found.append(
                f"{dependency.get('name')} {dependency.get('version')}: {vuln.get('id')} "
                f"(fixed in: {fixed})"
            )
    total = audited + len(skipped)
    if found:
        return VULNERABLE, [f"Vulnerable: {len(found)} known vulnerabilities:", *found]
    if skipped:
        return NOT_CHECKED, [
            f"Not checked: the vulnerability database answered for {audited} of {total} "
            f"packages; the first it could not look up: {skipped[0]}",
        ]
    return CLEAN, [f"No known vulnerability in the {total} packages of the lock."]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path, help="a hash-pinned requirements lock")
    args = parser.parse_args(argv)
    if not args.lock.is_file():
        print(f"{args.lock}: no such lock file", file=sys.stderr)
        return USAGE
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report.json"
        # --disable-pip: the pins are audited as locked, nothing is resolved or installed.
        command = [str(pip_audit()), "--disable-pip", "--require-hashes", "-r", str(args.lock),
                   "--progress-spinner", "off", "-f", "json", "-o", str(out)]  # fmt: skip
        try:
            ran = subprocess.run(  # noqa: S603 - our own venv's tool, fixed arguments
                command, capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            print(f"Not checked: pip-audit did not finish within {TIMEOUT:.0f} s.")
            return NOT_CHECKED
        if not out.exists():
            errors = [line for line in ran.stderr.splitlines() if line.strip()]
            reason = errors[-1] if errors else f"pip-audit exited with {ran.returncode}"
            print(f"Not checked: the vulnerability database could not be reached ({reason}).")
            return NOT_CHECKED
        code, lines = verdict(json.loads(out.read_text(encoding="utf-8")))
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
