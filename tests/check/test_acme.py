"""`acme`: no certificate yet, a failed last order, the staging CA; and `tls` reads ACME's files."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from hearth import const
from hearth.acme.files import AcmePaths
from hearth.acme.state import OrderState, order_key
from hearth.check.checks import acme, tls
from tests.certs.pki import TestCA
from tests.check.support import NOW, config_dir, context, finding_ids

ACME = "http:\n  acme:\n    domains: [hub.example.com]\n"


def install(path: Path, **issue: object) -> None:
    """A certificate for hub.example.com where the hub keeps its ACME certificate."""
    pair = TestCA().issue(path / "issued", hosts=("hub.example.com",), **issue)  # type: ignore[arg-type]
    (path / "acme").mkdir(exist_ok=True)
    shutil.copyfile(pair.cert_path, path / "acme" / "certificate.pem")
    shutil.copyfile(pair.key_path, path / "acme" / "certificate.key")


def test_nothing_without_acme(tmp_path: Path) -> None:
    assert finding_ids(acme.CHECK, context(config_dir(tmp_path, "http:\n  server_port: 1\n"))) == []


def test_no_certificate_yet(tmp_path: Path) -> None:
    path = config_dir(tmp_path, ACME)
    assert finding_ids(acme.CHECK, context(path)) == ["acme.no_certificate"]
    assert finding_ids(tls.CHECK, context(path)) == []  # not "no TLS": it is coming


@pytest.mark.parametrize(
    ("issue", "expected"),
    [
        ({}, []),
        ({"not_before": NOW - timedelta(days=100), "days": 90}, ["acme.no_certificate"]),
    ],
    ids=["good", "expired"],
)
def test_the_certificate(tmp_path: Path, issue: dict[str, object], expected: list[str]) -> None:
    path = config_dir(tmp_path, ACME)
    install(path, **issue)
    assert finding_ids(acme.CHECK, context(path)) == expected


def test_a_failed_order_is_reported_with_its_reason(tmp_path: Path) -> None:
    path = config_dir(tmp_path, ACME)
    install(path)
    key = order_key(const.ACME_LETSENCRYPT, ["hub.example.com"])
    OrderState(AcmePaths(path / "acme")).record_failure(
        key, ["hub.example.com"], NOW, "validation failed for hub.example.com: connection refused"
    )
    findings = acme.run(context(path))
    [finding] = list(findings)
    assert finding.rule.id == "acme.order_failed"
    assert "connection refused" in finding.detail
    assert "next try after" in finding.detail
    # A failure for another set of names (the configuration changed since) is not this one's.
    OrderState(AcmePaths(path / "acme")).record_success(key)
    assert finding_ids(acme.CHECK, context(path)) == []


def test_staging_is_a_warning(tmp_path: Path) -> None:
    path = config_dir(tmp_path, ACME + f"    directory: {const.ACME_LETSENCRYPT_STAGING}\n")
    install(path)
    assert finding_ids(acme.CHECK, context(path)) == ["acme.staging"]


def test_tls_reads_the_acme_certificate(tmp_path: Path) -> None:
    path = config_dir(tmp_path, ACME)
    install(path, not_before=NOW - timedelta(days=80), days=90)
    assert finding_ids(tls.CHECK, context(path)) == ["tls.expiring"]
