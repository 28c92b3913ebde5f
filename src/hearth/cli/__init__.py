"""The `hearth` command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from hearth import __version__
from hearth.cli.common import CONFIG_PATH, LazyGroup, config_option, run_config_option
from hearth.cli.logs import log_through_queue
from hearth.exceptions import ConfigError, PrivilegeError


@click.group(
    cls=LazyGroup,
    # Imported when used: a CLI call starts in a fraction of the time, beside a running hub.
    lazy={
        "audit": "hearth.cli.audit:audit",
        "ban": "hearth.cli.ban:ban",
        "cert": "hearth.cli.cert:cert",
        "check": "hearth.cli.check:check",
        "recorder": "hearth.cli.recorder:recorder",
        "debug-ssh": "hearth.cli.debug_ssh:debug_ssh",
        "token": "hearth.cli.tokens:token",
        "user": "hearth.cli.users:user",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "-c",
    "--config",
    "config_dir",
    type=CONFIG_PATH,
    default=None,
    help="Configuration directory (default: ./config).",
)
@click.version_option(__version__, prog_name="hearth")
def main(config_dir: Path | None) -> None:
    """Hearth: a local-first home-automation hub, secure by default."""


@main.command()
@run_config_option
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="How much to log (to stderr).",
)
@click.option(
    "--user",
    metavar="NAME",
    default=None,
    help="Started as root: switch to this user and its groups once the ports are bound.",
)
@click.option(
    "--allow-root",
    is_flag=True,
    help="Keep running as root (only in a container that isolates the hub); warns at each start.",
)
def run(config_dir: Path, log_level: str, user: str | None, allow_root: bool) -> None:
    """Start the hub and serve until stopped (Ctrl-C or SIGTERM)."""
    from hearth import bootstrap
    from hearth.privileges import plan

    try:
        run_as = plan(user, allow_root)
        # Before the logging thread starts: what prepare() sets is per thread and inherited only
        # by threads started after it (hearth.privileges.drop.limit_inheritance).
        run_as.prepare()
    except PrivilegeError as err:
        raise click.ClickException(str(err)) from None
    listener = log_through_queue(log_level.upper())
    try:
        asyncio.run(bootstrap.run(config_dir, run_as))
    except (ConfigError, PrivilegeError) as err:
        raise click.ClickException(str(err)) from None
    finally:
        listener.stop()


@main.command("init-demo")
@config_option
def init_demo(config_dir: Path) -> None:
    """Create a demo configuration in the config directory, unless one is already there."""
    from hearth.config import write_demo_config

    if write_demo_config(config_dir):
        click.echo(f"Created a demo configuration in {config_dir}/", err=True)
    else:
        click.echo(f"Using the existing configuration in {config_dir}/", err=True)
