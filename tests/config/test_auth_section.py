"""The `auth:` section: password length, rotation, long-lived tokens, trusted networks."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.config import load_config
from hearth.config.schema import AuthSection, Config
from hearth.exceptions import ConfigError

from .conftest import WriteFiles


def load(config_dir: Path, write_files: WriteFiles, text: str) -> Config:
    write_files({"configuration.yaml": text})
    return load_config(config_dir)


def error(config_dir: Path, write_files: WriteFiles, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(config_dir, write_files, text)
    return str(info.value)


def test_defaults_are_the_safe_ones() -> None:
    auth = Config().auth
    assert auth.password_min_length == 12
    assert auth.refresh_token_rotation is False
    assert auth.trusted_networks == []  # nothing, not even loopback, is trusted
    assert auth.allow_user_long_lived_tokens is True
    assert (auth.account_throttle.base_delay, auth.account_throttle.max_delay) == (1.0, 30.0)
    assert auth.account_throttle.queue == 2


def test_full_section(config_dir: Path, write_files: WriteFiles) -> None:
    config = load(
        config_dir,
        write_files,
        "auth:\n"
        "  password_min_length: 16\n"
        "  refresh_token_rotation: true\n"
        "  allow_user_long_lived_tokens: false\n"
        "  trusted_networks:\n"
        "    - networks: [192.168.50.0/24, 'fd00:50::/64']\n"
        "      users: [Kitchen]\n"
        "    - networks: 10.9.9.9/32\n"
        "      users: hall\n",
    )
    auth = config.auth
    assert auth.password_min_length == 16
    assert auth.refresh_token_rotation
    assert not auth.allow_user_long_lived_tokens
    assert auth.trusted_networks[0].users == ["kitchen"]
    assert auth.trusted_networks[1].networks == ["10.9.9.9/32"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "auth:\n  password_min_length: 8\n",
            "configuration.yaml, line 2: auth.password_min_length: expected an integer from 12 "
            "to 128",
        ),
        (
            "auth:\n  password_min_length: true\n",
            "configuration.yaml, line 2: auth.password_min_length: expected an integer from 12 "
            "to 128",
        ),
        (
            "auth:\n  trusted_networks:\n    - networks: [192.168.1.5/24]\n      users: [a]\n",
            "configuration.yaml, line 3: auth.trusted_networks[0].networks[0]: expected a network "
            "such as 192.168.1.0/24 or fd00::/64 (with the host bits zero)",
        ),
        (
            "auth:\n  trusted_networks:\n    - networks: [192.168.1.0/24]\n      users: []\n",
            "configuration.yaml, line 4: auth.trusted_networks[0].users: expected a list of at "
            "least 1 item(s)",
        ),
        (
            "auth:\n  trusted_networks:\n    - networks: [192.168.1.0/24]\n"
            "      users: ['bad name']\n",
            "configuration.yaml, line 4: auth.trusted_networks[0].users[0]: expected a username: "
            "a-z, 0-9, '.', '_', '-' and '@', 1 to 64 characters",
        ),
        (
            "auth:\n  trusted_networks:\n    - networks: [192.168.1.0/24]\n",
            "configuration.yaml, line 3: auth.trusted_networks[0]: this key is required",
        ),
        (
            "auth:\n  account_throttle:\n    base_delay: 5\n    max_delay: 2\n",
            "configuration.yaml, line 4: auth.account_throttle.max_delay: must not be shorter "
            "than base_delay",
        ),
        (
            "auth:\n  account_throttle:\n    queue: 0\n",
            "configuration.yaml, line 3: auth.account_throttle.queue: expected an integer from 1 "
            "to 1000",
        ),
    ],
)
def test_errors_name_line_and_key(
    config_dir: Path, write_files: WriteFiles, text: str, expected: str
) -> None:
    assert error(config_dir, write_files, text) == expected


def test_trusted_network_containing_a_trusted_proxy_is_refused(
    config_dir: Path, write_files: WriteFiles
) -> None:
    message = error(
        config_dir,
        write_files,
        "http:\n"
        "  use_x_forwarded_for: true\n"
        "  trusted_proxies: [192.168.1.2]\n"
        "auth:\n"
        "  trusted_networks:\n"
        "    - networks: [192.168.1.0/24]\n"
        "      users: [kitchen]\n",
    )
    assert message.startswith("configuration.yaml, line 4: auth: trusted_networks[0].networks[0]")
    assert "http.trusted_proxies[0]" in message
    assert "192.168.1" not in message


def test_trusted_network_beside_a_proxy_is_fine(config_dir: Path, write_files: WriteFiles) -> None:
    config = load(
        config_dir,
        write_files,
        "http:\n"
        "  use_x_forwarded_for: true\n"
        "  trusted_proxies: [10.0.0.2]\n"
        "auth:\n"
        "  trusted_networks:\n"
        "    - networks: [192.168.1.0/24]\n"
        "      users: [kitchen]\n",
    )
    assert len(config.auth.trusted_networks) == 1


def test_section_model_is_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        AuthSection().password_min_length = 20  # type: ignore[misc]
