"""Durations in configuration, and the ban keys of `http:` that use them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.config import ConfigError, HttpSection, load_config
from hearth.config.duration import format_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (0, 0.0),
        (900, 900.0),
        (1.5, 1.5),
        ("900", 900.0),
        ("90s", 90.0),
        ("90 s", 90.0),
        ("2sec", 2.0),
        ("15m", 900.0),
        ("15min", 900.0),
        ("1h", 3600.0),
        ("1.5h", 5400.0),
        ("7d", 604800.0),
        ("7D", 604800.0),
        ("01:00:00", 3600.0),
        ("0:15:00", 900.0),
        ("0:15", 900.0),
        ("1:02:03.5", 3723.5),
        (" 1h ", 3600.0),
    ],
)
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        None,
        [],
        {},
        "",
        "h",
        "1y",
        "1h30m",
        "-1",
        -5,
        "nan",
        "inf",
        float("inf"),
        "1:60",
    ],
)
def test_parse_duration_refuses(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(900.0, "15m"), (3600.0, "1h"), (604800.0, "7d"), (90.0, "90s"), (0.5, "0.5s"), (1.0, "1s")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_ban_defaults() -> None:
    http = HttpSection()
    assert http.ip_ban_enabled is True
    assert http.login_attempts_threshold == 5
    assert http.login_attempts_window == 900
    assert http.ip_ban_duration == 3600
    assert http.ip_ban_max_duration == 7 * 86400
    assert http.ip_ban_allowlist == []


def _load(tmp_path: Path, http: str) -> HttpSection:
    (tmp_path / "configuration.yaml").write_text("http:\n" + http)
    return load_config(tmp_path).http


def test_ban_keys_from_yaml(tmp_path: Path) -> None:
    http = _load(
        tmp_path,
        "  login_attempts_threshold: 3\n"
        "  login_attempts_window: 10m\n"
        "  ip_ban_duration: 0\n"
        "  ip_ban_max_duration: '01:00:00'\n"
        "  ip_ban_allowlist: 192.168.1.0/24\n",
    )
    assert http.login_attempts_threshold == 3
    assert http.login_attempts_window == 600
    assert http.ip_ban_duration == 0
    assert http.ip_ban_max_duration == 3600
    assert http.ip_ban_allowlist == ["192.168.1.0/24"]


@pytest.mark.parametrize(
    ("http", "message"),
    [
        (
            "  login_attempts_threshold: -1\n",
            "configuration.yaml, line 2: http.login_attempts_threshold: expected an integer from "
            "1 to 1000 (to turn bans off, set ip_ban_enabled: false)",
        ),
        (
            "  login_attempts_threshold: 0\n",
            "configuration.yaml, line 2: http.login_attempts_threshold: expected an integer from "
            "1 to 1000 (to turn bans off, set ip_ban_enabled: false)",
        ),
        (
            "  login_attempts_threshold: 5000\n",
            "configuration.yaml, line 2: http.login_attempts_threshold: expected an integer from "
            "1 to 1000",
        ),
        (
            "  login_attempts_threshold: yes\n",
            "configuration.yaml, line 2: http.login_attempts_threshold: expected an integer from "
            "1 to 1000, not true/false",
        ),
        (
            "  login_attempts_window: 0\n",
            "configuration.yaml, line 2: http.login_attempts_window: expected a duration from "
            "1s to 7d",
        ),
        (
            "  login_attempts_window: soon\n",
            "configuration.yaml, line 2: http.login_attempts_window: expected a duration "
            "(seconds, or a number with s, m, h or d (such as 90s, 15m, 1h, 7d), or HH:MM:SS)",
        ),
        (
            "  ip_ban_duration: 400d\n",
            "configuration.yaml, line 2: http.ip_ban_duration: expected a duration from 0s to 365d",
        ),
        (
            "  ip_ban_duration: 2h\n  ip_ban_max_duration: 1h\n",
            "configuration.yaml, line 3: http.ip_ban_max_duration: expected a duration at least "
            "as long as ip_ban_duration",
        ),
        (
            "  ip_ban_allowlist: [10.0.0.1/8]\n",
            "configuration.yaml, line 2: http.ip_ban_allowlist[0]: expected an address or a "
            "network such as 192.168.1.0/24 or fd00::/64 (with the host bits zero)",
        ),
        (
            "  ip_ban_enabled: maybe\n",
            "configuration.yaml, line 2: http.ip_ban_enabled: expected true or false",
        ),
    ],
)
def test_ban_key_errors(tmp_path: Path, http: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, http)
    assert str(caught.value) == message


def test_permanent_bans_need_no_max(tmp_path: Path) -> None:
    http = _load(tmp_path, "  ip_ban_duration: 0\n  ip_ban_max_duration: 1s\n")
    assert (http.ip_ban_duration, http.ip_ban_max_duration) == (0, 1)
