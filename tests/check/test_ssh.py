"""`ssh`: sshd_config and its includes, parsed read-only from crafted files passed by path."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.check.checks import ssh
from hearth.check.context import Host
from tests.check.support import HARDENED_SSHD, context, finding_ids, write

DEBIAN_DEFAULT = "Include /dev/null\nKbdInteractiveAuthentication no\nUsePAM yes\n"

CASES = [
    ("hardened", {"sshd_config": HARDENED_SSHD}, []),
    ("empty file: OpenSSH defaults", {"sshd_config": ""}, ["ssh.password_authentication"]),
    ("Debian's default", {"sshd_config": DEBIAN_DEFAULT}, ["ssh.password_authentication"]),
    (
        "root login with a password",
        {"sshd_config": HARDENED_SSHD.replace("PermitRootLogin no", "PermitRootLogin yes")},
        ["ssh.permit_root_login"],
    ),
    (
        "root login with keys only",
        {
            "sshd_config": HARDENED_SSHD.replace(
                "PermitRootLogin no", "permitrootlogin prohibit-password"
            )
        },
        [],
    ),
    (
        "first value wins: the drop-in comes first",
        {
            "sshd_config": HARDENED_SSHD,
            "sshd_config.d/50-cloud-init.conf": "PasswordAuthentication yes\n",
        },
        ["ssh.password_authentication"],
    ),
    (
        "a later line does not override",
        {"sshd_config": HARDENED_SSHD + "PasswordAuthentication yes\n"},
        [],
    ),
    (
        "keyboard-interactive with PAM",
        {"sshd_config": HARDENED_SSHD.replace("KbdInteractiveAuthentication no", "")},
        ["ssh.kbd_interactive_authentication"],
    ),
    (
        "the old name of keyboard-interactive",
        {
            "sshd_config": HARDENED_SSHD.replace(
                "KbdInteractiveAuthentication no", "ChallengeResponseAuthentication=yes"
            )
        },
        ["ssh.kbd_interactive_authentication"],
    ),
    (
        "keyboard-interactive without PAM does nothing",
        {"sshd_config": "PasswordAuthentication no\nUsePAM no\n"},
        [],
    ),
    (
        "empty passwords",
        {"sshd_config": HARDENED_SSHD + "PermitEmptyPasswords yes\n"},
        ["ssh.permit_empty_passwords"],
    ),
    (
        "a Match block turns passwords on",
        {
            "sshd_config": HARDENED_SSHD
            + "Match Address 10.0.0.0/8\n    PasswordAuthentication yes\n"
        },
        ["ssh.password_authentication"],
    ),
    (
        "comments and quotes",
        {
            "sshd_config": (
                '# PermitRootLogin yes\nPermitRootLogin "no"\nPasswordAuthentication no # keys\n'
            )
        },
        [],
    ),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_findings(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    write(tmp_path / "ssh", files, mode=0o644)
    host = Host(root=tmp_path, sshd_config=tmp_path / "ssh" / "sshd_config")
    assert finding_ids(ssh.CHECK, context(tmp_path, host)) == sorted(expected)


def test_the_finding_names_the_file_and_line(tmp_path: Path) -> None:
    write(
        tmp_path / "ssh",
        {"sshd_config": HARDENED_SSHD, "sshd_config.d/a.conf": "\nPermitRootLogin yes\n"},
    )
    host = Host(root=tmp_path, sshd_config=tmp_path / "ssh" / "sshd_config")
    (finding,) = ssh.findings(ssh.parse(host.sshd_config), str(host.sshd_config))
    assert finding.detail == f"{tmp_path}/ssh/sshd_config.d/a.conf, line 2: PermitRootLogin yes"
    assert finding.fix.startswith(
        f"Write `PermitRootLogin no` in {tmp_path}/ssh/sshd_config.d/a.conf"
    )


def test_no_ssh_server(tmp_path: Path) -> None:
    result = ssh.CHECK.run
    host = Host(root=tmp_path)  # the default path, below an empty root
    from hearth.check.runner import run_check

    assert run_check(ssh.CHECK, context(tmp_path, host)).status.value == "not_checked"
    assert result is ssh.run
