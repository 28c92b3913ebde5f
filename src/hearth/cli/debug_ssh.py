"""`hearth debug-ssh`: the SSH debug console's host key."""

from __future__ import annotations

from pathlib import Path

import click

from hearth.cli.common import config_option


@click.group("debug-ssh")
def debug_ssh() -> None:
    """The SSH debug console (see docs/debug-console.md)."""


@debug_ssh.command("fingerprint")
@config_option
def fingerprint(config_dir: Path) -> None:
    """Print the console's host key fingerprint (SHA256:...), to compare on first connection."""
    from hearth.debug_ssh.files import host_key_path
    from hearth.debug_ssh.host_key import fingerprint as key_fingerprint
    from hearth.debug_ssh.host_key import read_host_key
    from hearth.exceptions import ConfigError

    try:
        key = read_host_key(config_dir)
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    if key is None:
        raise click.ClickException(
            f"There is no host key yet ({host_key_path(config_dir)}): set `debug_ssh: enabled: "
            "true` in configuration.yaml and start the hub once; it creates the key."
        )
    click.echo(key_fingerprint(key))
