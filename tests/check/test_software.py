"""`python`, `lock` and `vulnerabilities`: the interpreter, the hash lock, pip-audit."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from hearth.check.checks import lockfile, python_support, vulnerabilities
from hearth.check.context import Host, Options
from hearth.check.runner import run_check
from tests.check.support import context, finding_ids, write


@pytest.mark.parametrize(
    ("version", "today", "state"),
    [
        ((3, 11), date(2026, 12, 1), "ok"),
        ((3, 11), date(2027, 6, 1), "ending"),
        ((3, 11), date(2027, 11, 1), "ended"),
        ((3, 8), date(2024, 10, 8), "ended"),
        ((3, 7), date(2020, 1, 1), "ended"),  # older than the table: long gone
        ((3, 20), date(2026, 1, 1), "ok"),  # newer than the table: supported
    ],
)
def test_python_support(version: tuple[int, int], today: date, state: str) -> None:
    assert python_support.support(version, today)[0] == state


def test_the_table_is_in_order() -> None:
    versions = list(python_support.END_OF_LIFE)
    assert versions == sorted(versions)
    dates = list(python_support.END_OF_LIFE.values())
    assert dates == sorted(dates)


@pytest.mark.parametrize(
    ("python", "expected"),
    [
        ((3, 13), []),
        ((3, 9), ["software.python_unsupported"]),
        ((3, 10), ["software.python_ending"]),
    ],
)
def test_python_check(tmp_path: Path, python: tuple[int, int], expected: list[str]) -> None:
    # NOW is 2026-06-01: 3.10 ends 2026-10-31, within the warning window.
    assert finding_ids(python_support.CHECK, context(tmp_path, Host(python=python))) == expected


LOCK = """\
click==8.1.7 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
    # via hearth
orjson==3.10.0 \\
    --hash=sha256:cccc
only-on-windows==2.0.1 ; sys_platform == "win32" \\
    --hash=sha256:dddd
unhashed-thing==1.0
"""


def test_parse_lock() -> None:
    pins = {(p.name, p.version, p.hashed, p.conditional) for p in lockfile.parse_lock(LOCK)}
    assert pins == {
        ("click", "8.1.7", True, False),
        ("orjson", "3.10.0", True, False),
        ("only-on-windows", "2.0.1", True, True),
        ("unhashed-thing", "1.0", False, False),
    }


def test_the_real_lock_matches_what_is_installed(tmp_path: Path) -> None:
    assert finding_ids(lockfile.CHECK, context(tmp_path)) == []


def test_a_lock_that_differs(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.lock": LOCK}, mode=0o644)
    ctx = context(tmp_path, Host(lock_file=tmp_path / "requirements.lock"))
    result = run_check(lockfile.CHECK, ctx)
    assert sorted(f.rule.id for f in result.findings) == [
        "software.not_as_locked",
        "software.unhashed",
    ]
    mismatch = next(f for f in result.findings if f.rule.id == "software.not_as_locked")
    assert "unhashed-thing missing (locked 1.0)" in mismatch.detail
    assert "only-on-windows" not in mismatch.detail  # a marker for other Pythons: may be absent


REPORT = {
    "dependencies": [
        {
            "name": "aiohttp",
            "version": "3.9.0",
            "vulns": [
                {"id": "GHSA-aaaa", "fix_versions": ["3.9.2"], "aliases": ["CVE-2024-1"]},
                {"id": "PYSEC-bbbb", "fix_versions": ["3.9.4"], "aliases": []},
            ],
        },
        {"name": "click", "version": "8.1.7", "vulns": []},
        {"name": "hearth", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ],
    "fixes": [],
}


def test_parse_report() -> None:
    found, skipped, audited = vulnerabilities.parse_report(REPORT)
    assert [(v.package, v.id) for v in found] == [
        ("aiohttp", "GHSA-aaaa"),
        ("aiohttp", "PYSEC-bbbb"),
    ]
    assert (skipped, audited) == (["hearth"], 2)


def test_vulnerabilities_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vulnerabilities, "audit", lambda _timeout, _env: REPORT)
    result = run_check(vulnerabilities.CHECK, context(tmp_path, options=Options()))
    assert [f.rule.id for f in result.findings] == ["software.vulnerable", "software.audit_partial"]
    assert result.findings[0].detail == "aiohttp 3.9.0: GHSA-aaaa, PYSEC-bbbb"
    assert result.findings[0].fix.endswith("fixed in: aiohttp 3.9.2, aiohttp 3.9.4")


@pytest.mark.parametrize(
    "stderr",
    [
        "requests.exceptions.ProxyError: HTTPSConnectionPool(host='pypi.org', port=443): "
        "Max retries exceeded",
        "socket.gaierror: [Errno -3] Temporary failure in name resolution",
    ],
)
def test_offline_errors(stderr: str) -> None:
    assert vulnerabilities.offline(stderr)
    assert not vulnerabilities.offline("ValueError: bad requirement")


def test_pip_audit_without_a_network_says_not_checked_offline(tmp_path: Path) -> None:
    """A real pip-audit run whose every connection goes to a closed local port."""
    if vulnerabilities.find_pip_audit() is None:
        pytest.skip("pip-audit is not installed (make setup-dev installs it)")
    unreachable = {
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "",
        "no_proxy": "",
    }
    ctx = context(tmp_path, options=Options(audit_timeout=50, audit_env=unreachable))
    result = run_check(vulnerabilities.CHECK, ctx)
    assert result.status.value == "not_checked"
    assert result.note is not None
    assert result.note.startswith("not checked (offline)")
    assert result.findings == ()


def test_offline_option(tmp_path: Path) -> None:
    result = run_check(vulnerabilities.CHECK, context(tmp_path, options=Options(offline=True)))
    assert (result.status.value, result.note) == (
        "not_checked",
        "not checked (--offline): the vulnerability database was not asked",
    )
    assert json.dumps(result.as_dict())
