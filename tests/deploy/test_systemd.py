"""deploy/systemd/hearth.service: every hardening directive, graded OK, verified by systemd."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "hearth.service"
LOW_PORT = ROOT / "deploy" / "systemd" / "low-port.conf"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")
MAX_EXPOSURE = 2.0  # systemd-analyze calls up to 2.0 "OK"

# The directives issue 13 asks for, with their values ("" is an empty assignment).
REQUIRED = {
    "User": "hearth",
    "StateDirectory": "hearth",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",  # measured: tests/acceptance/test_sandbox.py
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "UMask": "0077",
}


def directives(path: Path, section: str | None = None) -> dict[str, list[str]]:
    """key -> every value assigned in the file, or in one [section] (systemd allows repeats)."""
    found: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            current = line.strip("[]")
        if not line or line.startswith(("#", ";", "[")) or section not in (None, current):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key.strip(), []).append(value.strip())
    return found


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze is missing: run `make system-test-deps` (Debian's systemd)")
    return tool


def test_the_unit_sets_every_hardening_directive() -> None:
    unit = directives(UNIT)
    for key, value in REQUIRED.items():
        assert unit.get(key) == [value], (key, unit.get(key))
    assert unit["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    assert "DynamicUser" not in unit  # a static user: see docs/deploy.md
    assert unit["ExecStart"] == ["/opt/hearth/.venv/bin/hearth --config /var/lib/hearth run"]


def test_the_low_port_drop_in_adds_one_capability_only() -> None:
    assert directives(LOW_PORT) == {
        "AmbientCapabilities": ["CAP_NET_BIND_SERVICE"],
        "CapabilityBoundingSet": ["CAP_NET_BIND_SERVICE"],
        "PrivateUsers": ["no"],
    }


@pytest.mark.timeout(60)
def test_systemd_grades_the_unit_ok() -> None:
    ran = subprocess.run(
        [systemd_analyze(), "security", "--offline=yes", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    match = re.search(r"Overall exposure level for hearth\.service: (\d+\.\d+) (\w+)", ran.stdout)
    assert match, ran.stdout + ran.stderr
    assert float(match.group(1)) <= MAX_EXPOSURE, ran.stdout
    assert match.group(2) == "OK"


@pytest.mark.timeout(60)
def test_systemd_verifies_the_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` in a root holding Debian's units and the installed hub."""
    tool = systemd_analyze()
    shutil.copytree(SYSTEM_UNITS, tmp_path / "usr/lib/systemd/system", symlinks=True)
    (tmp_path / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, tmp_path / "etc/systemd/system/hearth.service")
    program = tmp_path / directives(UNIT)["ExecStart"][0].split()[0].lstrip("/")
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    ran = subprocess.run(
        [tool, "verify", f"--root={tmp_path}", "--man=no", "hearth.service"],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    # verify exits 0 even for unknown keys and bad values, which it only prints.
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", ""), ran
