"""`files`: modes and owners of private paths, and the directories above the config dir."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hearth.check.checks import files
from hearth.check.checks.files import Expected, assess, parent_problem
from tests.check.support import config_dir, context, finding_ids, give_to_hub_user


def fake_stat(mode: int, uid: int = 1000) -> os.stat_result:
    """A stat result with just a mode and an owner."""
    return os.stat_result((mode, 0, 0, 1, uid, uid, 0, 0, 0, 0))


FILE, DIR = stat.S_IFREG, stat.S_IFDIR


@pytest.mark.parametrize(
    ("mode", "uid", "expected", "kinds", "fix"),
    [
        (FILE | 0o600, 1000, Expected(1000), [], None),
        (FILE | 0o400, 1000, Expected(1000), [], None),
        (FILE | 0o640, 1000, Expected(1000), ["mode"], "`chmod 600 /c/secrets.yaml`"),
        (FILE | 0o666, 1000, Expected(1000), ["mode"], "`chmod 600 /c/secrets.yaml`"),
        (DIR | 0o755, 1000, Expected(1000), ["mode"], "`chmod 700 /c/secrets.yaml`"),
        (FILE | 0o644, 1000, Expected(1000, private=False), [], None),
        (
            FILE | 0o664,
            1000,
            Expected(1000, private=False),
            ["mode"],
            "`chmod 644 /c/secrets.yaml`",
        ),
        (FILE | 0o600, 0, Expected(1000), ["owner"], None),
        (FILE | 0o604, 0, Expected(1000), ["mode", "owner"], "`chmod 600 /c/secrets.yaml`"),
    ],
)
def test_assess(mode: int, uid: int, expected: Expected, kinds: list[str], fix: str | None) -> None:
    problems = assess("/c/secrets.yaml", fake_stat(mode, uid), expected)
    assert [p.kind for p in problems] == kinds
    if fix is not None:
        assert problems[0].fix == fix


@pytest.mark.parametrize(
    ("mode", "uid", "child_uid", "bad"),
    [
        (DIR | 0o755, 0, 1000, False),
        (DIR | 0o755, 1000, 1000, False),  # the hub's own home
        (DIR | 0o755, 2000, 1000, True),  # another user's directory
        (DIR | 0o775, 0, 1000, True),  # group-writable
        (DIR | 0o777, 0, 1000, True),  # world-writable without the sticky bit
        (DIR | 0o1777, 0, 1000, False),  # /tmp: the child belongs to the hub
        (DIR | 0o1777, 0, 2000, True),  # /tmp, but the child belongs to someone else
    ],
)
def test_parent_problem(mode: int, uid: int, child_uid: int, bad: bool) -> None:
    assert (parent_problem(Path("/p"), fake_stat(mode, uid), child_uid, 1000) is not None) is bad


CASES = [
    ("private", {}, []),
    ("secrets readable", {"secrets.yaml": 0o644}, ["files.mode"]),
    ("config dir open", {".": 0o755}, ["files.mode"]),
    ("configuration.yaml readable is fine", {"configuration.yaml": 0o644}, []),
    ("configuration.yaml writable by the group", {"configuration.yaml": 0o664}, ["files.mode"]),
    ("database readable", {"hearth.db": 0o644}, ["files.mode"]),
    ("a key in tls/", {"tls/server.key": 0o640}, ["files.mode"]),
]


@pytest.mark.parametrize(("modes", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_modes(tmp_path: Path, modes: dict[str, int], expected: list[str]) -> None:
    path = config_dir(
        tmp_path,
        "homeassistant:\n  name: Home\n",
        **{"secrets.yaml": "a: b\n", "hearth.db": "", "tls__server.key": "k"},
    )
    for name, mode in modes.items():
        (path / name).chmod(mode)
    give_to_hub_user(path)
    assert finding_ids(files.CHECK, context(path)) == expected


@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
def test_a_file_of_another_user(tmp_path: Path) -> None:
    path = config_dir(tmp_path, "homeassistant:\n", **{"secrets.yaml": "a: b\n"})
    give_to_hub_user(path)
    os.chown(path / "secrets.yaml", 0, 0)
    result = finding_ids(files.CHECK, context(path))
    assert result == ["files.owner"]


def test_a_group_writable_parent(tmp_path: Path) -> None:
    parent = tmp_path / "shared"
    parent.mkdir()
    parent.chmod(0o777)
    path = config_dir(parent, "homeassistant:\n")
    give_to_hub_user(path)
    assert finding_ids(files.CHECK, context(path)) == ["files.parent_writable"]
