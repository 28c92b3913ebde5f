"""When to renew, and when a failed order may be tried again (pure decisions; state on disk).

Rate-limit friendly: after a failed order for a set of names, the next order for that set waits
an hour, then two, four, ... up to twelve. The failures are kept in acme/state.json, so a hub
restarted in a loop cannot hammer the CA. `hearth check` reads the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from cryptography import x509

from hearth import const
from hearth.acme.files import AcmeFilesProblem, AcmePaths
from hearth.certs.validate import dns_names

MAX_ERROR: Final = 300  # characters of a CA's explanation that are kept
MAX_ENTRIES: Final = 32  # domain sets remembered


def order_key(directory: str, domains: list[str]) -> str:
    """The domain set an order is for, at one CA (the order of names does not matter)."""
    return f"{directory} {','.join(sorted(domains))}"


def clean_reason(text: str) -> str:
    """A CA's or network's explanation, as one printable line of bounded length."""
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line[:MAX_ERROR] + ("..." if len(line) > MAX_ERROR else "")


@dataclass(frozen=True, slots=True)
class Failure:
    """The last failed order for a domain set, and how many failed in a row."""

    at: datetime
    count: int
    reason: str
    domains: tuple[str, ...]

    def retry_at(self) -> datetime:
        """No order for this set before then: one hour, doubling, at most twelve."""
        wait = min(const.ACME_FAILURE_SPACING * 2 ** (self.count - 1), const.ACME_MAX_BACKOFF)
        return self.at + timedelta(seconds=wait)


class OrderState:
    """Failed orders per domain set, read from and written to acme/state.json."""

    def __init__(self, paths: AcmePaths) -> None:
        self._paths = paths

    def _load(self) -> dict[str, Any]:
        try:
            data = self._paths.read_json(self._paths.state)
        except AcmeFilesProblem:
            return {}  # a damaged file is replaced at the next write
        failures = data.get("failures")
        return failures if isinstance(failures, dict) else {}

    def failure(self, key: str) -> Failure | None:
        """The recorded failure for `key`, or None."""
        entry = self._load().get(key)
        if not isinstance(entry, dict):
            return None
        try:
            return Failure(
                at=datetime.fromisoformat(str(entry["at"])),
                count=max(1, int(entry["count"])),
                reason=str(entry["reason"]),
                domains=tuple(str(name) for name in entry["domains"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def record_failure(self, key: str, domains: list[str], now: datetime, reason: str) -> Failure:
        """Remember one more failed order for `key`."""
        failures = self._load()
        previous = self.failure(key)
        failure = Failure(now, (previous.count if previous else 0) + 1, reason, tuple(domains))
        failures[key] = {
            "at": now.isoformat(),
            "count": failure.count,
            "reason": clean_reason(reason),
            "domains": list(domains),
        }
        self._save(failures)
        return failure

    def record_success(self, key: str) -> None:
        """Forget the failures of `key`."""
        failures = self._load()
        if failures.pop(key, None) is not None:
            self._save(failures)

    def _save(self, failures: dict[str, Any]) -> None:
        newest = sorted(failures.items(), key=lambda item: str(item[1].get("at", "")))
        self._paths.ensure()
        self._paths.write_json(self._paths.state, {"failures": dict(newest[-MAX_ENTRIES:])})


def renewal_reason(
    certificate: x509.Certificate | None, domains: list[str], now: datetime, renew_before: float
) -> str | None:
    """Why a new certificate is needed now, or None while the current one is good.

    A certificate that lives less than three times `renew_before` (Let's Encrypt's six-day
    ones) is renewed when a third of its life is left, not every twelve hours.
    """
    if certificate is None:
        return "there is no certificate yet"
    not_after = certificate.not_valid_after_utc
    if now >= not_after:
        return "the certificate has expired"
    missing = [name for name in domains if name not in dns_names(certificate)]
    if missing:
        return f"the certificate does not cover {', '.join(missing)}"
    lifetime = not_after - certificate.not_valid_before_utc
    window = min(timedelta(seconds=renew_before), lifetime / 3)
    if not_after - now <= window:
        days = (not_after - now) / timedelta(days=1)
        return f"the certificate expires in {days:.1f} days"
    return None
