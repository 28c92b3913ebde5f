"""`acme`: with http: acme:, a certificate was obtained, and the last renewal did not fail."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from hearth import const
from hearth.acme.files import AcmePaths
from hearth.acme.service import current_certificate
from hearth.acme.state import OrderState, order_key, renewal_reason
from hearth.certs.validate import when
from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, Rule, Severity

_SOURCE = "RFC 8555 (ACME); Let's Encrypt's rate limits: failed validations count against them"
_TRY = (
    "Fix what the reason names (a DNS name that points at the hub, port 80 or 443 forwarded "
    "to it, or the dns_hook), then prove it against the staging CA with "
    "`hearth -c {config_dir} cert acme --dry-run`"
)

NO_CERTIFICATE = Rule(
    "acme.no_certificate",
    Severity.FAIL,
    "No ACME certificate yet: HTTPS handshakes are refused",
    _SOURCE,
    "Start the hub, or run `hearth -c {config_dir} cert acme` to see each step; " + _TRY,
)
ORDER_FAILED = Rule(
    "acme.order_failed",
    Severity.WARN,
    "The last certificate order failed",
    _SOURCE,
    _TRY,
)
STAGING = Rule(
    "acme.staging",
    Severity.WARN,
    "The certificate comes from Let's Encrypt's staging CA",
    "Let's Encrypt: staging certificates are signed by roots no browser or app trusts",
    "Once `hearth -c {config_dir} cert acme --dry-run` succeeds, remove `directory:` under "
    "acme: (production is the default) and run `hearth -c {config_dir} cert acme --force-renew`",
)


def run(ctx: CheckContext) -> Iterator[Finding]:
    """Whether a certificate is there and good, and whether the last order failed."""
    acme = ctx.config.http.acme
    if acme is None:
        return
    values = {"config_dir": ctx.shown_dir}
    paths = AcmePaths.in_config(ctx.config_dir)
    names = ", ".join(acme.domains)
    current = current_certificate(paths)
    if current is None or ctx.now >= current.not_valid_after_utc:
        why = "none was issued yet" if current is None else "the certificate has expired"
        yield NO_CERTIFICATE.found(f"{names}: {why} ({paths.certificate})", **values)
    if acme.directory == const.ACME_LETSENCRYPT_STAGING:
        yield STAGING.found("http: acme: directory is Let's Encrypt's staging URL", **values)
    failure = OrderState(paths).failure(order_key(acme.directory, list(acme.domains)))
    if failure is not None:
        server = urlsplit(acme.directory).hostname or acme.directory
        due = renewal_reason(current, list(acme.domains), ctx.now, acme.renew_before)
        serving = (
            ""
            if current is None
            else "; serving the certificate valid until " + when(current.not_valid_after_utc)
        )
        yield ORDER_FAILED.found(
            f"{failure.count} failed order(s) in a row at {server}, the last at "
            f"{when(failure.at)}: {failure.reason}{serving}; renewal "
            f"{'is due: ' + due if due else 'is not due yet'}; next try after "
            f"{when(failure.retry_at())}",
            **values,
        )


CHECK = Check("acme", "ACME certificate", (NO_CERTIFICATE, ORDER_FAILED, STAGING), run)
