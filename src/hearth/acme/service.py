"""Run orders (for the hub and for `hearth cert acme`) and renew in the background.

The hub checks at start and every 12 hours. A failed order keeps the certificate being served,
logs one line, is recorded for `hearth check`, and the next order for the same names waits an
hour, then longer (hearth.acme.state). The order itself runs in a daemon thread: the library
blocks, and a hub asked to stop must not wait for a CA.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cryptography import x509

from hearth import const
from hearth.acme.challenges import ChallengeStore
from hearth.acme.files import AcmePaths, OrderInProgress
from hearth.acme.listeners import ChallengeListeners, standard_port
from hearth.acme.order import AcmeFailure, Issued, OrderRequest, Progress, run_order
from hearth.acme.state import Failure, OrderState, order_key, renewal_reason
from hearth.certs.validate import key_description, when

if TYPE_CHECKING:
    from aiohttp import web

    from hearth.config.schema import HttpSection
    from hearth.http.tls.reload import CertificateReloader

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")


class RateLimited(Exception):
    """The last order for these names failed too recently to try again."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(
            f"the last order for {', '.join(failure.domains)} failed at {when(failure.at)} "
            f"({failure.reason}); to stay within the CA's rate limits the next one waits until "
            f"{when(failure.retry_at())}"
        )
        self.failure = failure


@dataclass(frozen=True, slots=True)
class Where:
    """Where to listen for the CA during an order besides the hub's own listeners."""

    hosts: tuple[str, ...]
    ports: tuple[int, ...]
    host_allowed: Callable[[str], bool] | None
    required: tuple[int, ...] = ()  # ports that must be bound (the CLI standing in for the hub)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def current_certificate(paths: AcmePaths) -> x509.Certificate | None:
    """The leaf of acme/certificate.pem, or None when missing or unreadable."""
    try:
        return x509.load_pem_x509_certificates(paths.certificate.read_bytes())[0]
    except (OSError, ValueError, IndexError):
        return None


def extra_ports(http: HttpSection) -> tuple[int, ...]:
    """The standard port of the challenge, unless the hub already serves on it."""
    port = standard_port(http.acme.challenge) if http.acme is not None else None
    return () if port is None or port == http.server_port else (port,)


async def in_daemon_thread(function: Callable[[], T]) -> T:
    """`function()` in a daemon thread: awaitable, and never holding up the process's exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            result, error = function(), None
        except BaseException as err:  # handed to the awaiting task
            result, error = None, err
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="acme-order", daemon=True).start()
    return await future


async def order(
    config_dir: Path,
    http: HttpSection,
    *,
    progress: Progress,
    where: Where | None = None,
    directory: str | None = None,
    dry_run: bool = False,
    now: Callable[[], datetime] = utc_now,
    trust: Path | None = None,
) -> Issued:
    """One order, rate-limited and locked; writes the pair unless `dry_run`.

    Raises RateLimited, OrderInProgress (hearth.acme.files), AcmeFailure, or OSError from a
    `required` listener.
    """
    if http.acme is None:
        raise AcmeFailure("there is no acme: section under http: in the configuration")
    paths = AcmePaths.in_config(config_dir)
    request = OrderRequest.from_section(http.acme, directory)
    if request.ca_bundle is None and trust is not None:  # the public CAs, held open
        request = dataclasses.replace(request, ca_bundle=trust)
    key = order_key(request.directory, request.domains)
    state = OrderState(paths)
    failure = state.failure(key)
    if failure is not None and now() < failure.retry_at():
        raise RateLimited(failure)
    store = ChallengeStore(paths, tls_alpn=request.challenge == "tls-alpn-01")
    stop = threading.Event()
    with paths.order_lock():
        listeners = ChallengeListeners()
        try:
            if where is not None and where.ports:
                await listeners.open(
                    where.hosts,
                    where.ports,
                    store,
                    where.host_allowed,
                    required=where.required,
                )
            issued = await in_daemon_thread(
                lambda: run_order(request, paths, store, progress=progress, stop=stop)
            )
        except AcmeFailure as err:
            state.record_failure(key, request.domains, now(), str(err))
            raise
        finally:
            stop.set()
            await listeners.close()
        state.record_success(key)
        if not dry_run:
            # Key first: a hub polling for changes then sees a pair once the certificate lands.
            paths.write(paths.key, issued.key)
            paths.write(paths.certificate, issued.fullchain)
    return issued


class AcmeService:
    """The hub's renewals: at start, every 12 hours, and sooner after a failure."""

    def __init__(
        self,
        config_dir: Path,
        http: HttpSection,
        tls: CertificateReloader,
        host_allowed: Callable[[str], bool] | None,
        trust: Path | None = None,
    ) -> None:
        if http.acme is None:
            raise ValueError("AcmeService needs an acme: section")
        self._config_dir = config_dir
        self._http = http
        self._acme = http.acme
        self._tls = tls
        self._paths = AcmePaths.in_config(config_dir)
        self.store = ChallengeStore(self._paths, tls_alpn=self._acme.challenge == "tls-alpn-01")
        self._where = Where(tuple(http.server_host), extra_ports(http), host_allowed)
        self._trust = trust  # the public CAs' bundle, when the hub gave root up (bootstrap)

    async def run(self) -> None:
        """Check now, then again when due, until cancelled."""
        while True:
            try:
                wait = await self.check()
            except Exception:
                _LOGGER.exception("ACME: the renewal check failed")
                wait = const.ACME_FAILURE_SPACING
            await asyncio.sleep(wait)

    async def check(self) -> float:
        """Renew if due and allowed; the seconds until the next check."""
        current = current_certificate(self._paths)
        now = utc_now()
        reason = renewal_reason(current, list(self._acme.domains), now, self._acme.renew_before)
        if reason is None:
            return const.ACME_CHECK_INTERVAL
        names = ", ".join(self._acme.domains)
        try:
            issued = await order(
                self._config_dir,
                self._http,
                progress=_LOGGER.debug,
                where=self._where,
                trust=self._trust,
            )
        except RateLimited as limited:
            wait = (limited.failure.retry_at() - now).total_seconds()
            return max(1.0, min(wait, const.ACME_CHECK_INTERVAL))
        except AcmeFailure as err:
            serving = (
                f"still serving the previous certificate (expires {when(self._tls.pair.not_after)})"
                if self._tls.pair is not None
                else "HTTPS handshakes are refused until a certificate is obtained"
            )
            failure = OrderState(self._paths).failure(
                order_key(self._acme.directory, list(self._acme.domains))
            )
            retry = f"; next try after {when(failure.retry_at())}" if failure else ""
            # One line: what, why in the CA's words, what is served meanwhile, when next.
            _LOGGER.error(
                "ACME: could not obtain a certificate for %s (%s): %s; %s%s",
                names,
                reason,
                err,
                serving,
                retry,
            )
            return const.ACME_FAILURE_SPACING
        except OrderInProgress as err:
            _LOGGER.info("ACME: %s", err)
            return const.ACME_FAILURE_SPACING
        self._tls.reload()
        _LOGGER.info(
            "ACME: obtained a certificate for %s (%s, expires %s); serving it to new connections",
            names,
            key_description(issued.certificate),
            when(issued.certificate.not_valid_after_utc),
        )
        return const.ACME_CHECK_INTERVAL


def setup(
    app: web.Application,
    config_dir: Path,
    http: HttpSection,
    tls: CertificateReloader | None,
    host_allowed: Callable[[str], bool] | None = None,
    *,
    trust: Path | None = None,
) -> AcmeService | None:
    """The renewal service for an `acme:` hub (its challenge answers attached to `app`)."""
    from hearth.http.acme_challenge import KEY_ACME_CHALLENGES
    from hearth.http.host_check import KEY_ALLOWED_HOSTS

    if http.acme is None or tls is None:
        return None
    hosts = app.get(KEY_ALLOWED_HOSTS)
    allowed = host_allowed or (hosts.allows if hosts is not None else None)
    service = AcmeService(config_dir, http, tls, allowed, trust)
    app[KEY_ACME_CHALLENGES] = service.store
    return service
