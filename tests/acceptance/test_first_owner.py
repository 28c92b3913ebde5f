"""Two `hearth user add` at once on an empty hub: both users, exactly one owner (issue 10.7)."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.acceptance.support import CLI_TIMEOUT, start_user_add

pytestmark = pytest.mark.acceptance

TRIALS = 10


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    """(stdout, stderr) of a process whose input is already written."""
    assert process.stdout is not None
    assert process.stderr is not None
    process.wait(timeout=CLI_TIMEOUT)
    with process.stdout, process.stderr:
        return process.stdout.read(), process.stderr.read()


@pytest.mark.timeout(240)  # TRIALS x two CLI processes
def test_racing_first_users_make_one_owner(tmp_path: Path) -> None:
    for trial in range(TRIALS):
        config_dir = tmp_path / f"trial{trial}"
        config_dir.mkdir(mode=0o700)
        racers = [start_user_add(config_dir, name) for name in ("first", "second")]
        outputs = [finish(racer) for racer in racers]
        for racer, (out, err) in zip(racers, outputs, strict=True):
            assert racer.returncode == 0, (trial, out, err)
        db = sqlite3.connect(config_dir / "hearth.db")
        try:
            rows = db.execute("SELECT username, is_owner, is_admin FROM users").fetchall()
        finally:
            db.close()
        assert sorted(name for name, _, _ in rows) == ["first", "second"], (trial, rows)
        owners = [name for name, owner, admin in rows if owner and admin]
        assert len(owners) == 1, (trial, rows)
        said = [out for out, _ in outputs if "(owner, admin)" in out]
        assert said == [f"Created user '{owners[0]}' (owner, admin).\n"], (trial, outputs)
