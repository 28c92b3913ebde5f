"""The `hearth` command line."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click

from hearth import __version__
from hearth.cli.audit import audit
from hearth.cli.ban import ban
from hearth.cli.cert import cert
from hearth.cli.check import check
from hearth.cli.common import CONFIG_PATH, config_option, run_config_option
from hearth.cli.mfa import mfa_reset
from hearth.cli.recorder import recorder
from hearth.cli.tokens import token
from hearth.cli.users import user
from hearth.exceptions import ConfigError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
def run(config_dir: Path, log_level: str) -> None:
    """Start the hub and serve until stopped (Ctrl-C or SIGTERM)."""
    from hearth import bootstrap

    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT, stream=sys.stderr)
    try:
        asyncio.run(bootstrap.run(config_dir))
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


@main.command("init-demo")
@config_option
def init_demo(config_dir: Path) -> None:
    """Create a demo configuration in the config directory, unless one is already there."""
    from hearth.config import write_demo_config

    if write_demo_config(config_dir):
        click.echo(f"Created a demo configuration in {config_dir}/", err=True)
    else:
        click.echo(f"Using the existing configuration in {config_dir}/", err=True)


main.add_command(user)
user.add_command(mfa_reset)
main.add_command(audit)
main.add_command(token)
main.add_command(ban)
main.add_command(cert)
main.add_command(check)
main.add_command(recorder)
