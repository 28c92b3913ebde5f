"""ssh-audit (from PyPI, in the dev lock) grades the running console: no failure, no warning but
the post-quantum note, and exactly the algorithms of debug_console_policy.txt."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.support import HOST, HubFactory
from tests.acceptance.support_ssh import start_console

pytestmark = pytest.mark.acceptance

POLICY = Path(__file__).with_name("debug_console_policy.txt")
SSH_AUDIT = Path(sys.executable).with_name("ssh-audit")
# The one warning ssh-audit gives every key exchange that is not post-quantum; X25519 stays for
# OpenSSH clients before 9.9 (Debian 12 ships 9.2), after ML-KEM 768 which newer ones choose.
POST_QUANTUM_NOTE = "does not provide protection against post-quantum attacks"


def audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SSH_AUDIT), "--no-colors", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_ssh_audit_grades_the_console_clean(hub_factory: HubFactory, tmp_path: Path) -> None:
    if not SSH_AUDIT.exists():
        pytest.skip("ssh-audit is in requirements-dev.lock: run `make setup-dev`")
    console = start_console(hub_factory, tmp_path / "client")
    port = str(console.ssh_port)
    policy = audit("--skip-rate-test", "-P", str(POLICY), "-p", port, HOST)
    assert policy.returncode == 0, policy.stdout
    assert "Result: ✔ Passed" in policy.stdout
    # The full scan includes ssh-audit's connection-rate test (DHEat, CVE-2002-20001): the
    # console must refuse connections opened too fast (hearth.debug_ssh.rate).
    scan = audit("-p", port, HOST)
    lines = scan.stdout.splitlines()
    assert not [line for line in lines if "[fail]" in line], scan.stdout
    warnings = [line for line in lines if "[warn]" in line]
    assert warnings, scan.stdout  # the scan did run
    assert all(POST_QUANTUM_NOTE in line for line in warnings), scan.stdout
    assert not [line for line in lines if line.startswith("(nfo)")], scan.stdout
    assert re.search(r"\(gen\) banner: SSH-2\.0-Hearth$", scan.stdout, re.MULTILINE)
    assert "(kex) mlkem768x25519-sha256" in scan.stdout
