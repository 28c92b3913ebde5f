"""`hearth check`: run the security checklist against this installation."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from hearth.cli.common import config_option


class CheckUsageError(click.ClickException):
    """A usage error (exit 2) printed as one `Error: ...` line."""

    exit_code = 2


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--fail-on",
    type=click.Choice(["warn", "fail"]),
    default="fail",
    show_default=True,
    help="Exit with 1 when a finding is at least this bad.",
)
@click.option(
    "--sshd-config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The SSH server's configuration to check (default: /etc/ssh/sshd_config).",
)
@click.option(
    "--probe",
    is_flag=True,
    help="Also request the running hub's own URL and grade what it sends back.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Do not ask the vulnerability database (that check then says: not checked).",
)
@config_option
def check(
    config_dir: Path,
    as_json: bool,
    fail_on: str,
    sshd_config: Path | None,
    probe: bool,
    offline: bool,
) -> None:
    """Check this installation against the security checklist and grade it (A+ to F).

    Reads the configuration, its files, the database (read-only) and the host; works whether
    or not the hub is running and never prints a secret. Exit code 0: nothing at or above
    --fail-on; 1: something is; 2: usage error.
    """
    from hearth.check.context import CheckContext, Host, Options
    from hearth.check.model import Severity
    from hearth.check.runner import run_checks

    if not config_dir.is_dir():
        raise CheckUsageError(
            f"Configuration directory '{config_dir}' does not exist or is not a directory; "
            "run `hearth init-demo` or pass -c DIR."
        )
    host = Host() if sshd_config is None else Host(sshd_config=sshd_config.absolute())
    ctx = CheckContext(
        config_dir, where="cli", host=host, options=Options(probe=probe, offline=offline)
    )
    report = run_checks(ctx)
    if as_json:
        click.echo(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(report.text())
    if report.reaches(Severity(fail_on)):
        raise SystemExit(1)
