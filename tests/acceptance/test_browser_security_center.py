"""The Security Center (/hearth/security) in headless Chromium, against the real hub.

One hub with failed logins and a ban (from 127.0.0.2), two users and their tokens. The admin logs
in through the page, sees each section with that data, unbans the address with the keyboard only
(which can then log in again) and revokes the guest's token (whose WebSocket is closed). The guest
then logs in: the admin sections stay hidden and the server refuses their commands. No CSP
violation over the whole run. Screenshots in `test-artifacts/security-center/`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pyotp
import pytest

from tests.acceptance.ban_support import ATTACKER
from tests.acceptance.support import (
    PASSWORD,
    USERNAME,
    RunningHub,
    create_token,
    create_user,
    free_port,
    request,
    start_hub,
    wait_listening,
    write_config,
)
from tests.acceptance.support_axe import axe_violations
from tests.acceptance.support_browser import Browser, artifacts_dir, browser, wait_until
from tests.acceptance.support_login import begin_flow, flow_step
from tests.acceptance.support_ws import ws_auth

pytestmark = pytest.mark.acceptance

GUEST = "guest"
STRONG = "violet tractor umbrella harbour"
PAGE = "/hearth/security"
WAIT = 30.0
MAX_TABS = 80


@pytest.fixture
def seeded_hub(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[tuple[RunningHub, str]]:
    """A hub that bans after two failures, with a guest (no admin) who has a long-lived token."""
    template, token = hub_template
    config_dir = tmp_path / "config"
    shutil.copytree(template, config_dir)
    port = free_port()
    write_config(config_dir, port, http_extra="  login_attempts_threshold: 2\n")
    create_user(config_dir, GUEST, admin=False)
    guest_token = create_token(config_dir, GUEST, name="guest laptop")
    log_path = tmp_path / "hub.log"
    process = start_hub(config_dir, port, log_path)
    hub = RunningHub(config_dir, port, token, process, log_path)
    try:
        wait_listening(process, port, log_path)
        yield hub, guest_token
    finally:
        assert hub.stop() == 0, hub.log()
    hub.assert_clean_log()


def fail_logins(hub: RunningHub, source: str, count: int) -> None:
    """Wrong passwords from `source`, until it is banned."""
    for _ in range(count):
        flow = begin_flow(hub, source=source)
        reply = flow_step(hub, flow["flow_id"], source=source, username="mallory", password="x")
        assert reply.status == 200, reply


def can_log_in(hub: RunningHub, source: str) -> bool:
    """Whether `source` gets through a login with the right password."""
    flow = begin_flow(hub, source=source)
    reply = flow_step(hub, flow["flow_id"], source=source, username=USERNAME, password=PASSWORD)
    return bool(reply.json().get("type") == "create_entry")


def log_in_on_page(page: Browser, hub: RunningHub, username: str) -> None:
    """Open the page, get sent to the login page, log in, come back to a filled page."""
    from selenium.webdriver.common.by import By

    driver = page.driver
    driver.get(hub.base_url + PAGE)
    wait_until(lambda: "/auth/authorize" in driver.current_url, "the login page")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_until(lambda: driver.current_url == hub.base_url + PAGE, "the Security Center")
    wait_until(
        lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "ready",
        "the sections",
    )


def tab_to(page: Browser, selector: str) -> None:
    """Press Tab until the element matching `selector` has the focus (keyboard only)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    target = page.driver.find_element("css selector", selector)
    for _ in range(MAX_TABS):
        if page.driver.switch_to.active_element == target:
            return
        ActionChains(page.driver).send_keys(Keys.TAB).perform()
    pytest.fail(f"{selector} cannot be reached with the Tab key")


async def guest_socket_closes(hub: RunningHub, token: str, revoke: Callable[[], None]) -> bool:
    """Open a WebSocket with the guest's token, run `revoke` (in a thread), see it closed."""
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, token)
        await asyncio.to_thread(revoke)
        message = await asyncio.wait_for(ws.receive(), WAIT)
        return message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def guest_refused(hub: RunningHub, token: str) -> list[str]:
    """The error codes the server answers the guest's admin commands with."""
    codes = []
    async with aiohttp.ClientSession() as session, session.ws_connect(hub.ws_url) as ws:
        await ws_auth(ws, token)
        for msg_id, msg_type in enumerate(("hearth/tokens/list", "ban/list", "hearth/check"), 1):
            await ws.send_json({"id": msg_id, "type": msg_type})
            reply = await ws.receive_json(timeout=WAIT)
            assert reply["success"] is False, reply
            codes.append(reply["error"]["code"])
    return codes


def choose_mfa_policy(page: Browser, value: str) -> None:
    """Pick who must use MFA in the Users section, with the keyboard, and apply it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.select import Select

    tab_to(page, "#mfa-policy")
    Select(page.driver.switch_to.active_element).select_by_value(value)
    page.driver.switch_to.active_element.send_keys(Keys.TAB, Keys.ENTER)
    wanted = "(set here)" if value else "(from configuration.yaml)"
    wait_until(lambda: wanted in page.driver.find_element(By.ID, "users").text, "the policy")


def guest_login_step(hub: RunningHub) -> str:
    """What the guest's password login answers: a form (MFA setup) or create_entry."""
    flow = begin_flow(hub)
    reply = flow_step(hub, flow["flow_id"], username=GUEST, password=PASSWORD)
    return str(reply.json()["type"])


def export(page: Browser, button: str) -> str:
    """Click an export button; the download's content (a data: URL)."""
    page.driver.find_element("id", button).click()
    href = page.driver.find_element("id", "audit-download").get_attribute("href")
    head, _, data = href.partition(",")
    assert head.startswith("data:"), head
    return urllib.parse.unquote(data)


def my_security(page: Browser, hub: RunningHub) -> str:
    """The guest's own section: live password feedback, TOTP, recovery codes, a token (returned)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = page.driver
    strength = driver.find_element(By.ID, "strength")
    candidate = driver.find_element(By.ID, "mine-new")
    candidate.send_keys("password1234")
    wait_until(lambda: strength.get_attribute("data-acceptable") == "false", "a weak verdict")
    candidate.clear()
    candidate.send_keys(STRONG)
    wait_until(lambda: strength.get_attribute("data-acceptable") == "true", "a strong verdict")
    # Set up TOTP with the keyboard, reading the key from the page.
    tab_to(page, "#mfa-start")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    secret = wait_until(lambda: driver.find_element(By.ID, "totp-secret").text, "the key")
    totp = pyotp.TOTP(secret)
    driver.switch_to.active_element.send_keys(totp.now(), Keys.ENTER)
    mfa = driver.find_element(By.ID, "mfa")
    wait_until(lambda: mfa.get_attribute("data-enabled") == "true", "TOTP on")
    first = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
    assert len(first) == 10
    page.screenshot("totp")
    # New recovery codes need a current code (the next step: the last one was used).
    codes_input = driver.find_element(By.ID, "mine-codes-code")
    codes_input.send_keys(totp.at(time.time() + 30), Keys.ENTER)
    wait_until(
        lambda: (
            [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
            not in ([], first)
        ),
        "new recovery codes",
    )
    # A long-lived token, shown once, that works.
    driver.find_element(By.ID, "mine-token-name").send_keys("guest script", Keys.ENTER)
    token = wait_until(
        lambda: driver.find_element(By.ID, "token-value").get_attribute("value"), "the token"
    )
    assert request(hub, "GET", "/api/", token=token).status == 200
    page.screenshot("my-security")
    assert axe_violations(driver) == []
    assert STRONG not in hub.log()
    return str(token)


def test_security_center(seeded_hub: tuple[RunningHub, str]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    hub, guest_token = seeded_hub
    fail_logins(hub, ATTACKER, 2)
    assert request(hub, "GET", "/auth/providers", source=ATTACKER).status == 403  # banned
    with browser("security", artifacts_dir("security-center")) as page:
        driver = page.driver
        log_in_on_page(page, hub, USERNAME)
        text = driver.find_element(By.TAG_NAME, "main").text
        # Check: a grade and findings; Bans: the attacker; Sessions: both users' tokens.
        grade = driver.find_element(By.CSS_SELECTOR, "[data-grade]").text
        assert grade[:1] in "ABCDF", grade
        assert ATTACKER in text
        assert "guest laptop" in text
        assert "acceptance" in text
        assert "(this page)" in text
        page.screenshot("admin")
        for section in ("check", "signins", "bans", "sessions", "users", "audit", "mine"):
            driver.execute_script(f"document.getElementById('{section}').scrollIntoView()")
            page.screenshot(section)
        driver.execute_script("window.scrollTo(0, 0)")
        assert axe_violations(driver) == []
        # Check: acknowledge a warning with the keyboard; it is marked and no longer counted.
        form = driver.find_element(By.CSS_SELECTOR, "#check li.warn form.ack-form")
        rule = form.get_attribute("data-rule")
        tab_to(page, f'#check form[data-rule="{rule}"] input')
        driver.switch_to.active_element.send_keys("accepted for this test hub", Keys.ENTER)
        wait_until(
            lambda: (
                driver.find_element(
                    By.CSS_SELECTOR, f'#check li[data-rule="{rule}"]'
                ).get_attribute("class")
                == "acknowledged"
            ),
            "the acknowledged finding",
        )
        assert "accepted for this test hub" in driver.find_element(By.ID, "check").text
        page.screenshot("acknowledged")
        # Sign-ins: the chart (drawn by the hub) and the attacker among the top addresses.
        assert ATTACKER in driver.find_element(By.ID, "signins").text
        chart = driver.find_element(By.CSS_SELECTOR, "#signins img.chart")
        assert driver.execute_script("return arguments[0].naturalWidth", chart) > 0
        # Users: roles and MFA state.
        guest_row = driver.find_element(By.CSS_SELECTOR, '#users tr[data-user="guest"]').text
        assert "user" in guest_row
        assert "off" in guest_row
        assert (
            "owner"
            in driver.find_element(By.CSS_SELECTOR, f'#users tr[data-user="{USERNAME}"]').text
        )
        # Require MFA for everyone from the page: the guest's next login is led through the
        # setup; back to the configuration's policy, it is not.
        choose_mfa_policy(page, "all")
        assert guest_login_step(hub) == "form"
        choose_mfa_policy(page, "")
        assert guest_login_step(hub) == "create_entry"
        # Audit log: filtered by address with the keyboard only, then exported.
        tab_to(page, "#audit-ip")
        driver.switch_to.active_element.send_keys(ATTACKER, Keys.ENTER)
        wait_until(
            lambda: (
                {
                    row.get_attribute("data-event")
                    for row in driver.find_elements(By.CSS_SELECTOR, "#audit tr[data-event]")
                }
                == {"login_failed", "ban_added"}
            ),
            "the audit entries of the attacker",
        )
        page.screenshot("audit")
        exported = export(page, "audit-csv")
        assert exported.splitlines()[0] == "at,event,username,user_id,ip,user_agent,details"
        failed = [line for line in exported.splitlines() if ",login_failed," in line]
        assert failed
        assert all(f",{ATTACKER}," in line for line in failed)
        assert "mallory" not in exported  # unknown usernames are logged hashed
        lines = [json.loads(line) for line in export(page, "audit-jsonl").splitlines()]
        assert {line["ip"] for line in lines} == {ATTACKER}
        driver.set_window_size(390, 844)
        page.screenshot("phone")
        driver.set_window_size(1280, 900)

        # Allow-list: a public address needs the confirmation box, all with the keyboard.
        tab_to(page, "#allow-network")
        driver.switch_to.active_element.send_keys("203.0.113.50", Keys.ENTER)
        box = driver.find_element(By.ID, "allow-confirm-box")
        wait_until(box.is_displayed, "the confirmation for a public address")
        tab_to(page, "#allow-confirm")
        driver.switch_to.active_element.send_keys(Keys.SPACE)
        driver.switch_to.active_element.send_keys(Keys.TAB)
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait_until(
            lambda: driver.find_elements(By.CSS_SELECTOR, 'tr[data-network="203.0.113.50/32"]'),
            "the allow-list entry",
        )
        page.screenshot("allow-list")
        # Unban with the keyboard only; the address can log in again.
        tab_to(page, f'tr[data-ip="{ATTACKER}"] button')
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait_until(lambda: ATTACKER not in driver.find_element(By.ID, "bans").text, "the unban")
        assert can_log_in(hub, ATTACKER)
        page.screenshot("unbanned")

        # Revoke the guest's token: the client using it is disconnected.
        def revoke() -> None:
            row = driver.find_element(By.CSS_SELECTOR, '[data-user="guest"] tr[data-token]')
            row.find_element(By.TAG_NAME, "button").click()
            wait_until(
                lambda: "guest laptop" not in driver.find_element(By.ID, "sessions").text,
                "the revoked token to go",
            )

        assert asyncio.run(guest_socket_closes(hub, guest_token, revoke))
        page.screenshot("revoked")
        page.collect()

        # The guest: only their own section, and the server refuses the others.
        driver.execute_script("sessionStorage.clear()")
        log_in_on_page(page, hub, GUEST)
        assert not driver.find_element(By.ID, "check").is_displayed()
        assert not driver.find_element(By.ID, "bans").is_displayed()
        assert not driver.find_element(By.ID, "sessions").is_displayed()
        assert driver.find_element(By.ID, "mine").is_displayed()
        page.screenshot("guest")
        guest_token_made_on_page = my_security(page, hub)
        page.collect()
        assert page.csp == [], page.csp
    assert set(asyncio.run(guest_refused(hub, guest_token_made_on_page))) == {"unauthorized"}
