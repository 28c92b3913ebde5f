"""`hearth user mfa-reset`: remove a user's second factor when their device is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from hearth.auth.mfa.manager import MfaManager
from hearth.auth.passkeys.manager import PasskeyManager
from hearth.cli.common import config_option
from hearth.cli.users import open_auth


@click.command("mfa-reset")
@click.argument("username")
@config_option
def mfa_reset(config_dir: Path, username: str) -> None:
    """Remove a user's authenticator, recovery codes and passkeys (for a lost device)."""
    with open_auth(config_dir) as auth:
        found = auth.get_user_by_username(username)
        if found is None:
            raise click.ClickException("No such user; see `hearth user list`.")
        # Access to the host's configuration directory is the authority here: no code is asked.
        removed = asyncio.run(MfaManager(auth.db).disable(found.id, by="cli"))
        passkeys = asyncio.run(PasskeyManager(auth.db).remove_all(found, by="cli"))
    if passkeys:
        click.echo(f"Removed {passkeys} passkey(s) of '{found.username}'.")
    if not removed and not passkeys:
        click.echo(f"User '{found.username}' has no MFA set up; nothing to reset.", err=True)
        return
    if not removed:
        return
    click.echo(
        f"Removed MFA for '{found.username}'. If MFA is required for them, they set it up again "
        "at their next login."
    )
