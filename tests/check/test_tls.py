"""`tls`: whether HTTPS is on, and the certificate, read with `cryptography`."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hearth.check.checks import tls
from tests.certs.pki import TestCA
from tests.check.support import NOW, config_dir, context, finding_ids

REMOTE_PROXY = "  remote_access: true\n  use_x_forwarded_for: true\n  trusted_proxies: 127.0.0.1\n"


@pytest.mark.parametrize(
    ("http", "expected"),
    [
        ("", ["tls.none_lan"]),
        ("  remote_access: true\n", ["tls.none_remote"]),
        (REMOTE_PROXY, ["tls.by_proxy"]),
    ],
    ids=["lan", "remote", "proxy"],
)
def test_without_tls(tmp_path: Path, http: str, expected: list[str]) -> None:
    path = config_dir(tmp_path, "http:\n  server_port: 8123\n" + http)
    assert finding_ids(tls.CHECK, context(path)) == expected


CASES = [
    ("good", {}, "", []),
    ("expired", {"not_before": NOW - timedelta(days=100), "days": 90}, "", ["tls.expired"]),
    ("expiring", {"not_before": NOW - timedelta(days=80), "days": 90}, "", ["tls.expiring"]),
    ("two years", {"not_before": NOW - timedelta(days=1), "days": 730}, "", ["tls.long_lifetime"]),
    ("RSA under modern", {"kind": "rsa2048"}, "", ["tls.weak_key"]),
    ("RSA under intermediate", {"kind": "rsa2048"}, "intermediate", ["tls.intermediate"]),
    ("RSA 1024", {"kind": "rsa1024"}, "intermediate", ["tls.intermediate", "tls.weak_key"]),
    ("P-521", {"kind": "ec521"}, "", ["tls.weak_key"]),
    ("not for hub.example", {"hosts": ("other.example",)}, "", ["tls.name_mismatch"]),
    ("wildcard", {"hosts": ("*.example",)}, "", []),
]


@pytest.mark.parametrize(
    ("issue", "profile", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_certificates(
    tmp_path: Path, issue: dict[str, object], profile: str, expected: list[str]
) -> None:
    options = {
        "hosts": ("hub.example", "127.0.0.1"),
        "not_before": NOW - timedelta(days=1),
        **issue,
    }
    pair = TestCA().issue(tmp_path / "tls", **options)  # type: ignore[arg-type]
    config = (
        "http:\n  server_host: [hub.example, 127.0.0.1]\n"
        f"  ssl_certificate: {pair.cert_path}\n  ssl_key: {pair.key_path}\n"
        + (f"  ssl_profile: {profile}\n" if profile else "")
    )
    assert finding_ids(tls.CHECK, context(config_dir(tmp_path, config))) == sorted(expected)


def test_a_key_that_does_not_belong_to_the_certificate(tmp_path: Path) -> None:
    ca = TestCA()
    one = ca.issue(tmp_path / "a", not_before=NOW - timedelta(days=1))
    other = ca.issue(tmp_path / "b", not_before=NOW - timedelta(days=1))
    config = f"http:\n  ssl_certificate: {one.cert_path}\n  ssl_key: {other.key_path}\n"
    assert finding_ids(tls.CHECK, context(config_dir(tmp_path, config))) == ["tls.unusable"]


def test_a_sha1_signature(tmp_path: Path) -> None:
    # cryptography refuses to sign with SHA-1; the openssl command line still can.
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "s.key",
            "-out",
            "s.crt",
            "-sha1",
            "-days",
            "30",
            "-subj",
            "/CN=hub.example",
            "-addext",
            "subjectAltName=DNS:hub.example",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=30,
    )
    config = f"http:\n  ssl_certificate: {tmp_path}/s.crt\n  ssl_key: {tmp_path}/s.key\n"
    ctx = context(config_dir(tmp_path, config), now=datetime.now(UTC))
    assert finding_ids(tls.CHECK, ctx) == ["tls.weak_key"]
