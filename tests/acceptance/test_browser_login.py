"""A real browser (headless Chromium) against the real hub: create the owner on /onboarding
with the setup code, log in on /auth/authorize, land on the redirect with a code. The pages
run under a strict Content-Security-Policy; the browser must report no violation."""

from __future__ import annotations

import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.support import PASSWORD, RunningHub, request
from tests.acceptance.support_login import fresh_hub, wait_for_setup_code

pytestmark = pytest.mark.acceptance

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 10.0


@pytest.fixture
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium and chromedriver are not installed (make system-test-deps)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hearth-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def new_hub(tmp_path: Path) -> Iterator[RunningHub]:
    yield from fresh_hub(tmp_path)


def fill(driver: Any, values: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    for name, value in values.items():
        field = driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def submit(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def csp_problems(driver: Any) -> list[str]:
    entries = driver.get_log("browser")
    return [
        entry["message"]
        for entry in entries
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


def test_onboarding_and_login_in_a_browser(new_hub: RunningHub, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    code = wait_for_setup_code(new_hub.log_path)
    problems: list[str] = []

    browser.get(f"{new_hub.base_url}/onboarding")
    assert "Welcome to Hearth" in browser.title
    # The external script ran (it reveals the show-password buttons): CSP let our file load.
    reveal = browser.find_element(By.CSS_SELECTOR, "button.reveal")
    assert reveal.is_displayed()
    reveal.click()
    assert browser.find_element(By.NAME, "password").get_attribute("type") == "text"
    reveal.click()
    fill(
        browser,
        {
            "setup_code": code.lower(),
            "name": "Pat Owner",
            "username": "pat",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    submit(browser)
    WebDriverWait(browser, WAIT).until(expected_conditions.title_contains("Owner created"))
    problems += csp_problems(browser)

    browser.find_element(By.LINK_TEXT, "Log in").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.title_contains("Log in"))
    problems += csp_problems(browser)
    fill(browser, {"username": "pat", "password": "wrong password entirely"})
    submit(browser)
    assert "Wrong username or password." in browser.find_element(By.CLASS_NAME, "error").text
    fill(browser, {"username": "Pat", "password": PASSWORD})
    submit(browser)
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("code="))
    landed = urllib.parse.urlsplit(browser.current_url)
    query = dict(urllib.parse.parse_qsl(landed.query, keep_blank_values=True))
    assert f"{landed.scheme}://{landed.netloc}" == new_hub.base_url
    assert query["auth_callback"] == "1"
    assert len(query["code"]) == 32
    problems += csp_problems(browser)
    assert not problems, "\n".join(problems)
    assert "Login failed for user 'pat' from 127.0.0.1: invalid_auth" in new_hub.log()


def _authorize_url(hub: RunningHub, client_id: str, redirect_uri: str) -> str:
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
    return f"{hub.base_url}/auth/authorize?{urllib.parse.urlencode(query)}"


def test_login_page_shows_who_receives_the_login(hub: RunningHub, browser: Any) -> None:
    """A link from another site leads to the hub's own login page: it must say where the login
    goes, above the password field. It used to show only "Log in"."""
    from selenium.webdriver.common.by import By

    browser.get(_authorize_url(hub, "https://evil.example/", "https://evil.example/steal"))
    notice = browser.find_element(By.CSS_SELECTOR, ".notice.warning")
    assert notice.is_displayed()
    assert notice.get_attribute("role") == "alert"
    text = notice.text
    assert "https://evil.example" in text
    assert "https://evil.example/steal" in text
    assert "not the hub's own web page" in text
    who = notice.find_element(By.CSS_SELECTOR, ".who")
    assert who.text == "https://evil.example"
    password = browser.find_element(By.NAME, "password")
    assert notice.location["y"] < password.location["y"]
    problems = csp_problems(browser)

    # The companion app: named, not a warning.
    browser.get(
        _authorize_url(hub, "https://home-assistant.io/android", "homeassistant://auth-callback")
    )
    browser.find_element(By.NAME, "password")
    assert "Home Assistant Android app" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert 'class="notice warning"' not in browser.page_source

    # The hub's own web client: nothing to warn about.
    own = f"{hub.base_url}/"
    browser.get(_authorize_url(hub, own, f"{own}?auth_callback=1"))
    browser.find_element(By.NAME, "password")
    assert 'class="notice' not in browser.page_source
    problems += csp_problems(browser)
    assert not problems, "\n".join(problems)


ATTACKER_SITE = "127.0.0.5"  # another address is another site for the browser


def test_a_page_on_another_site_cannot_post_the_login_form(
    hub: RunningHub, browser: Any, tmp_path: Path
) -> None:
    """An auto-submitting form on another site, loaded 7 times, used to get the browser's own
    address banned (5 wrong passwords)."""
    import functools
    import http.server
    import threading

    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    own = f"{hub.base_url}/"
    fields = {
        "client_id": own,
        "redirect_uri": f"{own}?auth_callback=1",
        "username": "admin",
        "password": "a wrong password guessed by the page",
    }
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    (tmp_path / "attack.html").write_text(
        f'<!doctype html><form id="f" method="post" action="{hub.base_url}/auth/authorize">'
        f"{inputs}</form><script>document.getElementById('f').submit()</script>"
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer((ATTACKER_SITE, 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        for _ in range(7):
            browser.get(f"http://{ATTACKER_SITE}:{site.server_address[1]}/attack.html")
            WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("/auth/authorize"))
            WebDriverWait(browser, WAIT).until(
                lambda driver: "another web site" in driver.page_source or "Log in" in driver.title
            )
    finally:
        site.shutdown()
        site.server_close()
    # The browser's address was not banned, and no password was checked.
    assert request(hub, "GET", "/api/", token=hub.token).status == 200
    assert "Login failed" not in hub.log()
    assert "another web site" in browser.page_source
