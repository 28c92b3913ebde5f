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

from tests.acceptance.support import PASSWORD, RunningHub
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
