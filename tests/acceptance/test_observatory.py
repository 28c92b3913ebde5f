"""MDN HTTP Observatory's scanner grades the running hub over TLS: A+, redirect included.

The scanner (npm @mdn/mdn-http-observatory, locked in tests/acceptance/observatory/ and
installed offline-capable with --ignore-scripts) runs its own retriever, tests and grading
tables through tests/acceptance/observatory/scan.mjs, which only lets it use the hub's port.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.support import free_port, raw_exchange
from tests.acceptance.support_tls import TlsHub, prepare_config, start_tls_hub

pytestmark = pytest.mark.acceptance

SCANNER = Path(__file__).parent / "observatory"


@pytest.fixture
def tls_hub(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[TlsHub]:
    template, token = hub_template
    config_dir = tmp_path / "config"
    port = free_port()
    prepare_config(template, config_dir, port)
    hub = start_tls_hub(config_dir, port, token, tmp_path / "hub.log")
    yield hub
    assert hub.hub.stop() == 0, hub.hub.log()
    hub.hub.assert_clean_log()


def test_observatory_grades_the_hub_a_plus(tls_hub: TlsHub) -> None:
    if shutil.which("node") is None or not (SCANNER / "node_modules").is_dir():
        pytest.skip("the Observatory scanner is not installed: run `make system-test-deps`")
    scanned = subprocess.run(
        ["node", str(SCANNER / "scan.mjs"), "localhost", str(tls_hub.port)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(tls_hub.ca)},
        check=False,
    )
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    report = json.loads(scanned.stdout)
    failed = {name: test["result"] for name, test in report["tests"].items() if not test["pass"]}
    assert not failed, failed
    assert report["tests"]["redirection"]["result"] == "redirection-to-https"
    assert report["tests"]["content-security-policy"]["pass"]
    assert report["grade"] == "A+", report


def test_plain_http_page_views_are_redirected(tls_hub: TlsHub) -> None:
    host = f"localhost:{tls_hub.port}"
    page = raw_exchange(tls_hub.port, f"GET /lovelace/0 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert page.status == 301
    assert page.headers["location"] == f"https://{host}/lovelace/0"
    token = tls_hub.hub.token
    with_token = raw_exchange(
        tls_hub.port,
        f"GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode(),
    )
    assert with_token.status == 400
    assert "location" not in with_token.headers
    callback = raw_exchange(
        tls_hub.port, f"GET /?auth_callback=1&code=abc HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    )
    assert callback.status == 400
