"""`process`: the hub does not run as root; the CLI finds running hubs in /proc, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.check.checks import process
from hearth.check.checks.process import parse_command, running_hubs
from hearth.check.context import Host
from tests.check.support import config_dir, context, finding_ids, write


@pytest.mark.parametrize(
    ("argv", "cwd", "expected"),
    [
        (["/v/bin/python", "-m", "hearth", "-c", "/etc/hearth", "run"], None, Path("/etc/hearth")),
        (["/v/bin/hearth", "run"], Path("/srv"), Path("/srv/config")),
        (["/v/bin/hearth", "--config", "c", "run"], Path("/srv"), Path("/srv/c")),
        (["/v/bin/hearth", "--config=/x", "run"], None, Path("/x")),
        (["/v/bin/hearth", "run"], None, None),
        (["/v/bin/hearth", "check"], None, False),
        (["/usr/bin/python3", "-m", "http.server"], None, False),
        (["/v/bin/python3", "/v/bin/hearth", "-c", "/h", "run"], None, Path("/h")),
        (["/v/bin/python", "-X", "dev", "-m", "hearth", "run"], Path("/s"), Path("/s/config")),
        (["timeout", "6", "/v/bin/hearth", "run"], None, False),
        (["vim", "/home/me/hearth"], None, False),
        (["/v/bin/python", "script.py", "hearth", "run"], None, False),
    ],
)
def test_parse_command(argv: list[str], cwd: Path | None, expected: Path | bool | None) -> None:
    assert parse_command(argv, cwd) == expected


def fake_proc(root: Path, pid: int, argv: list[str], uid: int, cwd: Path | None = None) -> None:
    base = root / "proc" / str(pid)
    write(
        base,
        {
            "cmdline": "\0".join(argv) + "\0",
            "status": f"Name:\tpython\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n",
        },
        mode=0o644,
    )
    if cwd is not None:
        (base / "cwd").symlink_to(cwd)


def test_running_hubs(tmp_path: Path) -> None:
    fake_proc(tmp_path, 10, ["/v/bin/hearth", "-c", "/etc/hearth", "run"], 0)
    fake_proc(tmp_path, 11, ["/usr/sbin/sshd"], 0)
    fake_proc(tmp_path, 12, ["/v/bin/hearth", "run"], 1000, cwd=Path("/srv"))
    hubs = {(h.pid, h.uid, h.config_dir) for h in running_hubs(tmp_path / "proc")}
    assert hubs == {(10, 0, Path("/etc/hearth")), (12, 1000, Path("/srv/config"))}


def test_hub_process_as_root(tmp_path: Path) -> None:
    path = config_dir(tmp_path, "homeassistant:\n")
    as_root = Host(root=tmp_path / "empty", euid=0, hub_uid=0)
    assert finding_ids(process.CHECK, context(path, as_root, where="hub")) == ["process.root"]
    as_user = Host(root=tmp_path / "empty", euid=1000, hub_uid=1000)
    assert finding_ids(process.CHECK, context(path, as_user, where="hub")) == []


def test_cli_finds_the_running_hub_of_this_config_dir(tmp_path: Path) -> None:
    path = config_dir(tmp_path, "homeassistant:\n")
    host = Host(root=tmp_path / "host", euid=0, hub_uid=None)
    fake_proc(host.root, 20, ["/v/bin/hearth", "-c", str(path), "run"], 1000)
    fake_proc(host.root, 21, ["/v/bin/hearth", "-c", "/elsewhere", "run"], 0)  # another hub
    assert finding_ids(process.CHECK, context(path, host)) == []
    fake_proc(host.root, 22, ["/v/bin/hearth", "run"], 0, cwd=path.parent)
    assert finding_ids(process.CHECK, context(path, host)) == ["process.root"]


def test_cli_without_a_running_hub_goes_by_the_database_owner(tmp_path: Path) -> None:
    path = config_dir(tmp_path, "homeassistant:\n", **{"hearth.db": ""})
    host = Host(root=tmp_path / "empty", euid=1000, hub_uid=None)
    expected = ["process.root"] if (path / "hearth.db").stat().st_uid == 0 else []
    assert finding_ids(process.CHECK, context(path, host)) == expected
