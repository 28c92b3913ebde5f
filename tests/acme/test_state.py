"""When to renew and when a failed order may be retried: pure decisions, tables of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hearth.acme.files import AcmePaths
from hearth.acme.state import Failure, OrderState, clean_reason, order_key, renewal_reason
from hearth.certs.authority import Hosts, issue_server_certificate, new_authority

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def certificate(names: list[str], start: datetime, days: float):  # type: ignore[no-untyped-def]
    """A certificate for `names`, valid `days` from `start`."""
    ca, ca_key = new_authority(Hosts.parse(names), start)
    cert, _key = issue_server_certificate(ca, ca_key, Hosts.parse(names), start)
    # issue_server_certificate makes 90-day certificates; re-sign with the wanted lifetime.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    builder = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(cert.issuer)
        .public_key(cert.public_key())
        .serial_number(cert.serial_number)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False
        )
    )
    return builder.sign(ca_key, hashes.SHA256())


@pytest.mark.parametrize(
    ("issued_days_ago", "lifetime", "names", "expected"),
    [
        (None, 90, ["a.example"], "there is no certificate yet"),
        (10, 90, ["a.example"], None),  # 80 days left, renew at 30
        (61, 90, ["a.example"], "expires in 29.0 days"),
        (91, 90, ["a.example"], "has expired"),
        (10, 90, ["a.example", "b.example"], "does not cover b.example"),
        # A six-day certificate: renewed when two days (a third) are left, not every 12 hours.
        (1, 6, ["a.example"], None),
        (4.5, 6, ["a.example"], "expires in 1.5 days"),
    ],
)
def test_renewal_reason(
    issued_days_ago: float | None, lifetime: float, names: list[str], expected: str | None
) -> None:
    cert = None
    if issued_days_ago is not None:
        cert = certificate(["a.example"], NOW - timedelta(days=issued_days_ago), lifetime)
    reason = renewal_reason(cert, names, NOW, 30 * 86400)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert expected in reason


@pytest.mark.parametrize(("count", "hours"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 12), (9, 12)])
def test_backoff_starts_at_an_hour_and_stops_at_twelve(count: int, hours: int) -> None:
    failure = Failure(NOW, count, "reason", ("a.example",))
    assert failure.retry_at() == NOW + timedelta(hours=hours)


def test_failures_survive_a_new_reader_and_clear_on_success(tmp_path: Path) -> None:
    paths = AcmePaths(tmp_path / "acme")
    key = order_key("https://ca.example/dir", ["b.example", "a.example"])
    assert key == order_key("https://ca.example/dir", ["a.example", "b.example"])
    OrderState(paths).record_failure(key, ["a.example"], NOW, "first")
    OrderState(paths).record_failure(key, ["a.example"], NOW, "second\nline\x1b[31m")
    failure = OrderState(paths).failure(key)
    assert failure is not None
    assert failure.count == 2
    assert failure.reason == "second line [31m"  # one printable line
    assert (paths.state.stat().st_mode & 0o777) == 0o600
    assert OrderState(paths).failure(order_key("https://other.example/dir", ["a.example"])) is None
    OrderState(paths).record_success(key)
    assert OrderState(paths).failure(key) is None


def test_a_damaged_state_file_is_no_failure(tmp_path: Path) -> None:
    paths = AcmePaths(tmp_path / "acme")
    paths.ensure()
    paths.state.write_text("{not json")
    assert OrderState(paths).failure("any") is None


def test_clean_reason_bounds_the_length() -> None:
    assert len(clean_reason("x" * 10_000)) <= 303
