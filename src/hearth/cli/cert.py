"""`hearth cert`: certificates for serving HTTPS."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from hearth import const
from hearth.certs.authority import (
    AuthorityProblem,
    Hosts,
    Issued,
    fingerprint,
    write_private,
    write_self_signed,
)
from hearth.certs.configure import CannotEdit, set_http_keys
from hearth.certs.validate import when
from hearth.cli.common import config_option

TRUST_STEPS = """\
Trust the CA once on every device that connects, and check that it shows the fingerprint above:
  iPhone, iPad: send {ca} to the device (AirDrop or mail) and open it; install the profile in
    Settings > General > VPN & Device Management, then turn on full trust for it in
    Settings > General > About > Certificate Trust Settings.
  Android: Settings > Security > Encryption & credentials > Install a certificate >
    CA certificate, then choose {ca}.
  Firefox: Settings > Privacy & Security > Certificates > View Certificates > Authorities >
    Import, and tick "Trust this CA to identify websites".
  Chrome, Edge, Safari: add it to the system's trust store. macOS: open it in Keychain Access
    (System keychain) and set "When using this certificate" to "Always Trust". Windows:
    certmgr.msc > Trusted Root Certification Authorities > Import. Linux (Chrome):
    certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n Hearth -i {ca}
Keep {ca_key} private: whoever has it can issue certificates for these hosts."""


@click.group()
def cert() -> None:
    """Certificates for HTTPS."""


@cert.command("self-signed")
@click.option(
    "--host",
    "hosts",
    multiple=True,
    required=True,
    help="A DNS name or IP address clients use to reach the hub (repeat for each).",
)
@click.option(
    "--new-ca",
    is_flag=True,
    help="Replace the local CA (devices must then trust the new one).",
)
@config_option
def self_signed(config_dir: Path, hosts: tuple[str, ...], new_ca: bool) -> None:
    """Create a local CA and an ECDSA server certificate, and turn HTTPS on.

    The CA (made once, then reused) may only certify the hosts given. The server certificate
    is valid for 90 days; run the command again to renew it, and a running hub switches to the
    new certificate within seconds. configuration.yaml gets http: ssl_certificate and ssl_key.
    """
    if not config_dir.is_dir():
        raise click.ClickException(
            f"Configuration directory '{config_dir}' does not exist; "
            "run `hearth init-demo` or create it."
        )
    try:
        wanted = Hosts.parse(list(hosts))
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--host") from None
    config_path = _config_path(config_dir)
    values = {
        "ssl_certificate": f"{const.TLS_DIR}/server.crt",
        "ssl_key": f"{const.TLS_DIR}/server.key",
    }
    try:
        old_text = config_path.read_text(encoding="utf-8") if config_path.exists() else ""
        new_text = set_http_keys(old_text, values)
    except (OSError, UnicodeDecodeError, CannotEdit) as err:
        raise click.ClickException(
            f"cannot update {const.CONFIG_FILE} ({_reason(err)}); nothing was created. Fix the "
            "file, or create the certificate and add these lines to its http: section yourself: "
            + "; ".join(f"{key}: {value}" for key, value in values.items())
        ) from None
    try:
        issued = write_self_signed(
            config_dir / const.TLS_DIR, wanted, now=datetime.now(UTC), new_ca=new_ca
        )
    except (AuthorityProblem, OSError) as err:
        raise click.ClickException(_reason(err)) from None
    if new_text != old_text:
        _write_config(config_path, new_text)
    _report(config_dir, issued, wanted, changed=new_text != old_text)


def _config_path(config_dir: Path) -> Path:
    """configuration.yaml, or the file it links to inside the config dir."""
    path = config_dir / const.CONFIG_FILE
    return path.resolve() if path.is_symlink() else path


def _write_config(path: Path, text: str) -> None:
    """Replace the file atomically, keeping its permissions (0600 for a new file)."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    write_private(path, text.encode("utf-8"))
    os.chmod(path, mode)


def _reason(err: Exception) -> str:
    if isinstance(err, OSError):
        return f"{err.strerror or type(err).__name__}: {err.filename}".lower()
    return str(err)


def _report(config_dir: Path, issued: Issued, hosts: Hosts, *, changed: bool) -> None:
    shown = [str(path.relative_to(config_dir)) for path in (issued.ca_certificate, issued.key)]
    ca, key = shown
    if issued.ca_created:
        click.echo(f"Created a local certificate authority: {ca}")
    else:
        click.echo(f"Using the existing local certificate authority: {ca}")
    click.echo(f"  SHA-256 fingerprint: {fingerprint(issued.ca)}")
    names = ", ".join([*hosts.names, *map(str, hosts.addresses)])
    click.echo(
        f"Issued an ECDSA P-256 server certificate for {names}, valid until "
        f"{when(issued.server.not_valid_after_utc)}:"
    )
    click.echo(f"  {issued.certificate.relative_to(config_dir)} (key {key}, mode 0600)")
    if changed:
        click.echo(f"{const.CONFIG_FILE}: http: ssl_certificate and ssl_key now point to it.")
    if issued.ca_created:
        click.echo("")
        click.echo(TRUST_STEPS.format(ca=ca, ca_key=f"{const.TLS_DIR}/ca.key"))
    else:
        click.echo("Devices that already trust this CA need nothing new.")
    click.echo("")
    click.echo("Renew before it expires by running this command again; a running hub picks up")
    click.echo("the new certificate within seconds, without a restart.")


@cert.command("acme")
@click.option(
    "--force-renew",
    is_flag=True,
    help="Order a new certificate even when the current one is not due for renewal.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Order from Let's Encrypt's staging CA (or the configured CA when it is not Let's "
    "Encrypt) and keep nothing: proves the setup without using up production rate limits.",
)
@config_option
def acme(config_dir: Path, force_renew: bool, dry_run: bool) -> None:
    """Obtain or renew the ACME certificate now (http: acme:), showing each step.

    The hub does this by itself at start and every 12 hours. With the hub running, it answers
    the CA's challenges and serves the new certificate to new connections within seconds;
    with the hub stopped, this command listens on the hub's port for the challenge itself.
    After a failed order for the same names it waits (an hour, then longer) instead of asking
    the CA again. Exit code 0: done, or nothing due; 1: the order failed.
    """
    from hearth.acme.cli_run import run_acme_command

    run_acme_command(config_dir, force_renew=force_renew, dry_run=dry_run, echo=click.echo)
