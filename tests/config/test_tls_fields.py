"""The TLS keys of `http:`: files resolved against the config dir, pairs, the profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.config import load_config
from hearth.config.schema import Config
from hearth.exceptions import ConfigError
from tests.config.conftest import WriteFiles

PAIR = {"tls/server.crt": "cert", "tls/server.key": "key"}


def load(config_dir: Path, write_files: WriteFiles, http: str, **files: str) -> Config:
    write_files({"configuration.yaml": "homeassistant:\n  name: Home\nhttp:\n" + http, **files})
    return load_config(config_dir)


def error(config_dir: Path, write_files: WriteFiles, http: str, **files: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(config_dir, write_files, http, **files)
    return str(info.value)


def test_tls_is_off_by_default(config_dir: Path, write_files: WriteFiles) -> None:
    http = load(config_dir, write_files, "  server_port: 8123\n").http
    assert http.ssl_certificate is None
    assert http.ssl_key is None
    assert http.ssl_peer_certificate is None
    assert http.ssl_profile == "modern"


def test_relative_paths_resolve_against_the_config_dir(
    config_dir: Path, write_files: WriteFiles
) -> None:
    write_files(PAIR)
    http = load(
        config_dir,
        write_files,
        "  ssl_certificate: tls/server.crt\n  ssl_key: ./tls/../tls/server.key\n"
        "  ssl_profile: intermediate\n",
    ).http
    assert http.ssl_certificate == config_dir.absolute() / "tls" / "server.crt"
    assert http.ssl_key == config_dir.absolute() / "tls" / "server.key"
    assert http.ssl_profile == "intermediate"


def test_absolute_paths_and_symlinks_are_kept(
    config_dir: Path, write_files: WriteFiles, tmp_path: Path
) -> None:
    outside = tmp_path / "letsencrypt"
    outside.mkdir()
    (outside / "fullchain.pem").write_text("cert")
    (outside / "privkey.pem").write_text("key")
    (config_dir / "live.pem").symlink_to(outside / "fullchain.pem")
    http = load(
        config_dir,
        write_files,
        f"  ssl_certificate: live.pem\n  ssl_key: {outside / 'privkey.pem'}\n",
    ).http
    # The link itself, not its target: a renewal re-points it and the reload follows.
    assert http.ssl_certificate == config_dir.absolute() / "live.pem"
    assert http.ssl_key == outside / "privkey.pem"


@pytest.mark.parametrize(
    ("http", "expected"),
    [
        (
            "  ssl_certificate: tls/server.crt\n  ssl_key: tls/missing.key\n",
            "configuration.yaml, line 5: http.ssl_key: file not found (a relative path is "
            "relative to the configuration directory)",
        ),
        (
            "  ssl_certificate: tls\n  ssl_key: tls/server.key\n",
            "configuration.yaml, line 4: http.ssl_certificate: file not found",
        ),
        (
            "  ssl_certificate: tls/server.crt\n",
            "configuration.yaml, line 3: http: ssl_certificate and ssl_key go together: set both "
            "or neither",
        ),
        (
            "  ssl_key: tls/server.key\n",
            "configuration.yaml, line 3: http: ssl_certificate and ssl_key go together",
        ),
        (
            "  ssl_peer_certificate: tls/server.crt\n",
            "configuration.yaml, line 3: http: ssl_peer_certificate needs TLS",
        ),
        (
            "  ssl_certificate: 42\n  ssl_key: tls/server.key\n",
            "configuration.yaml, line 4: http.ssl_certificate: expected text",
        ),
        (
            "  ssl_certificate: ''\n  ssl_key: tls/server.key\n",
            "configuration.yaml, line 4: http.ssl_certificate: expected the path of a file",
        ),
        (
            "  ssl_profile: old\n",
            "configuration.yaml, line 4: http.ssl_profile: expected 'modern' or 'intermediate'",
        ),
    ],
)
def test_errors_name_line_and_key(
    config_dir: Path, write_files: WriteFiles, http: str, expected: str
) -> None:
    write_files(PAIR)
    assert error(config_dir, write_files, http).startswith(expected)


def test_a_path_from_secrets_is_never_shown(config_dir: Path, write_files: WriteFiles) -> None:
    write_files({"secrets.yaml": "cert_path: /very/private/place.pem\n", **PAIR})
    message = error(
        config_dir,
        write_files,
        "  ssl_certificate: !secret cert_path\n  ssl_key: tls/server.key\n",
    )
    assert "private" not in message
    assert "file not found" in message
    assert message.endswith("(value from !secret cert_path)")


def test_without_a_config_dir_paths_are_not_checked() -> None:
    config = Config.model_validate(
        {"http": {"ssl_certificate": "a.crt", "ssl_key": "a.key", "ssl_profile": "modern"}}
    )
    assert config.http.ssl_certificate == Path("a.crt")
