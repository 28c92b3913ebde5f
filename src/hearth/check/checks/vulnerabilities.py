"""`vulnerabilities`: the dependencies against a vulnerability database, with pip-audit.

Offline (or without pip-audit) the check says "not checked" and why: never a silent pass.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from hearth.check.checks.lockfile import find_lock
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, NotChecked, Rule, Severity

VULNERABLE = Rule(
    "software.vulnerable",
    Severity.FAIL,
    "A dependency has a known vulnerability",
    'Security page, "Source code" (dependencies are followed upstream); OWASP Top 10 A06: '
    "vulnerable and outdated components",
    "Update: raise the version in requirements.lock (edit requirements.in, `make lock`), then "
    "`make setup`; fixed in: {fixed}",
)
PARTIAL = Rule(
    "software.audit_partial",
    Severity.INFO,
    "Some dependencies could not be looked up",
    VULNERABLE.source,
    "Nothing to do here unless they are yours; pip-audit looks packages up on PyPI",
)

# What a failed pip-audit prints when the database cannot be reached.
_OFFLINE_MARKERS: Final = (
    "ConnectionError",
    "ProxyError",
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "timed out",
    "ReadTimeout",
)


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """One known vulnerability of one installed package."""

    package: str
    version: str
    id: str
    fixed_in: tuple[str, ...]


def find_pip_audit() -> str | None:
    """pip-audit beside this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).parent / "pip-audit"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("pip-audit")


def parse_report(data: Any) -> tuple[list[Vulnerability], list[str], int]:
    """(vulnerabilities, packages skipped, packages audited) from pip-audit's JSON (pure)."""
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        raise NotChecked("not checked: pip-audit wrote a report this version cannot read")
    found, skipped, audited = [], [], 0
    for dependency in data["dependencies"]:
        if not isinstance(dependency, dict):
            continue
        name = str(dependency.get("name", "?"))
        if dependency.get("skip_reason"):
            skipped.append(name)
            continue
        audited += 1
        for vuln in dependency.get("vulns") or ():
            fixed = tuple(str(v) for v in vuln.get("fix_versions") or ())
            found.append(
                Vulnerability(name, str(dependency.get("version", "?")), str(vuln.get("id")), fixed)
            )
    return found, skipped, audited


def offline(stderr: str) -> bool:
    """Whether pip-audit failed for want of a network (pure)."""
    return any(marker in stderr for marker in _OFFLINE_MARKERS)


def _command(executable: str, output: Path, cache: Path) -> list[str]:
    base = [executable, "-f", "json", "-o", str(output), "--progress-spinner", "off"]
    base += ["--cache-dir", str(cache), "--timeout", "15"]
    lock = find_lock()
    if lock is not None:
        # The set the hub is installed from (the `lock` check compares it with what is installed).
        return [*base, "-r", str(lock), "--require-hashes", "--disable-pip"]
    paths = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    return [*base, "--skip-editable", *(arg for path in paths for arg in ("--path", path))]


def audit(timeout: float, env: Mapping[str, str]) -> Any:
    """Run pip-audit and return its JSON report; NotChecked with the reason otherwise."""
    executable = find_pip_audit()
    if executable is None:
        raise NotChecked(
            "not checked: pip-audit is not installed (`.venv/bin/pip install pip-audit`, or "
            "`make setup-dev`)"
        )
    with tempfile.TemporaryDirectory(prefix="hearth-check-") as scratch:
        output = Path(scratch) / "report.json"
        try:
            done = subprocess.run(  # noqa: S603 - fixed argument list
                _command(executable, output, Path(scratch) / "cache"),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **env},
            )
        except subprocess.TimeoutExpired:
            raise NotChecked(
                f"not checked (offline?): pip-audit did not finish within {timeout:.0f} s"
            ) from None
        if output.is_file():
            try:
                return json.loads(output.read_text(encoding="utf-8"))
            except ValueError:
                raise NotChecked("not checked: pip-audit wrote no readable report") from None
    if offline(done.stderr):
        raise NotChecked("not checked (offline): the vulnerability database could not be reached")
    raise NotChecked(f"not checked: pip-audit failed (exit code {done.returncode})")


def run(ctx: CheckContext) -> Iterator[Finding]:
    """One finding per vulnerable package; nothing known to PyPI means not checked."""
    if ctx.options.offline:
        raise NotChecked("not checked (--offline): the vulnerability database was not asked")
    report = audit(ctx.options.audit_timeout, ctx.options.audit_env)
    found, skipped, audited = parse_report(report)
    if not audited:
        raise NotChecked(
            f"not checked: the vulnerability database knew none of the {len(skipped)} packages "
            "(a package mirror without PyPI's JSON API?)"
        )
    by_package: dict[tuple[str, str], list[Vulnerability]] = {}
    for vuln in found:
        by_package.setdefault((vuln.package, vuln.version), []).append(vuln)
    for (package, version), vulns in sorted(by_package.items()):
        fixed = sorted({v for vuln in vulns for v in vuln.fixed_in}) or ["no fixed version yet"]
        yield VULNERABLE.found(
            f"{package} {version}: {', '.join(vuln.id for vuln in vulns)}",
            fixed=", ".join(f"{package} {v}" for v in fixed),
        )
    if skipped:
        yield PARTIAL.found(f"{len(skipped)} of {len(skipped) + audited}: {', '.join(skipped)}")


CHECK = Check("vulnerabilities", "Known vulnerabilities", (VULNERABLE, PARTIAL), run, fast=False)
