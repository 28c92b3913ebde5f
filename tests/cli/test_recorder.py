"""`hearth recorder purge` and `stats` on a real history database."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hearth.cli import main
from hearth.const import RECORDER_DATABASE_FILE
from tests.cli.conftest import Invoke
from tests.recorder.support import T0, database, history

DAY = 86400.0


def _fill(config_dir: Path) -> None:
    """sensor.a: a reading 20, 8 and 1 days ago (relative to now); light.b: one 3 days ago."""
    now = time.time() - T0
    with database(config_dir / RECORDER_DATABASE_FILE) as (_, batch):
        batch.write(history("sensor.a", [(now - d * DAY, str(d)) for d in (20, 8, 1)]))
        batch.write(history("light.b", [(now - 3 * DAY, "on")]))


def test_purge_keeps_the_configured_days(config_dir: Path, run: Invoke) -> None:
    _fill(config_dir)
    (config_dir / "configuration.yaml").write_text("recorder:\n  purge_keep_days: 5\n")
    result = run(main, ["recorder", "purge"])
    assert result.exit_code == 0, result.output
    assert "Kept 5 days" in result.stdout
    assert "deleted 2 states" in result.stdout
    stats = json.loads(run(main, ["recorder", "stats", "--json"]).stdout)
    assert stats["rows"]["states"] == 2
    assert time.time() - stats["oldest"] < 5 * DAY
    result = run(main, ["recorder", "purge", "--keep-days", "2"])
    assert "deleted 1 states" in result.stdout


def test_stats_lists_the_busiest_entities(config_dir: Path, run: Invoke) -> None:
    _fill(config_dir)
    result = run(main, ["recorder", "stats"])
    assert result.exit_code == 0, result.output
    assert "Rows: 4 states of 2 entities" in result.stdout
    assert result.stdout.index("sensor.a") < result.stdout.index("light.b")


def test_without_a_database(config_dir: Path, run: Invoke) -> None:
    for command in (["recorder", "purge"], ["recorder", "stats"]):
        result = run(main, command)
        assert result.exit_code == 1
        assert "There is no history yet" in result.stderr
    assert not (config_dir / RECORDER_DATABASE_FILE).exists()
    assert run(main, ["recorder", "purge", "--keep-days", "0"]).exit_code == 2
