"""`hearth ban`: list, add and lift IP bans; a running hub applies changes within a second."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from hearth import const
from hearth.bans.manager import BanManager
from hearth.bans.policy import BanPolicy
from hearth.cli.common import config_option
from hearth.cli.users import echo_table, open_auth
from hearth.config.duration import DURATION_FORMS, format_duration, parse_duration
from hearth.exceptions import HearthError
from hearth.http.network import LOCAL_NETWORKS


def cli_policy(config_dir: Path) -> BanPolicy:
    """The hub's ban policy from configuration.yaml; the defaults if it cannot be read."""
    from hearth.config import load_config
    from hearth.http.ban import ban_policy

    defaults = BanPolicy(local_networks=LOCAL_NETWORKS)
    if not (config_dir / const.CONFIG_FILE).exists():
        return defaults
    try:
        return ban_policy(load_config(config_dir).http)
    except HearthError as err:
        click.echo(f"Note: the default ban settings apply; {err.message}", err=True)
        return defaults


@contextmanager
def open_bans(config_dir: Path) -> Iterator[BanManager]:
    """The ban manager of a config dir (Home Assistant's ip_bans.yaml imported once)."""
    with open_auth(config_dir) as auth:
        bans = BanManager(auth.db, cli_policy(config_dir))
        asyncio.run(bans.import_home_assistant(config_dir))
        yield bans


def _when(timestamp: float | None, never: str) -> str:
    if timestamp is None:
        return never
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = parse_duration(value)
    except ValueError:
        raise click.BadParameter(f"expected a duration: {DURATION_FORMS}") from None
    if seconds <= 0:
        raise click.BadParameter("expected a duration longer than zero")
    return seconds


@click.group()
def ban() -> None:
    """List, add and lift IP bans."""


@ban.command("list")
@config_option
def list_bans(config_dir: Path) -> None:
    """List the bans in force, oldest first."""
    with open_bans(config_dir) as bans:
        records = bans.list()
    if not records:
        click.echo("No bans.", err=True)
        return
    rows = [
        (
            r.client,
            _when(r.banned_at, "-"),
            _when(r.expires_at, "never"),
            str(r.offences),
            r.source,
            r.reason or "-",
        )
        for r in records
    ]
    echo_table(("ADDRESS", "BANNED", "EXPIRES", "OFFENCES", "SOURCE", "REASON"), rows)


@ban.command("add")
@click.argument("address")
@click.option(
    "--duration",
    callback=_duration,
    default=None,
    help="How long, such as 90m, 12h or 30d (default: permanent).",
)
@click.option("--reason", default="", help="A note shown by `hearth ban list`.")
@config_option
def add_ban(config_dir: Path, address: str, duration: float | None, reason: str) -> None:
    """Ban an IP address; a remote IPv6 address bans its whole /64."""
    with open_bans(config_dir) as bans:
        try:
            record = asyncio.run(bans.ban(address, seconds=duration, source="cli", reason=reason))
        except ValueError:
            raise click.ClickException(
                "Expected an IP address or an IPv6 /64 network, such as 192.0.2.7 or "
                "2001:db8:1:2::/64."
            ) from None
    length = "permanently" if duration is None else f"for {format_duration(duration)}"
    click.echo(f"Banned {record.client} {length}.")
    if bans.policy.key_allowed(record.key):
        click.echo(
            f"Note: {record.client} is on http: ip_ban_allowlist, so the hub does not apply this "
            "ban.",
            err=True,
        )


@ban.command("remove")
@click.argument("address")
@config_option
def remove_ban(config_dir: Path, address: str) -> None:
    """Lift the ban of an IP address (a remote IPv6 address lifts the ban of its /64)."""
    with open_bans(config_dir) as bans:
        try:
            lifted = asyncio.run(bans.unban(address))
        except ValueError:
            raise click.ClickException("Expected an IP address or an IPv6 /64 network.") from None
    if lifted is None:
        raise click.ClickException("This address is not banned; see `hearth ban list`.")
    click.echo(f"Lifted the ban of {lifted.client}.")
