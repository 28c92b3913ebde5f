"""`probe`: grading what the hub sent (pure); tests/acceptance/test_check.py probes real hubs."""

from __future__ import annotations

import pytest

from hearth.check.checks.probe import Response, grade_response, grade_tls, target
from hearth.config.schema import HttpSection
from hearth.http.headers import HSTS, security_headers

GOOD = {k.lower(): v for k, v in security_headers(html=False).items()} | {"server": ""}
GOOD_TLS = GOOD | {"strict-transport-security": HSTS}


def without(headers: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in names}


@pytest.mark.parametrize(
    ("status", "headers", "tls", "frame_options", "expected"),
    [
        (401, GOOD, False, True, []),
        (401, GOOD_TLS, True, True, []),
        (200, GOOD, False, True, ["probe.api_open"]),
        (401, GOOD | {"server": "nginx/1.22.1"}, False, True, ["probe.server_banner"]),
        (401, without(GOOD, "x-content-type-options"), False, True, ["probe.missing_headers"]),
        (
            401,
            without(GOOD, "x-frame-options") | {"content-security-policy": "default-src 'none'"},
            False,
            True,
            ["probe.missing_headers"],
        ),
        (
            401,
            without(GOOD, "x-frame-options") | {"content-security-policy": "default-src 'none'"},
            False,
            False,
            [],
        ),
        (401, GOOD, True, True, ["probe.no_hsts"]),
        (401, GOOD | {"strict-transport-security": "max-age=300"}, True, True, ["probe.no_hsts"]),
    ],
)
def test_grade_response(
    status: int, headers: dict[str, str], tls: bool, frame_options: bool, expected: list[str]
) -> None:
    found = grade_response(Response(status, headers), tls=tls, frame_options=frame_options)
    assert sorted(f.rule.id for f in found) == expected


TLS13 = ("TLSv1.3", "TLS_AES_256_GCM_SHA384")
TLS12 = ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256")


@pytest.mark.parametrize(
    ("profile", "attempts", "count"),
    [
        ("modern", {"best": TLS13, "tls12": None, "tls12_weak": None}, 0),
        ("modern", {"best": TLS13, "tls12": TLS12, "tls12_weak": None}, 1),
        ("modern", {"best": None}, 1),
        ("intermediate", {"best": TLS13, "tls12": TLS12, "tls12_weak": None}, 0),
        ("intermediate", {"best": TLS13, "tls12": None, "tls12_weak": None}, 1),
        (
            "intermediate",
            {
                "best": TLS13,
                "tls12": ("TLSv1.2", "AES128-SHA"),
                "tls12_weak": ("TLSv1.2", "AES128-SHA"),
            },
            2,
        ),
        ("intermediate", {"best": TLS12, "tls12": TLS12, "tls12_weak": None}, 1),
    ],
)
def test_grade_tls(profile: str, attempts: dict[str, tuple[str, str] | None], count: int) -> None:
    found = list(grade_tls(profile, attempts))
    assert len(found) == count
    assert {f.rule.id for f in found} <= {"probe.tls_profile"}


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (["0.0.0.0", "::"], "127.0.0.1"),
        (["::"], "::1"),
        (["192.168.1.10"], "192.168.1.10"),
        (["hub.local"], None),
    ],
)
def test_target(hosts: list[str], expected: str | None) -> None:
    assert target(HttpSection(server_host=hosts)) == expected
