"""A real nginx in front of the real hub: the client address is what nginx reports, nothing else."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
import trustme

from tests.acceptance.nginx import NginxFactory, nginx_binary, through
from tests.acceptance.support import (
    HOST,
    HubFactory,
    assert_error_shape,
    request,
    tampered,
)

pytestmark = pytest.mark.acceptance

BEHIND_NGINX = "  use_x_forwarded_for: true\n  trusted_proxies: [127.0.0.1]\n"
CLIENT = "127.0.0.2"  # a LAN client: loopback but not a trusted proxy
FORGED_HEADERS_MESSAGE = "Forwarded headers are not accepted from this address."
DEPLOY_EXAMPLE = Path(__file__).parents[2] / "deploy" / "nginx" / "hearth.conf"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def direct(port: int, headers: dict[str, str], source: str) -> tuple[int, bytes]:
    """A request straight to the hub (not through nginx) from `source`."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    raw = f"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{lines}\r\n".encode()
    with socket.create_connection((HOST, port), timeout=5, source_address=(source, 0)) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_hub_sees_the_client_nginx_reports(
    hub_factory: HubFactory, nginx_factory: NginxFactory
) -> None:
    hub = hub_factory(http_extra=BEHIND_NGINX)
    proxy = nginx_factory(hub.port)
    ok = through(proxy, "/api/", token=hub.token, source=CLIENT)
    assert ok.status == 200, ok
    # A failed login names the client nginx reported, never nginx's own address.
    refused = through(proxy, "/api/states", token=tampered(hub.token), source=CLIENT)
    assert refused.status == 401
    failures = [line for line in hub.log().splitlines() if "Login failed" in line]
    assert len(failures) == 1, hub.log()
    assert f" from {CLIENT}: " in failures[0]
    # What the client itself writes into X-Forwarded-For is ignored: nginx appends the real
    # peer, and that right-most untrusted address is the client.
    forged = through(
        proxy, "/api/", token=hub.token, source=CLIENT, headers={"X-Forwarded-For": "8.8.8.8"}
    )
    assert forged.status == 200, forged  # 8.8.8.8 would be refused as not local


def test_forged_forwarded_for_straight_to_the_hub_is_400(
    hub_factory: HubFactory, nginx_factory: NginxFactory
) -> None:
    hub = hub_factory(http_extra=BEHIND_NGINX)
    nginx_factory(hub.port)
    status, body = direct(hub.port, {"X-Forwarded-For": "192.168.1.10"}, source=CLIENT)
    assert status == 400
    assert body == b'{"message":"%s"}' % FORGED_HEADERS_MESSAGE.encode()
    assert (
        f"Refused a request from {CLIENT} carrying X-Forwarded-For: {CLIENT} is not in "
        "`http: trusted_proxies`. If it is your reverse proxy, add it there"
    ) in hub.log()
    # The trusted proxy's address itself may send it (that is what nginx does).
    status, _ = direct(hub.port, {"X-Forwarded-For": "192.168.1.10"}, source=HOST)
    assert status == 401  # passed the proxy check; now it needs a token


def test_reverse_proxy_support_off_names_the_setting(hub_factory: HubFactory) -> None:
    hub = hub_factory()
    reply = request(hub, "GET", "/api/", token=hub.token, headers={"X-Forwarded-For": "10.0.0.5"})
    assert assert_error_shape(reply, 400) == FORGED_HEADERS_MESSAGE
    assert "set `use_x_forwarded_for: true` and add 127.0.0.1 to `trusted_proxies`" in hub.log()


def test_malformed_forwarded_for_through_nginx_is_400(
    hub_factory: HubFactory, nginx_factory: NginxFactory
) -> None:
    """nginx passes the client's X-Forwarded-For on (appending to it); garbage in it is a 400."""
    hub = hub_factory(http_extra=BEHIND_NGINX)
    proxy = nginx_factory(hub.port)
    headers = {"X-Forwarded-For": "not-an-address"}
    reply = through(proxy, "/api/", token=hub.token, source=CLIENT, headers=headers)
    assert assert_error_shape(reply, 400) == "Invalid address in X-Forwarded-For."


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "10.0.0.5", "X-Forwarded-Proto": "gopher"},
        {"X-Forwarded-For": "10.0.0.5", "X-Forwarded-Host": "bad host"},
        {"X-Forwarded-For": "10.0.0.5, , 10.0.0.6"},
    ],
)
def test_malformed_headers_from_the_proxy_are_400(
    hub_factory: HubFactory, headers: dict[str, str]
) -> None:
    hub = hub_factory(http_extra=BEHIND_NGINX)
    status, body = direct(hub.port, headers, source=HOST)
    assert status == 400
    assert b"X-Forwarded-" in body


def test_websocket_through_nginx(hub_factory: HubFactory, nginx_factory: NginxFactory) -> None:
    hub = hub_factory(http_extra=BEHIND_NGINX)
    proxy = nginx_factory(hub.port)
    raw = (
        b"GET /api/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection((HOST, proxy.port), timeout=5, source_address=(CLIENT, 0)) as s:
        s.sendall(raw)
        data = b""
        while b"auth_required" not in data:
            chunk = s.recv(4096)
            assert chunk, data
            data += chunk
    assert data.startswith(b"HTTP/1.1 101 "), data


def test_nginx_is_exempt_from_the_connection_cap(
    hub_factory: HubFactory, nginx_factory: NginxFactory
) -> None:
    """nginx carries many clients: more than 64 at once through it are all served."""
    hub = hub_factory(http_extra=BEHIND_NGINX)
    proxy = nginx_factory(hub.port)
    held = []
    try:
        for _ in range(80):  # idle WebSockets: each holds one nginx->hub connection open
            sock = socket.create_connection((HOST, proxy.port), timeout=5)
            sock.sendall(
                b"GET /api/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n"
            )
            held.append(sock)
        for sock in held:
            assert sock.recv(4096).startswith(b"HTTP/1.1 101 ")
        reply = through(proxy, "/api/", token=hub.token, source=CLIENT)
        assert reply.status == 200, reply
    finally:
        for sock in held:
            sock.close()


def test_deploy_example_is_valid_nginx(tmp_path: Path) -> None:
    """deploy/nginx/hearth.conf passes `nginx -t` (with a throwaway certificate)."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (`make system-test-deps` installs the Debian package)")
    ca = trustme.CA()
    cert = ca.issue_cert("hearth.example.com")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    site = DEPLOY_EXAMPLE.read_text(encoding="utf-8")
    live = "/etc/letsencrypt/live/hearth.example.com/"
    assert f"{live}fullchain.pem" in site
    site = site.replace(f"{live}fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace(f"{live}privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "hearth.conf").write_text(site, encoding="utf-8")
    for name in TEMP_PATHS:
        (tmp_path / "tmp" / name).mkdir(parents=True)
    temp = " ".join(f"{name}_temp_path {tmp_path}/tmp/{name};" for name in TEMP_PATHS)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; {temp} include {tmp_path}/hearth.conf; }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
