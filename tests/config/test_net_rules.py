"""The network safety rules: which trusted ranges refuse to start, which only warn."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

import pytest

from hearth.config import load_config, read_config
from hearth.config.net_rules import (
    PROXY_WITHOUT_FORWARDED,
    PUBLIC_ALLOWED,
    PUBLIC_LOCAL,
    PUBLIC_PROXY,
    PUBLIC_TRUSTED,
    WIDE_PROXY,
    is_public,
    network_warnings,
)
from hearth.config.schema import HttpSection
from hearth.exceptions import ConfigError
from tests.config.conftest import WriteFiles


@pytest.mark.parametrize(
    ("network", "public"),
    [
        ("192.168.1.0/24", False),
        ("192.168.0.0/16", False),
        ("10.0.0.0/8", False),
        ("127.0.0.1/32", False),
        ("100.64.0.0/10", False),
        ("fd00::/8", False),
        ("fe80::/64", False),
        ("::1/128", False),
        ("0.0.0.0/0", True),
        ("::/0", True),
        ("10.0.0.0/7", True),  # 10/8 and the public 11/8
        ("192.168.0.0/15", True),
        ("203.0.113.7/32", True),
        ("2001:db8::/32", True),
        ("fc00::/6", True),
    ],
)
def test_public_means_outside_the_built_in_local_networks(network: str, public: bool) -> None:
    assert is_public(ip_network(network)) is public


# key -> (refused entries, accepted entries, the refusal message)
RULES = {
    "trusted_proxies": (
        ["0.0.0.0/0", "::/0", "203.0.113.0/27", "2001:db8::/120", "8.0.0.0/8"],
        ["203.0.113.7", "203.0.113.0/28", "2001:db8::1", "2001:db8::/124", "192.168.0.0/16",
         "10.0.0.0/8", "127.0.0.1", "fd00::/8"],
        PUBLIC_PROXY,
    ),
    "ip_ban_allowlist": (
        ["0.0.0.0/0", "::/0", "198.51.100.0/24", "2001:db8::/64"],
        ["198.51.100.7", "198.51.100.0/28", "2001:db8::/124", "192.168.0.0/16", "fd00::/8"],
        PUBLIC_ALLOWED,
    ),
    "local_networks": (
        ["0.0.0.0/0", "::/0", "203.0.112.0/23", "8.0.0.0/8", "2001:db8::/47", "2001::/16"],
        ["203.0.113.0/24", "203.0.113.7", "2001:db8:5::/48", "2001:db8:5:1::/64",
         "10.0.0.0/8", "fd00::/8"],
        PUBLIC_LOCAL,
    ),
}  # fmt: skip
CASES = [
    (key, entry, refused, message)
    for key, (bad, good, message) in RULES.items()
    for entries, refused in ((bad, True), (good, False))
    for entry in entries
]


@pytest.mark.parametrize(("key", "entry", "refused", "message"), CASES)
def test_http_network_rules(
    config_dir: Path, write_files: WriteFiles, key: str, entry: str, refused: bool, message: str
) -> None:
    """Each rule through the real loader: a refusal names file, line and the entry's key."""
    extra = "  use_x_forwarded_for: true\n" if key == "trusted_proxies" else ""
    write_files({"configuration.yaml": f"http:\n{extra}  {key}:\n    - {entry}\n"})
    if not refused:
        load_config(config_dir)
        return
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    line = 4 if extra else 3
    assert str(info.value) == f"configuration.yaml, line {line}: http.{key}[0]: {message}"


@pytest.mark.parametrize(
    ("network", "refused"),
    [
        ("203.0.113.7/32", True),
        ("2001:db8:5:1::/64", True),
        ("0.0.0.0/0", True),
        ("10.0.0.0/7", True),
        ("192.168.50.0/24", False),
        ("fd00:50::/64", False),
        ("10.0.0.0/8", False),
    ],
)
def test_trusted_networks_must_be_private(
    config_dir: Path, write_files: WriteFiles, network: str, refused: bool
) -> None:
    """A password-less login never depends on a public address, however narrow the range."""
    write_files(
        {
            "configuration.yaml": (
                f"auth:\n  trusted_networks:\n    - networks: [{network}]\n      users: [kitchen]\n"
            )
        }
    )
    if not refused:
        load_config(config_dir)
        return
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    assert str(info.value) == (
        f"configuration.yaml, line 3: auth.trusted_networks[0].networks[0]: {PUBLIC_TRUSTED}"
    )


def test_a_refused_value_from_a_secret_names_the_secret_not_the_value(
    config_dir: Path, write_files: WriteFiles
) -> None:
    write_files(
        {
            "configuration.yaml": "http:\n  ip_ban_allowlist: !secret office\n",
            "secrets.yaml": "office: 198.51.0.0/16\n",
        }
    )
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    message = str(info.value)
    assert message.startswith("configuration.yaml, line 2: http.ip_ban_allowlist: ")
    assert message.endswith("(value from !secret office)")
    assert "198.51" not in message


@pytest.mark.parametrize(
    ("http", "warnings"),
    [
        ({}, []),
        ({"use_x_forwarded_for": True, "trusted_proxies": ["192.168.1.2"]}, []),
        ({"use_x_forwarded_for": True, "trusted_proxies": ["192.168.1.0/28"]}, []),
        ({"use_x_forwarded_for": True, "trusted_proxies": ["fd00::/124"]}, []),
        (
            {"use_x_forwarded_for": True, "trusted_proxies": ["10.0.0.1", "192.168.0.0/16"]},
            [(("http", "trusted_proxies", 1), WIDE_PROXY)],
        ),
        (
            {"use_x_forwarded_for": True, "trusted_proxies": ["127.0.0.0/8", "fd00::/64"]},
            [
                (("http", "trusted_proxies", 0), WIDE_PROXY),
                (("http", "trusted_proxies", 1), WIDE_PROXY),
            ],
        ),
        (
            {"trusted_proxies": ["192.168.1.2"]},
            [(("http", "trusted_proxies"), PROXY_WITHOUT_FORWARDED)],
        ),
        (
            {"trusted_proxies": ["192.168.1.0/24"]},
            [
                (("http", "trusted_proxies", 0), WIDE_PROXY),
                (("http", "trusted_proxies"), PROXY_WITHOUT_FORWARDED),
            ],
        ),
    ],
)
def test_warnings(http: dict[str, object], warnings: list[tuple[object, str]]) -> None:
    """Risky settings that defeat no protection by themselves start, with a warning each."""
    assert list(network_warnings(HttpSection.model_validate(http))) == warnings


def test_a_warning_names_file_line_and_key(config_dir: Path, write_files: WriteFiles) -> None:
    write_files(
        {
            "configuration.yaml": (
                "http:\n  use_x_forwarded_for: true\n  trusted_proxies: !include p.yaml\n"
            ),
            "p.yaml": "- 10.0.0.1\n- 10.0.0.0/8\n",
        }
    )
    config = read_config(config_dir)
    [(path, message)] = network_warnings(config.config.http)
    assert str(config.error(path, message)) == (
        f"p.yaml, line 2: http.trusted_proxies[1]: {WIDE_PROXY}"
    )
