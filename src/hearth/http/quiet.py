"""Keep aiohttp's reports of malformed requests out of the error log."""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError


class MalformedRequestFilter(logging.Filter):
    """A client that sends garbage is not a server error: no traceback, one short debug line.

    Threat: log flooding. Without this, every malformed request writes a full traceback at ERROR
    level, so anyone on the network could fill the disk and bury real problems.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        # RequestPayloadError: a body that does not decode (a broken Content-Encoding), which
        # aiohttp raises again while it drains the rest of the body after the answer.
        if not isinstance(exc, HttpProcessingError | RequestPayloadError):
            return True
        record.levelno = logging.DEBUG
        record.levelname = "DEBUG"
        record.exc_info = None
        record.exc_text = None
        record.msg = "Rejected a malformed request (%s %s)"
        record.args = (getattr(exc, "code", 400), exc.__class__.__name__)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def install() -> None:
    """Attach the filter to aiohttp's server logger (idempotent)."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequestFilter) for f in logger.filters):
        logger.addFilter(MalformedRequestFilter())
