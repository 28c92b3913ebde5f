"""`hearth cert self-signed`."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from hearth.cli.cert import cert
from hearth.config import load_config
from hearth.http.tls.profiles import TlsSettings
from hearth.http.tls.reload import load_tls

from .conftest import Invoke

CONFIG = """\
# My hub
homeassistant:
  name: Home  # the name

http:
  server_port: 8443

demo:
"""


def test_creates_ca_and_certificate_and_turns_tls_on(run: Invoke, config_dir: Path) -> None:
    (config_dir / "configuration.yaml").write_text(CONFIG)
    result = run(cert, ["self-signed", "--host", "localhost", "--host", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    ca = x509.load_pem_x509_certificate((config_dir / "tls" / "ca.crt").read_bytes())
    shown = ca.fingerprint(hashes.SHA256()).hex(":").upper()
    assert f"SHA-256 fingerprint: {shown}" in result.stdout
    assert "Created a local certificate authority: tls/ca.crt" in result.stdout
    assert "for localhost, 127.0.0.1" in result.stdout
    for device in ("iPhone", "Android", "Firefox", "Keychain Access", "certmgr"):
        assert device in result.stdout
    assert (config_dir / "configuration.yaml").read_text() == CONFIG.replace(
        "  server_port: 8443\n",
        "  server_port: 8443\n  ssl_certificate: tls/server.crt\n  ssl_key: tls/server.key\n",
    )
    for name in ("ca.key", "server.key"):
        assert stat.S_IMODE((config_dir / "tls" / name).stat().st_mode) == 0o600
    # The hub accepts what was made: startup checks pass for the default modern profile.
    config = load_config(config_dir)
    assert load_tls(TlsSettings.from_config(config)) is not None


def test_second_run_renews_with_the_same_ca(run: Invoke, config_dir: Path) -> None:
    (config_dir / "configuration.yaml").write_text(CONFIG)
    assert run(cert, ["self-signed", "--host", "hub.local"]).exit_code == 0
    ca_before = (config_dir / "tls" / "ca.crt").read_bytes()
    config_before = (config_dir / "configuration.yaml").read_text()
    server_before = (config_dir / "tls" / "server.crt").read_bytes()
    result = run(cert, ["self-signed", "--host", "hub.local"])
    assert result.exit_code == 0, result.output
    assert "Using the existing local certificate authority" in result.stdout
    assert "Devices that already trust this CA need nothing new." in result.stdout
    assert "iPhone" not in result.stdout
    assert (config_dir / "tls" / "ca.crt").read_bytes() == ca_before
    assert (config_dir / "tls" / "server.crt").read_bytes() != server_before
    assert (config_dir / "configuration.yaml").read_text() == config_before


def test_new_host_outside_the_ca_needs_new_ca(run: Invoke, config_dir: Path) -> None:
    assert run(cert, ["self-signed", "--host", "hub.local"]).exit_code == 0
    refused = run(cert, ["self-signed", "--host", "hub.example.org"])
    assert refused.exit_code == 1
    assert "--new-ca" in refused.output
    replaced = run(cert, ["self-signed", "--host", "hub.example.org", "--new-ca"])
    assert replaced.exit_code == 0, replaced.output
    assert "Created a local certificate authority" in replaced.stdout


def test_missing_configuration_is_created_private(run: Invoke, config_dir: Path) -> None:
    assert run(cert, ["self-signed", "--host", "localhost"]).exit_code == 0
    path = config_dir / "configuration.yaml"
    assert path.read_text() == (
        "http:\n  ssl_certificate: tls/server.crt\n  ssl_key: tls/server.key\n"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    load_config(config_dir)


def test_configuration_mode_is_kept(run: Invoke, config_dir: Path) -> None:
    path = config_dir / "configuration.yaml"
    path.write_text(CONFIG)
    path.chmod(0o640)
    assert run(cert, ["self-signed", "--host", "localhost"]).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_uneditable_configuration_changes_nothing(run: Invoke, config_dir: Path) -> None:
    path = config_dir / "configuration.yaml"
    path.write_text("http: !include http.yaml\n")
    result = run(cert, ["self-signed", "--host", "localhost"])
    assert result.exit_code == 1
    assert "nothing was created" in result.output
    assert "ssl_certificate: tls/server.crt; ssl_key: tls/server.key" in result.output
    assert "included from http.yaml" in result.output
    assert not (config_dir / "tls").exists()
    assert path.read_text() == "http: !include http.yaml\n"


def test_bad_or_missing_host_is_a_usage_error(run: Invoke) -> None:
    assert run(cert, ["self-signed"]).exit_code == 2
    result = run(cert, ["self-signed", "--host", "not a host"])
    assert result.exit_code == 2
    assert "not a host name or IP address" in result.output


def test_missing_config_dir(tmp_path: Path) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(
        cert, ["self-signed", "--host", "localhost", "-c", str(tmp_path / "nope")]
    )
    assert result.exit_code == 1
    assert "does not exist" in result.output
