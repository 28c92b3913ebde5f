"""`recorder`: a hub that stopped recording, and a disk running out of room."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from hearth import const
from hearth.check.checks import recorder
from hearth.check.context import Host
from hearth.check.model import Status
from hearth.check.runner import run_check
from tests.check.support import config_dir, context, finding_ids, write


def _status(path: Path, state: str, reason: str | None, pid: int) -> None:
    data = {"state": state, "reason": reason, "since": 1.7e9, "pid": pid}
    (path / const.RECORDER_STATUS_FILE).write_bytes(orjson.dumps(data).ljust(256))


def _host(tmp_path: Path, *pids: int) -> Host:
    root = tmp_path / "host"
    write(root, {f"proc/{pid}/stat": "x" for pid in pids}, mode=0o444)
    return Host(root=root)


@pytest.mark.parametrize(
    ("state", "reason", "alive", "expected"),
    [
        ("stopped", "disk_full", True, ["recorder.not_recording"]),
        ("stopped", "write_failed", True, ["recorder.not_recording"]),
        ("stopped", "disk_full", False, []),  # that hub is gone: nothing to say about it now
        ("recording", None, True, []),
        ("closed", None, True, []),
    ],
)
def test_status(
    tmp_path: Path, state: str, reason: str | None, alive: bool, expected: list[str]
) -> None:
    path = config_dir(tmp_path, "")
    _status(path, state, reason, 4321)
    host = _host(tmp_path, *([4321] if alive else []))
    assert finding_ids(recorder.CHECK, context(path, host)) == expected


def test_the_hub_itself(tmp_path: Path) -> None:
    path = config_dir(tmp_path, "")
    _status(path, "stopped", "disk_full", os.getpid())
    (finding,) = run_check(recorder.CHECK, context(path, where="hub")).findings
    assert "because the disk is full" in finding.detail
    assert "resumes by itself" in finding.fix


def test_low_space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = config_dir(tmp_path, "")
    monkeypatch.setattr(recorder.space, "free_bytes", lambda _path: 5 * 1024 * 1024)
    assert finding_ids(recorder.CHECK, context(path)) == ["recorder.low_space"]


def test_not_checked_when_recording_is_off(tmp_path: Path) -> None:
    path = config_dir(tmp_path, "recorder:\n  enabled: false\n")
    assert run_check(recorder.CHECK, context(path)).status is Status.NOT_CHECKED
