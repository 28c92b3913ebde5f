"""A real nginx (the Debian package) in front of a hub, on loopback, for reverse-proxy tests.

Use the `nginx_factory` fixture: `proxy = nginx_factory(hub.port)` starts nginx proxying to the
hub, and `through(proxy, path, source=...)` sends a request to nginx from a chosen loopback
address. nginx connects to the hub from 127.0.0.1, so a hub with
`trusted_proxies: [127.0.0.1]` and `use_x_forwarded_for: true` sees the address nginx reports.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.acceptance.support import (
    HOST,
    HttpReply,
    _header_map,
    free_port,
    port_open,
)

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# X-Forwarded-For appends the connecting address to whatever the client sent, so a test client
# on 127.0.0.1 (a trusted proxy) can play an outer proxy reporting a public address. Clients on
# other loopback addresses (127.0.0.2, ...) are untrusted: what they put in the header is ignored.
CONFIG_TEMPLATE = """\
{user}
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{
    worker_connections 1024;
}}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream hearth {{
        server 127.0.0.1:{upstream_port};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        server_tokens off;
        location / {{
            proxy_pass http://hearth;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 90s;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    """The nginx executable (Debian installs it in /usr/sbin, often not on PATH)."""
    found = shutil.which("nginx")
    if found is None and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"
    return found


@dataclass
class Nginx:
    """An nginx process proxying 127.0.0.1:port to the hub at 127.0.0.1:upstream_port."""

    port: int
    upstream_port: int
    prefix: Path
    process: subprocess.Popen[bytes]

    def error_log(self) -> str:
        """nginx's error log (startup problems, upstream errors)."""
        path = self.prefix / "error.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop nginx quickly (SIGTERM), bounded."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


NginxFactory = Callable[[int], Nginx]


def start_nginx(prefix: Path, upstream_port: int) -> Nginx:
    """Write a config under `prefix` and start nginx in the foreground; wait until it listens."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (`make system-test-deps` installs the Debian package)")
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / name).mkdir(parents=True, exist_ok=True)
    port = free_port()
    # As root, nginx would switch its worker to `nobody`, which cannot enter pytest's tmp dirs.
    user = "user root;" if os.geteuid() == 0 else ""
    config = prefix / "nginx.conf"
    config.write_text(
        CONFIG_TEMPLATE.format(user=user, prefix=prefix, port=port, upstream_port=upstream_port),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    running = Nginx(port, upstream_port, prefix, process)
    deadline = time.monotonic() + START_TIMEOUT
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            running.stop()
            pytest.fail(f"nginx did not start:\n{running.error_log()}")
        time.sleep(0.05)
    return running


@pytest.fixture
def nginx_factory(tmp_path: Path) -> Iterator[NginxFactory]:
    """Start nginx in front of a hub port on demand: `nginx_factory(hub.port)`; stopped after."""
    started: list[Nginx] = []

    def factory(upstream_port: int) -> Nginx:
        running = start_nginx(tmp_path / f"nginx{len(started)}", upstream_port)
        started.append(running)
        return running

    yield factory
    for running in started:
        running.stop()


def through(
    proxy: Nginx,
    path: str = "/api/",
    *,
    method: str = "GET",
    token: str | None = None,
    source: str = HOST,
    headers: dict[str, str] | None = None,
) -> HttpReply:
    """One request to nginx from the loopback address `source`."""
    conn = http.client.HTTPConnection(HOST, proxy.port, timeout=10, source_address=(source, 0))
    try:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        conn.request(method, path, headers=sent)
        resp = conn.getresponse()
        return HttpReply(resp.status, _header_map(resp.getheaders()), resp.read())
    finally:
        conn.close()
