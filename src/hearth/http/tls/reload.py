"""Serve a renewed certificate without a restart: new connections get it, open ones keep theirs."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hearth import const
from hearth.certs.validate import CertificatePair, CertificateProblem
from hearth.exceptions import ConfigError
from hearth.http.tls.profiles import TlsSettings, build_context, expiry_warning, new_context

_LOGGER = logging.getLogger(__name__)

# Per file: (device, inode, size, mtime in ns); catches in-place writes and replaced symlinks.
Signature = tuple[tuple[int, int, int, int], ...]
_MISSING = (0, 0, -1, 0)


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def signature(paths: tuple[Path, ...]) -> Signature:
    """What the files look like now, following symlinks (certbot's live/ files are links)."""
    result = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            result.append(_MISSING)
        else:
            result.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(result)


class CertificateReloader:
    """Owns the server's SSLContext and swaps in a new one when the files change.

    asyncio gives every new connection the context the server was started with, so that
    context never changes. Its SNI callback, which OpenSSL calls for every ClientHello (with or
    without a server name) before the certificate is chosen, moves the connection to the
    current context. Open connections keep the context, and certificate, they started with.
    Every context is built by the same function, so protocol versions, suites and groups are
    the same whichever context a connection ends up on.

    With ACME (`settings.managed`) the files may not be there yet, or be expired: the server
    then starts with a context that has no certificate, so every handshake fails (no
    certificate a visitor could click through), until ACME writes a good pair.
    """

    def __init__(self, settings: TlsSettings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._settings = settings
        self._clock = clock
        self._loaded = self._seen = signature(settings.files)
        self._rejected: Signature | None = None
        self.pair: CertificatePair | None = None
        try:
            context, pair = build_context(settings, clock())
        except CertificateProblem as err:
            if not settings.managed:
                raise
            context = new_context(settings.profile)
            self._rejected = self._loaded
            _LOGGER.info(
                "TLS: no usable ACME certificate yet (%s); HTTPS handshakes are refused until "
                "the hub has obtained one",
                err if signature(settings.files[:2]) != (_MISSING, _MISSING) else "none issued",
            )
        else:
            self.pair = pair
        self.server_context = context
        self._current = context
        context.sni_callback = self._select_current
        self._warned_at = self._warned_on_load(self.pair)

    @property
    def current_context(self) -> ssl.SSLContext:
        """The context new connections are moved to."""
        return self._current

    def _select_current(
        self, ssl_object: ssl.SSLObject, _server_name: str | None, context: ssl.SSLContext
    ) -> None:
        current = self._current
        if current is not context:
            ssl_object.context = current

    def check(self) -> bool:
        """One poll; reload once the files changed and then stayed unchanged for a poll.

        Waiting for one quiet poll means a certificate and key written one after the other are
        read as a pair, not as a new certificate with the old key.
        """
        now = signature(self._settings.files)
        previous, self._seen = self._seen, now
        if now in (self._loaded, self._rejected) or now != previous:
            return False
        return self._load(now)

    def reload(self) -> bool:
        """Load the files now, without waiting for a quiet poll (ACME has just written them)."""
        now = self._seen = signature(self._settings.files)
        return self._load(now)

    def _load(self, now: Signature) -> bool:
        try:
            context, pair = build_context(self._settings, self._clock())
        except CertificateProblem as err:
            if signature(self._settings.files) != now:
                return False  # changed while we read it: try again at the next poll
            self._rejected = now
            _LOGGER.error(
                "TLS certificate not reloaded: %s; %s",
                err,
                "still refusing HTTPS handshakes"
                if self.pair is None
                else f"still serving the previous one ({self.pair.describe()})",
            )
            return False
        if signature(self._settings.files) != now:
            return False
        self._current, self.pair, self._loaded = context, pair, now
        self._warned_at = self._warned_on_load(pair)
        _LOGGER.info(
            "TLS certificate reloaded from %s (%s); open connections keep the previous one",
            self._settings.certificate,
            pair.describe(),
        )
        return True

    def _warned_on_load(self, pair: CertificatePair | None) -> datetime | None:
        """build_context has just warned about an expiring pair: the daily reminder waits."""
        now = self._clock()
        return now if pair is not None and expiry_warning(pair, now) is not None else None

    def warn_if_expiring(self) -> None:
        """Log a warning at most once a day while the certificate is about to expire."""
        now = self._clock()
        if self.pair is None:
            return
        if self._warned_at is not None and now - self._warned_at < timedelta(days=1):
            return
        warning = expiry_warning(self.pair, now)
        if warning is not None:
            self._warned_at = now
            _LOGGER.warning("TLS: %s", warning)

    async def watch(self, interval: float = const.TLS_RELOAD_INTERVAL) -> None:
        """Poll the files until cancelled (a few stat calls per interval)."""
        while True:
            await asyncio.sleep(interval)
            try:
                self.check()
                self.warn_if_expiring()
            except Exception:
                _LOGGER.exception("TLS certificate check failed")


def load_tls(settings: TlsSettings | None) -> CertificateReloader | None:
    """The reloader for the configured pair, or None without TLS; problems are ConfigErrors."""
    if settings is None:
        return None
    try:
        return CertificateReloader(settings)
    except CertificateProblem as err:
        raise ConfigError(str(err), file=const.CONFIG_FILE, key=f"http.{err.field}") from None
