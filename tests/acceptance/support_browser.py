"""Headless Chromium for the dashboard tests: start it trusting a hub's certificate, read the
page through shadow DOM, collect the WebSocket traffic and every CSP violation."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 20.0

# Runs before any page script (CDP-injected code is not subject to the page's CSP): records
# every violation the page sees, including those in frames and on elements added later.
_RECORD_VIOLATIONS = """
window.__hearthCsp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__hearthCsp.push(
    [e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber, e.sample].join(" | ")
  );
}, true);
"""

# Finds elements by a path of CSS selectors: each step searches the document (first) or the
# elements found by the step before, through every open shadow root below them.
DEEP_QUERY = """
const [path, limit] = arguments;
const deepAll = (root, selector) => {
  const found = [];
  const visit = (node) => {
    for (const el of node.querySelectorAll(selector)) { found.push(el); }
    for (const el of node.querySelectorAll("*")) { if (el.shadowRoot) { visit(el.shadowRoot); } }
  };
  visit(root);
  if (root.shadowRoot) { visit(root.shadowRoot); }
  return found;
};
let current = [document];
for (const selector of path) {
  const next = [];
  for (const root of current) { next.push(...deepAll(root, selector)); }
  current = [...new Set(next)];
}
return current.slice(0, limit);
"""

# All text of the page, shadow roots included.
DEEP_TEXT = """
const parts = [];
const visit = (node) => {
  if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent); return; }
  if (node.shadowRoot) { visit(node.shadowRoot); }
  for (const child of node.childNodes) { visit(child); }
};
visit(document.body);
return parts.join(" ").replace(/\\s+/g, " ");
"""


ARTIFACTS: Final = Path(__file__).resolve().parents[2] / "test-artifacts"


def artifacts_dir(name: str) -> Path:
    """An empty folder for one test's screenshots: test-artifacts/<name>, git-ignored (or under
    $HEARTH_TEST_ARTIFACTS). Kept after the run, for people to look at."""
    folder = Path(os.environ.get("HEARTH_TEST_ARTIFACTS") or ARTIFACTS) / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def spki_sha256(cert_pem: Path) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)): what Chromium's SPKI allow-list takes."""
    cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@dataclass
class Browser:
    """One Chromium with its driver, and what it saw."""

    driver: Any
    name: str
    artifacts: Path
    csp: list[str] = field(default_factory=list)
    sent: dict[int, str] = field(default_factory=dict)  # message id -> type
    answered: set[int] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)
    screenshots: int = 0

    def screenshot(self, step: str) -> Path:
        """Save a PNG of the current page under the artifacts folder."""
        self.screenshots += 1
        path = self.artifacts / f"{self.name}-{self.screenshots:02d}-{step}.png"
        self.driver.save_screenshot(str(path))
        return path

    def deep(self, *path: str, limit: int = 500) -> list[Any]:
        """Elements matching the last selector of `path`, each step inside the matches of the
        step before, shadow roots included."""
        found: list[Any] = self.driver.execute_script(DEEP_QUERY, list(path), limit)
        return found

    def deep_from(self, element: Any, *path: str, limit: int = 500) -> list[Any]:
        """Like deep(), starting inside `element` (its shadow root and children)."""
        found: list[Any] = self.driver.execute_script(
            DEEP_QUERY.replace("let current = [document];", "let current = [arguments[2]];"),
            list(path),
            limit,
            element,
        )
        return found

    def text(self) -> str:
        """The page's text, shadow roots included."""
        text: str = self.driver.execute_script(DEEP_TEXT)
        return text

    def collect(self) -> None:
        """Drain the browser's logs: console CSP messages, page violations, WebSocket frames."""
        for entry in self.driver.get_log("browser"):
            message = entry["message"]
            if "Content Security Policy" in message or "Refused to" in message:
                self.csp.append(message)
        try:
            recorded = self.driver.execute_script("return (window.__hearthCsp || []).splice(0)")
        except Exception:
            recorded = []
        self.csp.extend(recorded)
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            method = message.get("method")
            if method == "Network.webSocketFrameSent":
                self._frames(message["params"]["response"]["payloadData"], sent=True)
            elif method == "Network.webSocketFrameReceived":
                self._frames(message["params"]["response"]["payloadData"], sent=False)

    def _frames(self, payload: str, *, sent: bool) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                continue
            if sent:
                self.sent[item["id"]] = str(item.get("type"))
            elif item.get("type") in ("result", "pong"):
                self.answered.add(item["id"])
                error = item.get("error") or {}
                if error.get("code") == "unknown_command":
                    self.unknown.append(self.sent.get(item["id"], "?"))

    def unanswered(self) -> list[str]:
        """Commands sent that got no result (subscriptions get one too)."""
        return sorted(self.sent[i] for i in set(self.sent) - self.answered)


@contextmanager
def browser(name: str, artifacts: Path, *, trust_spki: str | None = None) -> Iterator[Browser]:
    """A headless Chromium that trusts the certificate with this SPKI hash (for TLS hubs)."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium and chromedriver are not installed (make system-test-deps)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hearth-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    arguments = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ]
    if trust_spki is not None:
        # Trusts this one key as if a public CA had signed it: no certificate error, so the
        # service worker may register. Nothing else is trusted that was not before.
        arguments.append(f"--ignore-certificate-errors-spki-list={trust_spki}")
    for argument in arguments:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_VIOLATIONS}
        )
        artifacts.mkdir(parents=True, exist_ok=True)
        yield Browser(driver, name, artifacts)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll `check` until it returns something truthy (exceptions count as not yet)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as err:
            last = err
        else:
            if result:
                return result
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}" + (f" (last error: {last})" if last else ""))
