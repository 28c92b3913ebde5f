"""`http: acme:`: every key, its defaults, and one-line errors that never show a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth import const
from hearth.config import load_config
from hearth.config.schema import Config
from hearth.exceptions import ConfigError
from tests.config.conftest import WriteFiles

HMAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"


def load(config_dir: Path, write_files: WriteFiles, http: str, **files: str) -> Config:
    write_files({"configuration.yaml": "homeassistant:\n  name: Home\nhttp:\n" + http, **files})
    return load_config(config_dir)


def error(config_dir: Path, write_files: WriteFiles, http: str, **files: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(config_dir, write_files, http, **files)
    return str(info.value)


def test_three_lines_are_enough(config_dir: Path, write_files: WriteFiles) -> None:
    acme = load(config_dir, write_files, "  acme:\n    domains: Hub.Example.COM.\n").http.acme
    assert acme is not None
    assert acme.domains == ["hub.example.com"]
    assert acme.directory == const.ACME_LETSENCRYPT
    assert acme.challenge == "http-01"
    assert acme.renew_before == 30 * 86400
    assert acme.key_type == "ecdsa"
    assert acme.email is acme.eab_kid is acme.eab_hmac_key is acme.ca_bundle is None


def test_every_key(config_dir: Path, write_files: WriteFiles, tmp_path: Path) -> None:
    write_files({"ca.pem": "pem", "hook.sh": "#!/bin/sh\n", "secrets.yaml": f"eab: {HMAC}\n"})
    (config_dir / "hook.sh").chmod(0o700)
    acme = load(
        config_dir,
        write_files,
        "  ssl_profile: intermediate\n"
        "  acme:\n"
        "    directory: https://ca.example.net/acme/directory\n"
        "    email: owner@example.org\n"
        "    domains: [example.com, '*.example.com', example.com]\n"
        "    challenge: dns-01\n"
        "    dns_hook: hook.sh\n"
        "    renew_before: 10d\n"
        "    key_type: rsa\n"
        "    eab_kid: kid-1\n"
        "    eab_hmac_key: !secret eab\n"
        "    ca_bundle: ca.pem\n",
    ).http.acme
    assert acme is not None
    assert acme.domains == ["example.com", "*.example.com"]
    assert acme.dns_hook == config_dir.absolute() / "hook.sh"
    assert acme.ca_bundle == config_dir.absolute() / "ca.pem"
    assert acme.renew_before == 10 * 86400
    assert (acme.eab_kid, acme.eab_hmac_key, acme.key_type) == ("kid-1", HMAC, "rsa")


@pytest.mark.parametrize(
    ("acme", "expected"),
    [
        ("    email: a@b.org\n", "line 4: http.acme: acme: needs domains, the DNS names"),
        ("    domains: [192.168.1.10]\n", "expected a DNS name: ACME certificates here"),
        ("    domains: [localhost]\n", "expected a public DNS name"),
        ("    domains: [hub_1.example.com]\n", "expected a public DNS name"),
        (
            "    domains: ['*.example.com']\n",
            "a wildcard name (*.example.com) needs challenge: dns-01",
        ),
        ("    domains: [bücher.example]\n", "write an internationalized name in its ASCII form"),
        ("    domains: []\n", "line 4: http.acme: acme: needs domains"),
        ("    domains: [a.example]\n    directory: http://ca.example/dir\n", "needs HTTPS"),
        (
            "    domains: [a.example]\n    directory: https://u:p@ca.example/dir\n",
            "must not carry a user name or password",
        ),
        ("    domains: [a.example]\n    email: not-an-address\n", "expected one e-mail address"),
        ("    domains: [a.example]\n    challenge: dns-02\n", "http.acme.challenge: expected"),
        ("    domains: [a.example]\n    challenge: dns-01\n", "dns-01 needs dns_hook"),
        ("    domains: [a.example]\n    dns_hook: hook.sh\n", "dns_hook is only used with"),
        ("    domains: [a.example]\n    renew_before: 10m\n", "expected a duration from 1h to"),
        ("    domains: [a.example]\n    eab_kid: kid-1\n", "eab_kid and eab_hmac_key go together"),
        ("    domains: [a.example]\n    key_type: rsa\n", "key_type: rsa needs ssl_profile"),
        ("    domains: [a.example]\n    ca_bundle: missing.pem\n", "http.acme.ca_bundle: file not"),
        ("    domains: [a.example]\n    tls_port: 443\n", "http.acme.tls_port"),
    ],
)
def test_errors_name_line_and_key(
    config_dir: Path, write_files: WriteFiles, acme: str, expected: str
) -> None:
    write_files({"hook.sh": "#!/bin/sh\n"})
    (config_dir / "hook.sh").chmod(0o700)
    message = error(config_dir, write_files, "  acme:\n" + acme)
    assert message.startswith("configuration.yaml, line "), message
    assert expected in message, message
    assert "\n" not in message


def test_acme_replaces_the_certificate_files(config_dir: Path, write_files: WriteFiles) -> None:
    message = error(
        config_dir,
        write_files,
        "  ssl_certificate: c.pem\n  ssl_key: k.pem\n  acme:\n    domains: [a.example]\n",
        **{"c.pem": "c", "k.pem": "k"},
    )
    assert "acme: obtains the certificate itself: remove ssl_certificate and ssl_key" in message


def test_a_hook_that_is_not_executable_is_refused(
    config_dir: Path, write_files: WriteFiles
) -> None:
    write_files({"hook.sh": "#!/bin/sh\n"})
    (config_dir / "hook.sh").chmod(0o600)
    message = error(
        config_dir,
        write_files,
        "  acme:\n    domains: [a.example]\n    challenge: dns-01\n    dns_hook: hook.sh\n",
    )
    assert "http.acme.dns_hook: the file is not executable" in message


def test_client_certificates_work_with_acme(config_dir: Path, write_files: WriteFiles) -> None:
    http = load(
        config_dir,
        write_files,
        "  ssl_peer_certificate: clients.pem\n  acme:\n    domains: [a.example]\n",
        **{"clients.pem": "pem"},
    ).http
    assert http.ssl_peer_certificate is not None


@pytest.mark.parametrize("bad", ["short", "not base64!!", "a" * 10])
def test_a_bad_hmac_key_is_refused_without_showing_it(
    config_dir: Path, write_files: WriteFiles, bad: str
) -> None:
    message = error(
        config_dir,
        write_files,
        "  acme:\n    domains: [a.example]\n    eab_kid: k\n    eab_hmac_key: !secret eab\n",
        **{"secrets.yaml": f"eab: '{bad}'\n"},
    )
    assert "http.acme.eab_hmac_key:" in message
    assert bad not in message
