"""Refuse request targets that only an attack would send: control bytes, path traversal."""

from __future__ import annotations

import logging
import unicodedata
from typing import Final
from urllib.parse import unquote

from aiohttp import web

from hearth.http.errors import error_response
from hearth.http.log_limit import LogLimiter
from hearth.http.network import peer_ip
from hearth.http.refusals import Refusal

_LOGGER = logging.getLogger(__name__)

# Percent-decoding rounds before a target counts as suspiciously deep (%25252e...).
MAX_DECODE_ROUNDS: Final = 4
_LOGGED_TARGET: Final = 120  # characters of a refused target that reach the log
_WARNED: Final = LogLimiter()
MALFORMED_TARGET: Final = Refusal(400, "Malformed request target.", close=True)

# Everything that separates path segments or query items, for any server or file system a
# target might reach: `..;/` (Tomcat), `..\` (Windows), `?x=..` and `&x=..` (file parameters).
_SEPARATORS: Final = str.maketrans(dict.fromkeys("\\?&=;#", "/"))


def _has_dot_dot_segment(text: str) -> bool:
    """Whether some segment of `text` is exactly `..`; linear time, no regex."""
    if ".." not in text:
        return False
    return ".." in text.translate(_SEPARATORS).split("/")


def target_problem(target: str) -> str | None:
    """Why the raw request target must be refused, or None. Pure and linear in the length."""
    # Fast path, which nearly every request takes: printable ASCII, nothing encoded, no `..`.
    if target.isascii() and target.isprintable() and "%" not in target and ".." not in target:
        return None
    text = target
    for _ in range(MAX_DECODE_ROUNDS):
        if not text.isprintable():
            return "control character"
        if _has_dot_dot_segment(text):
            return "path traversal"
        # Fullwidth dots and slashes (U+FF0E, U+FF0F) become `../` under NFKC.
        if not text.isascii() and _has_dot_dot_segment(unicodedata.normalize("NFKC", text)):
            return "path traversal"
        if "%" not in text:
            return None
        try:
            decoded = unquote(text, errors="strict")
        except UnicodeDecodeError:
            # Also catches overlong UTF-8 such as %c0%ae (an old way of writing `.`).
            return "invalid percent-encoding"
        if decoded == text:
            return None
        text = decoded
    return "too deeply percent-encoded"


def check_target(request: web.Request) -> web.StreamResponse | None:
    """400 for a malformed target, 413 for a declared body over the limit; before any routing."""
    problem = target_problem(request.raw_path)
    if problem is not None:
        # Threat: path traversal and log/header injection through encoded bytes. The target is
        # attacker-controlled: it goes to the log clipped and repr()-quoted, never to the client.
        peer = peer_ip(request)
        if _WARNED.allow(peer):
            _LOGGER.warning(
                "Refused a request from %s (%s): %r",
                peer,
                problem,
                request.raw_path[:_LOGGED_TARGET],
            )
        return MALFORMED_TARGET.response()
    length = request.content_length
    if length is not None and length > request.client_max_size:
        # Threat: resource exhaustion. Refuse before anything waits for the body to arrive.
        limit = request.client_max_size
        return _close(error_response(413, f"Request body too large (at most {limit} bytes)."))
    return None


def _close(response: web.Response) -> web.Response:
    """Do not keep talking to a client that sent this."""
    response.force_close()
    return response
