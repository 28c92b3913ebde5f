"""`hearth cert acme`: one order on demand, beside a running hub or standing in for it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import click

from hearth import const
from hearth.acme.files import AcmePaths, OrderInProgress
from hearth.acme.order import AcmeFailure
from hearth.acme.service import RateLimited, Where, current_certificate, extra_ports, order
from hearth.acme.state import renewal_reason
from hearth.certs.validate import key_description, when
from hearth.config import read_config
from hearth.config.lock import InstanceLock
from hearth.exceptions import ConfigError
from hearth.http.host_check import AllowedHosts


@contextlib.contextmanager
def _hub_stopped(config_dir: Path) -> Iterator[bool]:
    """True (holding the hub's lock, so none starts meanwhile) when no hub is running."""
    try:
        lock = InstanceLock.acquire(config_dir)
    except ConfigError:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def run_acme_command(
    config_dir: Path, *, force_renew: bool, dry_run: bool, echo: Callable[[str], None]
) -> None:
    """Order (or explain why not); ClickException with one line when it fails."""
    try:
        config = read_config(config_dir).config
    except ConfigError as err:
        raise click.ClickException(str(err)) from None
    http = config.http
    if http.acme is None:
        raise click.ClickException(
            f"{const.CONFIG_FILE} has no `acme:` section under `http:`; add one with `domains:` "
            "(see docs/tls.md)"
        )
    acme = http.acme
    paths = AcmePaths.in_config(config_dir)
    current = current_certificate(paths)
    now = datetime.now(UTC)
    reason = renewal_reason(current, list(acme.domains), now, acme.renew_before)
    if reason is None and current is not None and not (force_renew or dry_run):
        echo(
            f"The certificate for {', '.join(acme.domains)} is good until "
            f"{when(current.not_valid_after_utc)}; nothing is due (--force-renew orders anyway)."
        )
        return
    directory = acme.directory
    if dry_run and directory == const.ACME_LETSENCRYPT:
        directory = const.ACME_LETSENCRYPT_STAGING
    echo(f"Why: {reason or 'asked to (--force-renew)'}" + (" (dry run)" if dry_run else ""))
    allowed = AllowedHosts.from_config(http).allows
    with _hub_stopped(config_dir) as stopped:
        where = Where(tuple(http.server_host), extra_ports(http), allowed)
        if stopped and acme.challenge != "dns-01":
            echo(f"The hub is not running: answering the CA on port {http.server_port} meanwhile")
            ports = (http.server_port, *where.ports)
            where = Where(where.hosts, ports, allowed, required=(http.server_port,))
        try:
            issued = asyncio.run(
                order(
                    config_dir,
                    http,
                    progress=echo,
                    where=where,
                    directory=directory,
                    dry_run=dry_run,
                )
            )
        except (AcmeFailure, RateLimited, OrderInProgress) as err:
            raise click.ClickException(str(err)) from None
        except OSError as err:
            raise click.ClickException(
                f"cannot listen on port {http.server_port} for the CA: "
                f"{(err.strerror or str(err)).lower()}"
            ) from None
    leaf = issued.certificate
    summary = f"{key_description(leaf)}, valid until {when(leaf.not_valid_after_utc)}"
    if dry_run:
        echo(f"Dry run succeeded: {directory} issued a certificate ({summary}); nothing was saved.")
        return
    echo(f"Saved {paths.certificate} and its new key ({summary}, mode 0600).")
    echo(
        "The hub serves it when it starts."
        if stopped
        else "The running hub serves it to new connections within seconds; open ones keep theirs."
    )
