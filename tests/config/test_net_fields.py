"""The network keys of `http:`: networks, proxies, origins, and the errors they give."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hearth.config.errors import validation_error
from hearth.config.loader import read_configuration
from hearth.config.schema import Config, HttpSection
from tests.config.conftest import WriteFiles


def _error(config_dir: Path, write_files: WriteFiles, text: str) -> str:
    write_files({"configuration.yaml": text})
    loaded = read_configuration(config_dir)
    with pytest.raises(ValidationError) as info:
        Config.model_validate(loaded.data)
    return str(validation_error(info.value, loaded))


def test_defaults_are_local_only_and_share_nothing() -> None:
    http = HttpSection()
    assert http.remote_access is False
    assert http.use_x_forwarded_for is False
    assert http.trusted_proxies == []
    assert http.local_networks == []
    assert http.cors_allowed_origins == []
    assert http.use_x_frame_options is True


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("10.0.0.1", ["10.0.0.1/32"]),
        (["192.168.1.0/24", "fd00::/64"], ["192.168.1.0/24", "fd00::/64"]),
        (["::1"], ["::1/128"]),
        ([" 172.16.0.0/12 "], ["172.16.0.0/12"]),
    ],
)
def test_networks_are_normalised(value: object, stored: list[str]) -> None:
    assert HttpSection.model_validate({"trusted_proxies": value}).trusted_proxies == stored
    assert HttpSection.model_validate({"local_networks": value}).local_networks == stored


@pytest.mark.parametrize(
    "value", ["192.168.1.1/24", "10.0.0.0/33", "example.com", "", "10.0.0.0/8/8", "*"]
)
def test_bad_networks_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        HttpSection.model_validate({"trusted_proxies": [value]})
    with pytest.raises(ValidationError):
        HttpSection.model_validate({"local_networks": [value]})


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("https://example.com", "https://example.com"),
        ("HTTPS://Example.COM:443", "https://example.com"),
        ("http://example.com:80", "http://example.com"),
        ("http://192.168.1.5:8080", "http://192.168.1.5:8080"),
        ("http://[::1]:8123", "http://[::1]:8123"),
        ("https://[fd00::1]", "https://[fd00::1]"),
        ("https://dash.example.com:08443", "https://dash.example.com:8443"),
    ],
)
def test_origins_are_exact_and_normalised(value: str, stored: str) -> None:
    http = HttpSection.model_validate({"cors_allowed_origins": [value]})
    assert http.cors_allowed_origins == [stored]


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "https://*.example.com",
        "null",
        "example.com",
        "ftp://example.com",
        "https://example.com/",
        "https://example.com/path",
        "https://user@example.com",
        "https://example.com?x=1",
        "https://example.com:0",
        "https://example.com:65536",
        "https://example.com:" + "9" * 5000,
        "https://example.com:port",
        "https://exa mple.com",
        "https://-bad.example.com",
        "https://",
        "http://::1",
        "http://[not-v6]",
    ],
)
def test_bad_origins_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        HttpSection.model_validate({"cors_allowed_origins": [value]})


def test_single_origin_is_a_list() -> None:
    http = HttpSection.model_validate({"cors_allowed_origins": "https://example.com"})
    assert http.cors_allowed_origins == ["https://example.com"]


def test_forwarded_for_with_proxies_is_accepted() -> None:
    http = HttpSection.model_validate(
        {"use_x_forwarded_for": True, "trusted_proxies": ["127.0.0.1"]}
    )
    assert http.use_x_forwarded_for is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "http:\n  use_x_forwarded_for: true\n",
            "configuration.yaml, line 2: http.use_x_forwarded_for: use_x_forwarded_for needs "
            "trusted_proxies: list the address of your reverse proxy",
        ),
        (
            "http:\n  use_x_forwarded_for: true\n  trusted_proxies: []\n",
            "configuration.yaml, line 2: http.use_x_forwarded_for: use_x_forwarded_for needs "
            "trusted_proxies: list the address of your reverse proxy",
        ),
        (
            "http:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 192.168.1.1/24\n",
            "configuration.yaml, line 4: http.trusted_proxies[1]: expected an address or a "
            "network such as 192.168.1.0/24 or fd00::/64 (with the host bits zero)",
        ),
        (
            "http:\n  cors_allowed_origins: ['*']\n",
            "configuration.yaml, line 2: http.cors_allowed_origins[0]: expected an origin such as "
            "https://example.com or http://192.168.1.5:8080; wildcards are not allowed, list each "
            "origin",
        ),
        (
            "http:\n  remote_access: maybe\n",
            "configuration.yaml, line 2: http.remote_access: expected true or false",
        ),
    ],
)
def test_one_line_errors(
    config_dir: Path, write_files: WriteFiles, text: str, message: str
) -> None:
    assert _error(config_dir, write_files, text) == message


def test_invalid_proxy_is_the_error_reported(config_dir: Path, write_files: WriteFiles) -> None:
    """A bad proxy entry is reported as itself, not as `use_x_forwarded_for needs proxies`."""
    text = "http:\n  use_x_forwarded_for: true\n  trusted_proxies: [nonsense]\n"
    message = _error(config_dir, write_files, text)
    assert "http.trusted_proxies[0]" in message


def test_secret_values_stay_out_of_errors(config_dir: Path, write_files: WriteFiles) -> None:
    write_files({"secrets.yaml": "proxy: 10.9.8.7/8\n"})
    message = _error(config_dir, write_files, "http:\n  trusted_proxies: [!secret proxy]\n")
    assert "10.9.8.7" not in message
    assert message.endswith("(value from !secret proxy)")
