"""`hearth recorder`: purge the history now, see what it holds. Safe beside a running hub."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from hearth import const
from hearth.cli.common import config_option
from hearth.cli.users import echo_table
from hearth.exceptions import HearthError


def _database(config_dir: Path) -> Path:
    path = config_dir / const.RECORDER_DATABASE_FILE
    if not path.exists():
        raise click.ClickException(
            f"There is no history yet ({path.name} does not exist in {config_dir}); the hub "
            "creates it when it starts with recording on."
        )
    return path


def _keep_days(config_dir: Path) -> int:
    """purge_keep_days from configuration.yaml; the default if it cannot be read."""
    from hearth.config import load_config

    if not (config_dir / const.CONFIG_FILE).exists():
        return const.RECORDER_KEEP_DAYS
    try:
        return load_config(config_dir).recorder.purge_keep_days
    except HearthError as err:
        click.echo(f"Note: the default purge_keep_days applies; {err.message}", err=True)
        return const.RECORDER_KEEP_DAYS


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _mib(size: int | None) -> str:
    return "-" if size is None else f"{size / (1024 * 1024):.1f} MiB"


@click.group()
def recorder() -> None:
    """Purge the history database or show what it holds."""


@recorder.command("purge")
@click.option(
    "--keep-days",
    type=click.IntRange(1, const.RECORDER_MAX_KEEP_DAYS),
    default=None,
    help="Keep this many days (default: recorder.purge_keep_days of the configuration).",
)
@config_option
def purge(config_dir: Path, keep_days: int | None) -> None:
    """Delete the history older than the days to keep, now.

    Works while the hub runs: it deletes in small batches, each in its own short transaction,
    so the hub's recorder never waits long. The hub also purges every night by itself.
    """
    from hearth.recorder.purge import PurgeRun
    from hearth.recorder.schema import open_writer

    path = _database(config_dir)
    days = keep_days if keep_days is not None else _keep_days(config_dir)
    cutoff = time.time() - days * 86400
    run = PurgeRun(cutoff, const.RECORDER_PURGE_BATCH)
    try:
        conn = open_writer(path)
        try:
            while not run.done:
                run.step(conn)
        finally:
            conn.close()
    except sqlite3.Error as err:
        raise click.ClickException(f"Cannot purge {path.name}: {err}") from None
    deleted = ", ".join(f"{count} {table}" for table, count in run.deleted.items() if count)
    click.echo(f"Kept {days} days (since {_when(cutoff)}); deleted {deleted or 'nothing'}.")


@recorder.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
@config_option
def stats(config_dir: Path, as_json: bool) -> None:
    """Show the size of the history, the period it covers and the busiest entities."""
    from hearth.recorder import stats as collect
    from hearth.recorder.reader import Reader

    path = _database(config_dir)
    status_path = config_dir / const.RECORDER_STATUS_FILE
    reader = Reader(path)
    try:
        found: dict[str, Any] = reader.read_now(
            lambda conn: collect.collect(conn, path, status_path), dict
        )
    except (sqlite3.Error, HearthError) as err:
        raise click.ClickException(f"Cannot read {path.name}: {err}") from None
    finally:
        reader.close()
    if as_json:
        click.echo(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
        return
    rows = found["rows"]
    state = found["status"]
    click.echo(f"Database: {path} ({_mib(found['bytes'])}; {_mib(found['free_bytes'])} free)")
    click.echo(f"Covers: {_when(found['oldest'])} to {_when(found['newest'])}")
    click.echo(
        f"Rows: {rows['states']} states of {rows['entities']} entities, "
        f"{rows['attributes']} attribute sets, {rows['events']} events"
    )
    click.echo(f"Last purge: {_when(found['last_purge'])}")
    if state is not None:
        reason = f" ({state['reason']})" if state["reason"] else ""
        click.echo(f"Recorder: {state['state']}{reason}")
    if found["busiest"]:
        click.echo("")
        echo_table(
            ("ENTITY", "STATES"),
            [(item["entity_id"], str(item["states"])) for item in found["busiest"]],
        )
