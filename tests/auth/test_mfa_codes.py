"""Pure MFA helpers: code shapes, TOTP windows, recovery codes, the otpauth URI and QR SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from hearth.auth.mfa import codes as mfa_codes
from hearth.auth.mfa.codes import CodeKind, classify

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("123456", (CodeKind.TOTP, "123456")),
        (" 123 456 ", (CodeKind.TOTP, "123456")),
        ("123-456", (CodeKind.TOTP, "123456")),
        ("abcde-fghjk-mnpqr-stuvw", (CodeKind.RECOVERY, "abcdefghjkmnpqrstuvw")),
        ("ABCDEFGHJKMNPQRSTUVW", (CodeKind.RECOVERY, "abcdefghjkmnpqrstuvw")),
    ],
)
def test_classify_accepts_typed_forms(code: str, expected: tuple[CodeKind, str]) -> None:
    assert classify(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        "",
        "12345",
        "1234567",
        "12345a",
        "١٢٣٤٥٦",  # Arabic-Indic digits are digits to str.isdigit, not to us
        "１２３４５６",  # fullwidth digits
        "abcde-fghjk-mnpqr-stuv0",  # 0 is not in the alphabet
        "abcde-fghjk-mnpqr-stuvwx",
        "1" * 65,
        " " * 10_000 + "123456",  # too long before any normalisation
        None,
        123456,
        b"123456",
        ["123456"],
    ],
)
def test_classify_rejects_everything_else(code: object) -> None:
    assert classify(code) is None


def test_matching_step_window() -> None:
    now = 1_000_000 * 30 + 10.0
    step = mfa_codes.time_step(now)
    for offset in (-1, 0, 1):
        code = mfa_codes.code_at(SECRET, step + offset)
        assert mfa_codes.matching_step(SECRET, code, now) == step + offset
    for offset in (-2, 2):
        far = mfa_codes.code_at(SECRET, step + offset)
        assert mfa_codes.matching_step(SECRET, far, now) is None


def test_codes_agree_with_pyotp() -> None:
    now = 1_700_000_000.0
    assert mfa_codes.code_at(SECRET, mfa_codes.time_step(now)) == pyotp.TOTP(SECRET).at(now)


def test_new_secret_is_160_bits_of_base32() -> None:
    secret = mfa_codes.new_totp_secret()
    assert len(secret) == 32
    assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert secret != mfa_codes.new_totp_secret()


def test_recovery_codes_are_distinct_and_well_formed() -> None:
    codes = mfa_codes.new_recovery_codes()
    assert len(codes) == mfa_codes.RECOVERY_CODE_COUNT == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert len(code) == 23
        assert code.count("-") == 3
        assert classify(code) == (CodeKind.RECOVERY, code.replace("-", ""))


def test_recovery_hash_is_sha256_hex() -> None:
    digest = mfa_codes.hash_recovery_code("abcdefghjkmnpqrstuvw")
    assert len(digest) == 64
    assert "abcdefghjkmnpqrstuvw" not in digest


def test_otpauth_uri_format() -> None:
    uri = mfa_codes.otpauth_uri(SECRET, "alice", "Hearth")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert parts.path == "/Hearth:alice"
    query = parse_qs(parts.query)
    assert query == {"secret": [SECRET], "issuer": ["Hearth"]}


def test_qr_svg_is_plain_svg_without_script() -> None:
    svg = mfa_codes.qr_svg(mfa_codes.otpauth_uri(SECRET, "alice", "Hearth"))
    root = ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it
    assert root.tag == f"{SVG_NS}svg"
    tags = {element.tag for element in root.iter()}
    assert tags <= {f"{SVG_NS}svg", f"{SVG_NS}g", f"{SVG_NS}path"}
    for element in root.iter():
        for name in element.attrib:
            assert not name.lower().startswith("on"), name
            assert "href" not in name.lower(), name
    assert "script" not in svg.lower()
    assert "<?xml" not in svg
    assert "\n" not in svg
    assert SECRET not in svg  # the QR code encodes it; the markup does not spell it out
