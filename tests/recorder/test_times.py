"""Times in and out: ISO 8601 parsing in the hub's zone, and the fast UTC formatting."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from hearth.isotime import utc_iso
from hearth.recorder.times import parse_time


def test_formatting_matches_isoformat() -> None:
    rng = random.Random(3)
    samples = [1.7e9, 1.7e9 + 0.5, 1_700_000_059.9999996, 1_700_000_000.0000004, 0.0]
    samples += [rng.uniform(0, 4e9) for _ in range(2000)]
    samples += [round(rng.uniform(1e9, 2e9), 6) for _ in range(2000)]
    for value in samples:
        assert utc_iso(value) == datetime.fromtimestamp(value, UTC).isoformat(), value


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2024-06-01T12:00:00+00:00", "UTC", 1_717_243_200.0),
        ("2024-06-01T12:00:00Z", "Europe/Amsterdam", 1_717_243_200.0),
        ("2024-06-01T14:00:00", "Europe/Amsterdam", 1_717_243_200.0),  # the hub's zone
        ("2024-06-01", "UTC", 1_717_200_000.0),
        ("yesterday", "UTC", None),
        ("2024-13-01T00:00:00", "UTC", None),
        ("9" * 65, "UTC", None),
        ("", "UTC", None),
    ],
)
def test_parsing(text: str, zone: str, expected: float | None) -> None:
    assert parse_time(text, zone) == expected
