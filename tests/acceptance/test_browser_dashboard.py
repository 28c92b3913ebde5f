"""Home Assistant's frontend, served by the real hub over TLS, driven in headless Chromium.

One admin browser and one guest browser, reused for every step: log in on /auth/authorize
(password, then TOTP), see the demo entities, the service worker, a toggle seen live by the other
browser, no admin panels for the guest, an entity renamed and an area created in the settings
pages (both still there after a restart). Over the whole run: no CSP violation, and every
WebSocket command the frontend sent got an answer other than unknown_command. Screenshots of each
step are kept in `test-artifacts/dashboard/` (git-ignored; `HEARTH_TEST_ARTIFACTS` moves it).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
import pytest

from tests.acceptance.support import (
    PASSWORD,
    USERNAME,
    RunningHub,
    create_user,
    free_port,
    tls_closed,
    write_config,
)
from tests.acceptance.support_browser import (
    Browser,
    artifacts_dir,
    browser,
    spki_sha256,
    wait_until,
)
from tests.acceptance.support_tls import TlsHub, issue_certificate, start_tls_hub

pytestmark = pytest.mark.acceptance

GUEST = "guest"
DEMO_NAMES = ("Demo Light 1", "Demo Light 2", "Demo Light 3", "Demo Switch 1", "Demo Sensor 1")
HASS = "document.querySelector('home-assistant').hass"
NAVIGATE = (
    "history.pushState(null, '', arguments[0]);"
    "window.dispatchEvent(new CustomEvent('location-changed', {detail: {replace: false}}));"
)
WAIT = 30.0


@pytest.fixture
def tls_hubs(tmp_path: Path, hub_template: tuple[Path, str]) -> Iterator[list[TlsHub]]:
    """A demo hub over TLS whose admins must use MFA, with a second user who is no admin; the
    list holds it and its restarts, each stopped (and its log checked) however the test ends."""
    template, token = hub_template
    config_dir = tmp_path / "config"
    shutil.copytree(template, config_dir)
    port = free_port()
    write_config(config_dir, port, "auth:\n  mfa_required: admins\n")
    issue_certificate(config_dir)
    create_user(config_dir, GUEST, admin=False)
    started = [start_tls_hub(config_dir, port, token, tmp_path / "hub.log")]
    try:
        yield started
    finally:
        for hub in started:
            hub.hub.stop()
    for hub in started:
        hub.hub.assert_clean_log()


def log_in(page: Browser, base: str, username: str, *, totp_secret: list[str] | None) -> None:
    """Open the dashboard, get sent to the login page, log in (setting up TOTP if asked)."""
    from selenium.webdriver.common.by import By

    driver = page.driver
    driver.get(base + "/")
    wait_until(lambda: "/auth/authorize" in driver.current_url, "the login page")
    page.screenshot("login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.NAME, "store_token").click()
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    if totp_secret is not None:
        wait_until(lambda: "Set up two-step verification" in driver.title, "the MFA setup")
        page.screenshot("mfa-setup")
        key = driver.find_element(By.CSS_SELECTOR, "p.note code").text
        totp_secret.append(key)
        driver.find_element(By.NAME, "code").send_keys(pyotp.TOTP(key).now())
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait_until(lambda: "Recovery codes" in driver.title, "the recovery codes")
        page.screenshot("recovery-codes")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_until(lambda: driver.current_url.startswith(base + "/lovelace"), "the dashboard")
    wait_for_dashboard(page)


def wait_for_dashboard(page: Browser) -> None:
    """The generated dashboard shows the demo entities (read through the shadow DOM)."""
    wait_until(lambda: all(name in page.text() for name in DEMO_NAMES), "the demo entities")


def navigate(page: Browser, path: str) -> None:
    """Go to a page inside the frontend, as its own links do (no reload)."""
    page.driver.execute_script(NAVIGATE, path)


def hass(page: Browser, expression: str) -> Any:
    """A value from the frontend's state object, e.g. `states['light.x'].state`."""
    return page.driver.execute_script(f"return {HASS}.{expression}")


def click_text(page: Browser, text: str, *path: str) -> None:
    """Click the first element matching `path` whose text contains `text`."""
    for element in page.deep(*path):
        if text.lower() in element.text.lower():
            element.click()
            return
    pytest.fail(f"no {path[-1]} with the text {text!r}")


def toggle(page: Browser, entity_id: str) -> None:
    """Click the dashboard's switch of one entity."""
    for element in page.deep("ha-entity-toggle"):
        if page.driver.execute_script("return arguments[0].stateObj.entity_id", element) == (
            entity_id
        ):
            page.deep_from(element, "ha-switch")[0].click()
            return
    pytest.fail(f"no toggle for {entity_id}")


def rename_entity(page: Browser, name: str, new_name: str) -> None:
    """Settings > Entities > the entity > its settings: a new name."""
    navigate(page, "/config/entities")
    wait_until(lambda: any(name in row.text for row in page.deep(".mdc-data-table__row")), name)
    click_text(page, name, ".mdc-data-table__row")
    wait_until(lambda: page.deep("ha-more-info-dialog"), "the entity dialog")
    for button in wait_until(lambda: page.deep("ha-dialog-header", "ha-icon-button"), "buttons"):
        if page.driver.execute_script("return arguments[0].label", button) == "Settings":
            button.click()
            break
    field = wait_until(
        lambda: page.deep("entity-registry-settings-editor", "ha-textfield", "input")[0],
        "the name field",
    )
    field.send_keys(new_name)
    page.screenshot("rename")
    click_text(page, "update", "entity-registry-settings", "mwc-button")


def create_area(page: Browser, name: str) -> None:
    """Settings > Areas: create one."""
    navigate(page, "/config/areas/dashboard")
    wait_until(lambda: page.deep("ha-config-areas-dashboard", "ha-fab"), "the add button")
    for fab in page.deep("ha-config-areas-dashboard", "ha-fab"):  # "Create floor", "Create area"
        if "area" in str(page.driver.execute_script("return arguments[0].label", fab)).lower():
            fab.click()
            break
    field = wait_until(
        lambda: page.deep("dialog-area-registry-detail", "ha-textfield", "input")[0],
        "the area name field",
    )
    field.send_keys(name)
    page.screenshot("create-area")
    click_text(page, "create", "dialog-area-registry-detail", "mwc-button")


async def _ws_call(url: str, token: str, msg_type: str) -> Any:
    async with aiohttp.ClientSession() as session, session.ws_connect(url, ssl=False) as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, "type": msg_type})
        result = (await ws.receive_json())["result"]
    await tls_closed()
    return result


def ws_call(hub: RunningHub, msg_type: str) -> Any:
    """One WebSocket command with the hub's token, over TLS."""
    return asyncio.run(_ws_call(f"wss://localhost:{hub.port}/api/websocket", hub.token, msg_type))


def hub_state(hub: RunningHub, entity_id: str) -> dict[str, Any]:
    """The state from the REST API."""

    async def get() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            url = f"https://localhost:{hub.port}/api/states/{entity_id}"
            headers = {"Authorization": f"Bearer {hub.token}"}
            async with session.get(url, headers=headers, ssl=False) as reply:
                assert reply.status == 200
                data: dict[str, Any] = json.loads(await reply.text())
        await tls_closed()
        return data

    return asyncio.run(get())


@pytest.mark.timeout(300)
def test_dashboard_in_two_browsers(tls_hubs: list[TlsHub], tmp_path: Path) -> None:
    base = tls_hubs[0].url
    hub = tls_hubs[0].hub
    artifacts = artifacts_dir("dashboard")
    spki = spki_sha256(hub.config_dir / "tls" / "server.crt")
    with (
        browser("admin", artifacts, trust_spki=spki) as admin,
        browser("guest", artifacts, trust_spki=spki) as guest,
    ):
        # Password, then TOTP (set up at this first login, as mfa_required: admins asks).
        log_in(admin, base, USERNAME, totp_secret=[])
        admin.screenshot("dashboard")

        # The service worker registers over TLS; its first activation reloads the page, and
        # the kept tokens bring the dashboard back without a new login.
        script = admin.driver.execute_async_script(
            "const done = arguments[0]; setTimeout(() => done(null), 20000);"
            "navigator.serviceWorker.ready.then((r) => done(r.active && r.active.scriptURL));"
        )
        assert script == base + "/sw-modern.js"
        wait_for_dashboard(admin)

        # A user who is no admin: no settings panel, in the data or in the sidebar.
        log_in(guest, base, GUEST, totp_secret=None)
        assert set(hass(guest, "panels")) == {"lovelace", "history", "logbook", "profile"}
        assert "Settings" not in guest.text()
        assert "config" in hass(admin, "panels")
        guest.screenshot("dashboard")
        navigate(guest, "/profile/general")
        wait_until(lambda: "Browser settings" in guest.text(), "the profile page")
        guest.screenshot("profile")
        navigate(guest, "/lovelace/0")
        wait_for_dashboard(guest)

        # A toggle in one browser changes the hub, and the other browser sees it live.
        assert hass(guest, "states['light.demo_light_2'].state") == "off"
        toggle(admin, "light.demo_light_2")
        wait_until(lambda: hub_state(hub, "light.demo_light_2")["state"] == "on", "the hub")
        wait_until(
            lambda: hass(guest, "states['light.demo_light_2'].state") == "on", "the guest's view"
        )
        admin.screenshot("toggled")
        guest.screenshot("sees-toggle")

        # The settings pages: their overview, then rename an entity and create an area.
        navigate(admin, "/config/dashboard")
        wait_until(lambda: "Devices & services" in admin.text(), "the settings overview")
        admin.screenshot("settings")
        rename_entity(admin, "Demo Light 1", "Reading Lamp")
        wait_until(
            lambda: (
                hub_state(hub, "light.demo_light_1")["attributes"]["friendly_name"]
                == "Reading Lamp"
            ),
            "the new name in the hub",
        )
        admin.screenshot("renamed")
        create_area(admin, "Attic")
        wait_until(lambda: "attic" in hass(admin, "areas"), "the new area in the frontend")
        admin.screenshot("area-created")

        # Both survive a restart; the open page reconnects by itself.
        assert hub.stop() == 0, hub.log()
        tls_hubs.append(start_tls_hub(hub.config_dir, hub.port, hub.token, tmp_path / "hub-2.log"))
        hub = tls_hubs[-1].hub
        assert hub_state(hub, "light.demo_light_1")["attributes"]["friendly_name"] == (
            "Reading Lamp"
        )
        assert [area["name"] for area in ws_call(hub, "config/area_registry/list")] == ["Attic"]
        wait_until(
            lambda: (
                hass(admin, "states['light.demo_light_1'].attributes.friendly_name")
                == "Reading Lamp"
            ),
            "the reconnected page",
        )
        navigate(admin, "/lovelace/0")
        wait_until(lambda: "Reading Lamp" in admin.text(), "the new name on the dashboard")
        admin.screenshot("after-restart")

        time.sleep(1.0)  # let the last answers arrive before the logs are read
        for page in (admin, guest):
            page.collect()
            assert not page.csp, f"{page.name}: CSP violations:\n" + "\n".join(page.csp)
            assert not page.unknown, f"{page.name}: unknown commands {page.unknown}"
            assert not page.unanswered(), f"{page.name}: unanswered {page.unanswered()}"
            assert len(page.sent) > 20, page.sent
    assert re.search(r"Login of admin from 127\.0\.0\.1", (tmp_path / "hub.log").read_text())
