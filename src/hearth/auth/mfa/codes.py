"""TOTP codes, recovery codes and the otpauth QR code: pure functions, no storage."""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from enum import Enum
from typing import Final

import pyotp
import segno

TOTP_DIGITS: Final = 6
TOTP_PERIOD: Final = 30  # seconds per time step (RFC 6238; what every authenticator app uses)
TOTP_WINDOW: Final = 1  # steps accepted either side of the current one, for clock skew
# Whatever a client sends, no more than this many characters are looked at.
MAX_CODE_INPUT: Final = 64
RECOVERY_CODE_COUNT: Final = 10
# No 0/o or 1/i/l: codes are copied by hand from paper.
RECOVERY_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH: Final = (
    20  # 20 symbols of 31: about 99 bits, too many to guess or brute-force
)
RECOVERY_GROUP: Final = 5

_TOTP_RE: Final = re.compile(rf"[0-9]{{{TOTP_DIGITS}}}")
_RECOVERY_RE: Final = re.compile(rf"[{RECOVERY_ALPHABET}]{{{RECOVERY_CODE_LENGTH}}}")
_SEPARATORS: Final = str.maketrans("", "", " -\t")


class CodeKind(Enum):
    """What a submitted code looks like."""

    TOTP = "totp"
    RECOVERY = "recovery"


def classify(code: object) -> tuple[CodeKind, str] | None:
    """The code's kind and normal form (no spaces or dashes, lower case), or None for garbage."""
    if not isinstance(code, str) or not 0 < len(code) <= MAX_CODE_INPUT:
        return None
    compact = code.translate(_SEPARATORS).lower()
    if _TOTP_RE.fullmatch(compact):
        return CodeKind.TOTP, compact
    if _RECOVERY_RE.fullmatch(compact):
        return CodeKind.RECOVERY, compact
    return None


def new_totp_secret() -> str:
    """A random TOTP secret: 32 base32 characters, 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32()


def time_step(now: float) -> int:
    """The TOTP time step (counter) at `now`."""
    return int(now // TOTP_PERIOD)


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step within the window whose code equals `code`, or None.

    Every step in the window is computed and compared in constant time, whatever matches, so the
    time taken says nothing about which step (if any) matched.
    """
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)
    current = time_step(now)
    found: int | None = None
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def code_at(secret: str, step: int) -> str:
    """The TOTP code of a time step (for tests and the setup check)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD).generate_otp(step)


def otpauth_uri(secret: str, label: str, issuer: str) -> str:
    """The `otpauth://totp/ISSUER:LABEL?secret=...&issuer=ISSUER` URI that apps import."""
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)
    return totp.provisioning_uri(name=label, issuer_name=issuer)


def qr_svg(data: str) -> str:
    """A QR code of `data` as a standalone SVG document: paths only, no script, no links."""
    buffer = io.BytesIO()
    segno.make(data, error="m").save(
        buffer,
        kind="svg",
        scale=4,
        border=4,
        light="#fff",  # an explicit white background keeps it scannable in dark themes
        xmldecl=False,
        svgclass=None,
        lineclass=None,
        nl=False,
    )
    return buffer.getvalue().decode("ascii")


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh recovery codes, grouped for reading: `abcde-fghjk-mnpqr-stuvw`."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        groups = [raw[i : i + RECOVERY_GROUP] for i in range(0, len(raw), RECOVERY_GROUP)]
        codes.append("-".join(groups))
    return codes


def hash_recovery_code(normalized: str) -> str:
    """What the store keeps of a recovery code.

    SHA-256 suffices: a code has ~99 bits of entropy, so a slow hash would add nothing but cost.
    """
    return hashlib.sha256(normalized.encode("ascii")).hexdigest()
