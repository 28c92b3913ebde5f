"""TLS on the real hub process: Mozilla compliance by sslyze, s_client cases, reload, clients."""

from __future__ import annotations

import asyncio
import http.client
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hass_client import HomeAssistantClient
from homeassistant_api import Client

from hearth.http.tls.listener import PLAIN_HTTP_MESSAGE
from tests.acceptance.support import (
    HOST,
    PASSWORD,
    USERNAME,
    RunningHub,
    free_port,
    hearth,
    raw_exchange,
    tls_closed,
    write_config,
)
from tests.acceptance.support_tls import (
    TlsHub,
    TlsHubFactory,
    issue_certificate,
    prepare_config,
    run_to_exit,
    s_client,
    sslyze,
    start_tls_hub,
    wait_for,
)
from tests.certs.pki import TestCA

pytestmark = pytest.mark.acceptance

LIGHT = "light.demo_light_1"


@pytest.fixture
def tls_hub_factory(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[TlsHubFactory]:
    """Start hubs with a fresh `hearth cert self-signed` certificate and extra http: keys."""
    started: list[RunningHub] = []
    template, token = hub_template

    def factory(**http: str) -> TlsHub:
        config_dir = tmp_path / f"config{len(started)}"
        port = free_port()
        prepare_config(template, config_dir, port, **http)
        hub = start_tls_hub(config_dir, port, token, tmp_path / f"hub{len(started)}.log")
        started.append(hub.hub)
        return hub

    yield factory

    failures = []
    for running in started:
        code = running.stop()
        if code != 0:
            failures.append(f"hub exited with {code}:\n{running.log()}")
        try:
            running.assert_clean_log()
        except AssertionError as err:
            failures.append(str(err))
    assert not failures, "\n\n".join(failures)


# --- Mozilla compliance, proven by a real scanner --------------------------------------------


@pytest.mark.timeout(180)
@pytest.mark.parametrize("profile", ["modern", "intermediate"])
def test_sslyze_finds_the_profile_compliant(tls_hub_factory: TlsHubFactory, profile: str) -> None:
    hub = tls_hub_factory(ssl_profile=profile)
    scan = sslyze(hub, profile)
    report = scan.stdout + scan.stderr
    assert scan.returncode == 0, report
    assert "OK - Compliant." in report, report
    assert "Supported curves:                  X25519, secp256r1, secp384r1" in report, report
    assert "Compression disabled" in report
    assert "Client Renegotiation DoS Attack:   OK - Not vulnerable" in report


@pytest.mark.timeout(180)
def test_sslyze_calls_modern_on_an_intermediate_hub_non_compliant(
    tls_hub_factory: TlsHubFactory,
) -> None:
    """The scanner does catch a difference: the test above could not pass by accident."""
    hub = tls_hub_factory(ssl_profile="intermediate")
    scan = sslyze(hub, "modern")
    assert scan.returncode != 0
    assert "FAILED - Not compliant" in scan.stdout
    assert "TLSv1.2" in scan.stdout


def test_rsa_certificate_is_refused_for_modern(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> None:
    config_dir = tmp_path / "config"
    prepare_config(hub_template[0], config_dir, free_port())
    TestCA().issue(config_dir / "tls", "server", kind="rsa2048")  # replaces the ECDSA pair
    result = run_to_exit(config_dir)
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert re.match(
        r"Error: configuration\.yaml, line \d+: http\.ssl_certificate: the certificate ", line
    )
    assert "server.crt has an RSA 2048 key, which ssl_profile: modern does not allow" in line
    assert "use an ECDSA (P-256 or P-384) certificate" in line
    assert "or set ssl_profile: intermediate" in line


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("expired", "expired on"),
        ("mismatch", "does not belong to the certificate"),
        ("wrong-name", "is not valid for hub.example.org (http.server_host)"),
    ],
)
def test_bad_pair_stops_the_hub_with_the_file_named(
    tmp_path: Path, hub_template: tuple[Path, str], problem: str, expected: str
) -> None:
    config_dir = tmp_path / "config"
    prepare_config(hub_template[0], config_dir, free_port())
    if problem == "expired":
        TestCA().issue(
            config_dir / "tls", "server", not_before=datetime.now(UTC) - timedelta(days=91)
        )
    elif problem == "mismatch":
        key = ec.generate_private_key(ec.SECP256R1())
        (config_dir / "tls" / "server.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    else:
        path = config_dir / "configuration.yaml"
        path.write_text(
            path.read_text().replace("['127.0.0.1']", "['127.0.0.1', 'hub.example.org']")
        )
    result = run_to_exit(config_dir)
    assert result.returncode == 1, result.stderr
    assert expected in result.stderr
    assert str(config_dir / "tls") in result.stderr


# --- openssl s_client ------------------------------------------------------------------------


def test_modern_refuses_tls12_and_tls11(tls_hub_factory: TlsHubFactory) -> None:
    hub = tls_hub_factory()
    assert s_client(hub, "-tls1_3").served
    assert not s_client(hub, "-tls1_2").served
    assert not s_client(hub, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0").served


def test_intermediate_takes_tls12_and_refuses_tls11(tls_hub_factory: TlsHubFactory) -> None:
    hub = tls_hub_factory(ssl_profile="intermediate")
    tls12 = s_client(hub, "-tls1_2")
    assert tls12.served
    assert "ECDHE-ECDSA-" in tls12.line("New, TLSv1.2, Cipher is")
    assert s_client(hub, "-tls1_3").served
    old = s_client(hub, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    assert not old.served
    # CBC and non-ECDHE suites are not there to be chosen, even when a TLS 1.2 client asks.
    for cipher in ("ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "AES128-GCM-SHA256"):
        assert not s_client(hub, "-tls1_2", "-cipher", cipher).served, cipher


@pytest.mark.parametrize("profile", ["modern", "intermediate"])
def test_key_exchange_groups(tls_hub_factory: TlsHubFactory, profile: str) -> None:
    hub = tls_hub_factory(ssl_profile=profile)
    for group, shown in (("X25519", "X25519"), ("P-256", "prime256v1"), ("P-384", "secp384r1")):
        result = s_client(hub, "-tls1_3", "-groups", group)
        assert result.served, (group, result.stderr)
        assert shown in result.line("Server Temp Key:"), result.stdout
    for group in ("P-521", "X448", "ffdhe2048", "ffdhe3072"):
        assert not s_client(hub, "-tls1_3", "-groups", group).served, group
    # A key share the hub does not take, plus one it does: a HelloRetryRequest, then success.
    retried = s_client(hub, "-tls1_3", "-groups", "X448:P-384")
    assert retried.served
    assert "secp384r1" in retried.line("Server Temp Key:")
    if profile == "intermediate":
        tls12 = s_client(hub, "-tls1_2", "-groups", "P-521:X448:P-256")
        assert tls12.served
        assert "prime256v1" in tls12.line("Server Temp Key:")


def test_client_certificate_required(tls_hub_factory: TlsHubFactory, tmp_path: Path) -> None:
    clients = TestCA("Household devices")
    phone = clients.issue(tmp_path / "phone", "phone", client=True)
    stranger = TestCA("Elsewhere").issue(tmp_path / "stranger", "stranger", client=True)
    peer_ca = clients.write(tmp_path / "clients.pem")
    hub = tls_hub_factory(ssl_profile="intermediate", ssl_peer_certificate=str(peer_ca))
    for version in ("-tls1_3", "-tls1_2"):
        assert not s_client(hub, version).served, version
        other = ["-cert", str(stranger.cert_path), "-key", str(stranger.key_path)]
        assert not s_client(hub, version, *other).served, version
        mine = ["-cert", str(phone.cert_path), "-key", str(phone.key_path)]
        allowed = s_client(hub, version, *mine)
        assert allowed.served, allowed.stderr
        assert "HTTP/1.1 401 Unauthorized" in allowed.stdout  # TLS passed; a token is still due


# --- reload without restart ------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_certificate_reload(tls_hub_factory: TlsHubFactory) -> None:
    hub = tls_hub_factory()
    first = hub.peer_certificate()
    conn = http.client.HTTPSConnection(
        "localhost", hub.port, context=hub.client_context(), timeout=10
    )
    try:
        conn.request("GET", "/api/", headers={"Authorization": f"Bearer {hub.hub.token}"})
        assert conn.getresponse().read() == b'{"message":"API running."}'

        # Renewal: the same command again (same CA, new server certificate).
        issue_certificate(hub.hub.config_dir)
        wait_for(lambda: hub.peer_certificate() != first, "the renewed certificate to be served")
        assert "TLS certificate reloaded" in hub.hub.log()
        renewed = hub.peer_certificate()

        # The connection opened before the renewal still works, on its old certificate.
        assert conn.sock is not None
        assert conn.sock.getpeercert(binary_form=True) == first
        conn.request("GET", "/api/", headers={"Authorization": f"Bearer {hub.hub.token}"})
        assert conn.getresponse().status == 200
    finally:
        conn.close()

    # A broken pair (a key that belongs to no certificate) is refused; the hub keeps serving.
    key = ec.generate_private_key(ec.SECP256R1())
    (hub.hub.config_dir / "tls" / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    wait_for(lambda: "TLS certificate not reloaded" in hub.hub.log(), "the rejection log line")
    [line] = [line for line in hub.hub.log().splitlines() if "not reloaded" in line]
    assert "does not belong to the certificate" in line
    assert "still serving the previous one" in line
    assert hub.peer_certificate() == renewed
    assert s_client(hub, "-tls1_3", "-groups", "X448:P-256").served  # retry path after a swap


# --- clients over TLS ------------------------------------------------------------------------


def test_rest_client_over_tls(tls_hub_factory: TlsHubFactory) -> None:
    hub = tls_hub_factory()
    client = Client(f"{hub.url}/api", hub.hub.token, global_request_kwargs={"timeout": 10})
    client.global_request_kwargs["verify"] = str(hub.ca)  # trust the hub's local CA only
    with client:
        assert client.check_api_running()
        assert client.get_config()["location_name"] == "Acceptance Home"
        changed = client.trigger_service("light", "turn_on", entity_id=LIGHT, brightness=99)
        assert [s.attributes["brightness"] for s in changed if s.entity_id == LIGHT] == [99]


async def test_websocket_client_over_tls(tls_hub_factory: TlsHubFactory) -> None:
    hub = tls_hub_factory()
    async with aiohttp.ClientSession() as session:
        client = HomeAssistantClient(
            f"wss://localhost:{hub.port}/api/websocket", hub.hub.token, session
        )
        # What `async with client` does, with the hub's CA instead of the system's trust store.
        await client.connect(ssl=hub.client_context())
        listener = asyncio.create_task(client.start_listening())
        try:
            states = await client.get_states()
            assert LIGHT in {state["entity_id"] for state in states}
            events: asyncio.Queue[Any] = asyncio.Queue()
            await client.subscribe_events(events.put_nowait, "state_changed")
            await client.call_service("light", "toggle", target={"entity_id": LIGHT})
            async with asyncio.timeout(10):
                while (await events.get())["data"]["entity_id"] != LIGHT:
                    pass
        finally:
            await client.disconnect()
            async with asyncio.timeout(10):
                await listener
    await tls_closed()


async def test_login_flow_then_api_and_websocket_over_tls(tls_hub_factory: TlsHubFactory) -> None:
    """The frontend's login, as Home Assistant's frontend does it, entirely over HTTPS."""
    hub = tls_hub_factory()
    client_id = f"{hub.url}/"
    connector = aiohttp.TCPConnector(ssl=hub.client_context())
    async with aiohttp.ClientSession(hub.url, connector=connector) as session:
        async with session.get("/auth/providers") as resp:
            assert resp.status == 200
            assert resp.headers["Strict-Transport-Security"] == "max-age=63072000"
        begin = {
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": f"{client_id}?auth_callback=1",
        }
        async with session.post("/auth/login_flow", json=begin) as resp:
            flow = await resp.json()
        credentials = {"client_id": client_id, "username": USERNAME, "password": PASSWORD}
        async with session.post(f"/auth/login_flow/{flow['flow_id']}", json=credentials) as resp:
            done = await resp.json()
        assert done["type"] == "create_entry", done
        grant = {"grant_type": "authorization_code", "client_id": client_id, "code": done["result"]}
        async with session.post("/auth/token", data=grant) as resp:
            assert resp.status == 200
            tokens = await resp.json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with session.get("/api/", headers=bearer) as resp:
            assert await resp.json() == {"message": "API running."}
        async with session.ws_connect("/api/websocket") as ws:
            assert (await ws.receive_json())["type"] == "auth_required"
            await ws.send_json({"type": "auth", "access_token": tokens["access_token"]})
            assert (await ws.receive_json())["type"] == "auth_ok"
            await ws.send_json({"id": 1, "type": "get_states"})
            reply = await ws.receive_json()
            assert reply["success"] is True
            assert LIGHT in {state["entity_id"] for state in reply["result"]}
    await tls_closed()


def test_https_responses_carry_hsts_and_plain_http_is_told_to_use_https(
    tls_hub_factory: TlsHubFactory,
) -> None:
    hub = tls_hub_factory()
    conn = http.client.HTTPSConnection(
        "localhost", hub.port, context=hub.client_context(), timeout=10
    )
    try:
        conn.request("GET", "/api/")  # no token: a 401, still over TLS
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 401
        assert resp.getheader("Strict-Transport-Security") == "max-age=63072000"
    finally:
        conn.close()
    plain = raw_exchange(hub.port, b"GET /api/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert plain.status == 400
    assert plain.json() == {"message": PLAIN_HTTP_MESSAGE}
    assert "strict-transport-security" not in plain.headers
    assert f"https://{HOST}:{hub.port}" in hub.hub.log()


def test_cert_command_output_matches_the_ca(tmp_path: Path) -> None:
    """The fingerprint printed is the CA's, so a user can compare it on the phone."""
    config_dir = tmp_path / "config"
    write_config(config_dir, free_port())
    made = hearth(config_dir, "cert", "self-signed", "--host", "hearth.local")
    assert made.returncode == 0, made.stderr
    ca = x509.load_pem_x509_certificate((config_dir / "tls" / "ca.crt").read_bytes())
    assert f"SHA-256 fingerprint: {ca.fingerprint(hashes.SHA256()).hex(':').upper()}" in made.stdout
    text = (config_dir / "configuration.yaml").read_text()
    assert "  ssl_certificate: tls/server.crt\n  ssl_key: tls/server.key\n" in text
