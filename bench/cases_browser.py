"""The dashboard in headless Chromium: time from navigation to rendered cards, and bytes over
the network, on a first visit (empty cache, no service worker) and on a repeat visit served by
the service worker. The main hub, logged in by tokens placed where the frontend keeps them."""

from __future__ import annotations

import http.client
import json
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from bench.context import MAIN, Bench, Case
from bench.hub import PASSWORD, USERNAME
from bench.procs import LOOPBACK_V4
from bench.results import CaseResult

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMEDRIVER: Final = Path("/usr/bin/chromedriver")
RENDER_TIMEOUT: Final = 60.0
# The generated dashboard has drawn its entity cards (looked up through the shadow DOM).
RENDERED: Final = """
const visit = (root) => {
  if (root.querySelector("hui-entities-card, hui-tile-card")) { return true; }
  for (const el of root.querySelectorAll("*")) {
    if (el.shadowRoot && visit(el.shadowRoot)) { return true; }
  }
  return false;
};
return visit(document);
"""
UNAVAILABLE: Final = "chromium, chromedriver or selenium missing (make setup-dev system-test-deps)"


def _tokens(port: int, origin: str) -> dict[str, Any]:
    """Log in as the frontend does and return its token record (the localStorage shape)."""
    conn = http.client.HTTPConnection(LOOPBACK_V4, port, timeout=30)

    def post(path: str, body: str, content_type: str) -> Any:
        conn.request("POST", path, body=body, headers={"Content-Type": content_type})
        return json.loads(conn.getresponse().read())

    try:
        client = {"client_id": origin + "/", "redirect_uri": origin + "/?auth_callback=1"}
        flow = post(
            "/auth/login_flow",
            json.dumps({**client, "handler": ["homeassistant", None]}),
            "application/json",
        )
        done = post(
            f"/auth/login_flow/{flow['flow_id']}",
            json.dumps(
                {"client_id": client["client_id"], "username": USERNAME, "password": PASSWORD}
            ),
            "application/json",
        )
        form = {"grant_type": "authorization_code", "client_id": client["client_id"]}
        tokens = post(
            "/auth/token",
            urllib.parse.urlencode({**form, "code": done["result"]}),
            "application/x-www-form-urlencoded",
        )
    finally:
        conn.close()
    return {
        **tokens,
        "hassUrl": origin,
        "clientId": client["client_id"],
        "expires": int(time.time() * 1000) + tokens["expires_in"] * 1000,
    }


@contextmanager
def _chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hearth-bench-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--window-size=1280,900", f"--user-data-dir={profile}",
        # The main hub bans ::1 (the ban cases); "localhost" must mean 127.0.0.1 here.
        f"--host-resolver-rules=MAP localhost {LOOPBACK_V4}",
    ):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _network_bytes(driver: Any) -> int:
    """Bytes received over the network since the last call (headers included)."""
    total = 0
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.loadingFinished":
            total += int(message["params"].get("encodedDataLength", 0))
    return total


def _visit(driver: Any, url: str) -> tuple[float, int]:
    """(ms from navigation to rendered cards, bytes over the network) for one page load."""
    _network_bytes(driver)
    began = time.perf_counter()
    driver.get(url)
    deadline = began + RENDER_TIMEOUT
    while not driver.execute_script(RENDERED):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the dashboard did not render at {driver.current_url}")
        time.sleep(0.02)
    elapsed = 1000 * (time.perf_counter() - began)
    time.sleep(0.5)  # late requests (icons, translations) still count as this visit's bytes
    return elapsed, _network_bytes(driver)


def _prepare(driver: Any, origin: str, tokens: dict[str, Any]) -> None:
    driver.get(origin + "/robots.txt")  # same origin, nothing of the dashboard loaded
    driver.execute_script("localStorage.setItem('hassTokens', arguments[0])", json.dumps(tokens))


def _available() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def first_visit(bench: Bench, result: CaseResult) -> None:
    """A new browser: empty cache, no service worker yet."""
    if not _available():
        result.not_available(UNAVAILABLE)
        return
    port = bench.hub(MAIN).port
    origin = f"http://localhost:{port}"  # "localhost": the frontend registers its worker there
    sizes = []
    for _ in range(bench.settings.rounds):
        with _chromium() as driver:
            _prepare(driver, origin, _tokens(port, origin))
            elapsed, size = _visit(driver, origin + "/lovelace/0")
        result.hearth.append(elapsed)
        sizes.append(size)
    result.note = (
        f"{_kib(sizes)} over the network per visit; {bench.settings.entities_small} entities"
    )


def with_service_worker(bench: Bench, result: CaseResult) -> None:
    """The same browser again, once the service worker controls the page."""
    if not _available():
        result.not_available(UNAVAILABLE)
        return
    port = bench.hub(MAIN).port
    origin = f"http://localhost:{port}"
    sizes = []
    with _chromium() as driver:
        _prepare(driver, origin, _tokens(port, origin))
        _visit(driver, origin + "/lovelace/0")
        script = driver.execute_async_script(
            "const done = arguments[0]; setTimeout(() => done(null), 30000);"
            "navigator.serviceWorker.ready.then((r) => done(r.active && r.active.scriptURL));"
        )
        if script is None:
            raise RuntimeError("the service worker did not activate")
        time.sleep(2.0)  # its first activation reloads the page; let that settle
        for _ in range(bench.settings.rounds):
            elapsed, size = _visit(driver, origin + "/lovelace/0")
            result.hearth.append(elapsed)
            sizes.append(size)
    result.note = (
        f"{_kib(sizes)} over the network per visit as the page sees it (what the worker answered "
        "from its cache counts 0; the worker's own fetches are not seen)"
    )


def _kib(sizes: list[int]) -> str:
    ordered = sorted(sizes)
    return f"{ordered[len(ordered) // 2] / 1024:,.0f} KiB"


CASES = (
    Case("dashboard_first", "9. Dashboard in Chromium, first visit (no cache, no service worker)",
         "ms", first_visit),
    Case("dashboard_sw", "9. Dashboard in Chromium, repeat visit with the service worker", "ms",
         with_service_worker),
)  # fmt: skip
