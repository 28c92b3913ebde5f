"""Who may change the hub's files: findings and the commands that fix them (the tests run as
root, so "another user" is uid 65534)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

import pytest

from hearth.config import read_config
from hearth.config.permissions import Finding, check_permissions, fix_command, refusal

OTHER = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A private config dir with the usual files, all fine: owned by root, mode 0600/0700."""
    config = tmp_path / "config"
    (config / "tls").mkdir(parents=True)
    config.chmod(0o700)
    for name in ("configuration.yaml", "secrets.yaml", "hearth.db", "hearth.db-wal",
                 "hearth-history.db", "username_hash.key", "tls/server.key",
                 "tls/server.crt"):  # fmt: skip
        (config / name).write_text("x: 1\n")
        (config / name).chmod(0o600)
    (config / "configuration.yaml").write_text("homeassistant:\n  name: Home\n")
    return config


def fatal(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(finding.path.name, finding.fix[0]) for finding in findings if finding.fatal]


def test_a_private_directory_has_no_findings(home: Path) -> None:
    assert check_permissions(home) == []


@pytest.mark.parametrize(
    ("name", "mode", "owner", "expected"),
    [
        ("", 0o777, 0, [("config", "chmod")]),
        ("", 0o770, 0, [("config", "chmod")]),
        ("", 0o1777, 0, [("config", "chmod")]),  # sticky helps only directories above
        ("", 0o755, 0, []),
        ("", 0o700, OTHER, [("config", "chown")]),
        ("configuration.yaml", 0o666, 0, [("configuration.yaml", "chmod")]),
        ("configuration.yaml", 0o620, 0, [("configuration.yaml", "chmod")]),
        ("configuration.yaml", 0o644, 0, []),
        ("configuration.yaml", 0o600, OTHER, [("configuration.yaml", "chown")]),
        ("secrets.yaml", 0o602, 0, [("secrets.yaml", "chmod")]),
        ("secrets.yaml", 0o666, OTHER, [("secrets.yaml", "chown"), ("secrets.yaml", "chmod")]),
        ("hearth.db", 0o664, 0, [("hearth.db", "chmod")]),
        ("hearth.db", 0o600, OTHER, [("hearth.db", "chown")]),
        ("hearth.db-wal", 0o666, 0, [("hearth.db-wal", "chmod")]),
        ("hearth-history.db", 0o660, 0, [("hearth-history.db", "chmod")]),
        ("hearth-history.db", 0o600, OTHER, [("hearth-history.db", "chown")]),
        ("username_hash.key", 0o620, 0, [("username_hash.key", "chmod")]),
        ("username_hash.key", 0o600, OTHER, [("username_hash.key", "chown")]),
        ("tls", 0o777, 0, [("tls", "chmod")]),
        ("tls/server.key", 0o660, 0, [("server.key", "chmod")]),
        ("tls/server.crt", 0o600, OTHER, [("server.crt", "chown")]),
    ],
)
def test_findings(home: Path, name: str, mode: int, owner: int, expected: list[object]) -> None:
    """Writable by group or others, or owned by a user other than root or the hub's: refused."""
    path = home / name
    path.chmod(mode)
    os.chown(path, owner, -1)
    assert fatal(check_permissions(home)) == expected


def test_owners_are_judged_against_the_hub_user(home: Path) -> None:
    """A hub that runs as 65534 may own its files; root always may; others may not."""
    os.chown(home / "hearth.db", OTHER, -1)
    assert fatal(check_permissions(home, uid=OTHER)) == []
    os.chown(home / "hearth.db", OTHER + 1, -1)
    assert fatal(check_permissions(home, uid=OTHER)) == [("hearth.db", "chown")]
    assert fatal(check_permissions(home, uid=None)) == []  # the CLI: owners not judged


def test_directories_above_must_not_be_writable_unless_sticky(home: Path) -> None:
    """Whoever may rename a directory above the configuration can swap in their own."""
    above = home.parent
    above.chmod(0o777)
    assert fatal(check_permissions(home)) == [(above.name, "chmod")]
    above.chmod(0o1777)  # like /tmp: others cannot rename what is ours
    assert fatal(check_permissions(home)) == []
    os.chown(above, OTHER, -1)  # a home directory of someone trusted: only modes are judged
    assert fatal(check_permissions(home)) == []


def test_symlinks_are_judged_by_what_they_point_to(home: Path, tmp_path: Path) -> None:
    """A link to a file elsewhere: the file, and the directory it really lives in."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o777)
    elsewhere.chmod(0o777)
    (elsewhere / "real.db").write_text("")
    (elsewhere / "real.db").chmod(0o600)
    (home / "hearth.db").unlink()
    (home / "hearth.db").symlink_to(elsewhere / "real.db")
    assert fatal(check_permissions(home)) == [("elsewhere", "chmod")]
    linked = tmp_path / "linked"
    linked.symlink_to(home)
    home.chmod(0o777)
    assert ("config", "chmod") in fatal(check_permissions(linked))


def test_included_and_tls_files_from_the_configuration(home: Path, tmp_path: Path) -> None:
    """Files the configuration reads or names are checked too, wherever they are."""
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o755)
    for name in ("cert.pem", "key.pem"):
        (keys / name).write_text("")
        (keys / name).chmod(0o600)
    (home / "includes").mkdir(mode=0o700)
    (home / "includes" / "http.yaml").write_text(
        f"ssl_certificate: {keys / 'cert.pem'}\nssl_key: {keys / 'key.pem'}\n"
    )
    (home / "configuration.yaml").write_text("http: !include includes/http.yaml\n")
    config = read_config(home)
    assert check_permissions(home, config) == []
    (home / "includes" / "http.yaml").chmod(0o666)
    (keys / "key.pem").chmod(0o622)
    os.chown(keys / "cert.pem", OTHER, -1)
    assert fatal(check_permissions(home, config)) == [
        ("http.yaml", "chmod"),
        ("cert.pem", "chown"),
        ("key.pem", "chmod"),
    ]
    assert fatal(check_permissions(home)) == []  # without the configuration: not known


def test_mqtt_certificate_files_are_checked(home: Path, tmp_path: Path) -> None:
    """A CA file others can replace would let them stand in for the MQTT broker."""
    keys = tmp_path / "mqtt"
    keys.mkdir(mode=0o755)
    for name in ("ca.pem", "client.pem", "client.key"):
        (keys / name).write_text("")
        (keys / name).chmod(0o600)
    (home / "configuration.yaml").write_text(
        f"mqtt:\n  broker: 192.168.1.2\n  ca_certificate: {keys / 'ca.pem'}\n"
        f"  client_certificate: {keys / 'client.pem'}\n  client_key: {keys / 'client.key'}\n"
    )
    config = read_config(home)
    assert check_permissions(home, config) == []
    (keys / "ca.pem").chmod(0o666)
    (keys / "client.key").chmod(0o620)
    assert fatal(check_permissions(home, config)) == [("ca.pem", "chmod"), ("client.key", "chmod")]


def test_secrets_readable_by_others_only_warn_and_only_when_reachable() -> None:
    # Outside pytest's private temporary root, so that others can reach the directory at all.
    with tempfile.TemporaryDirectory(dir="/tmp") as top:
        Path(top).chmod(0o711)
        home = Path(top) / "config"
        home.mkdir(mode=0o700)
        (home / "secrets.yaml").write_text("a: 1\n")
        (home / "secrets.yaml").chmod(0o644)
        assert check_permissions(home) == []  # the directory (0700) keeps others out
        home.chmod(0o711)
        findings = check_permissions(home)
    [finding] = findings
    assert (finding.path.name, finding.fix, finding.fatal) == (
        "secrets.yaml",
        ("chmod", "o-r"),
        False,
    )
    assert refusal([finding]) is None


def test_the_refusal_is_one_line_whose_command_fixes_everything(home: Path) -> None:
    home.chmod(0o777)
    (home / "secrets.yaml").chmod(0o666)
    os.chown(home / "hearth.db", OTHER, -1)
    findings = check_permissions(home)
    error = refusal(findings)
    assert error is not None
    message = str(error)
    assert "\n" not in message
    command = fix_command(findings)
    assert message == (
        f"{home}: writable by its group and others (mode 0777): they could change what the hub "
        f"runs with (and 2 more); fix it with `{command}`"
    )
    assert command == (
        f"chown root {shlex.quote(str(home / 'hearth.db'))} && "
        f"chmod go-w {shlex.quote(str(home))} {shlex.quote(str(home / 'secrets.yaml'))}"
    )
    subprocess.run(["/bin/sh", "-c", command], check=True)
    assert check_permissions(home) == []


def test_paths_are_quoted_for_the_shell(tmp_path: Path) -> None:
    odd = tmp_path / "my config; rm -rf x"
    odd.mkdir(mode=0o700)
    odd.chmod(0o777)
    command = fix_command(check_permissions(odd))
    assert command == f"chmod go-w {shlex.quote(str(odd))}"


def test_a_missing_directory_has_no_findings(tmp_path: Path) -> None:
    assert check_permissions(tmp_path / "missing") == []
