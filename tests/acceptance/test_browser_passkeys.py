"""Passkeys in a real browser: headless Chromium with virtual authenticators (Chrome DevTools
Protocol `WebAuthn.*`) against the running hub. Register on /auth/passkeys, log in with password
and passkey, log in password-less, then the attacks: a never-registered authenticator and a
clone whose sign count went back, both refused by the hub and audited; finally remove it."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from tests.acceptance.support import PASSWORD, USERNAME, RunningHub, hearth
from tests.acceptance.support_browser import Browser, artifacts_dir, browser

pytestmark = pytest.mark.acceptance

WAIT = 20.0
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def base(hub: RunningHub) -> str:
    # A host name the hub always answers to, and a secure context without TLS.
    return f"http://localhost:{hub.port}"


def add_authenticator(driver: Any, *credentials: dict[str, Any]) -> str:
    added = driver.execute_cdp_cmd("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    authenticator: str = added["authenticatorId"]
    for credential in credentials:
        driver.execute_cdp_cmd(
            "WebAuthn.addCredential",
            {"authenticatorId": authenticator, "credential": credential},
        )
    return authenticator


def wait_text(b: Browser, selector: str, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(b.driver, WAIT).until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, selector), text)
    )


def click(b: Browser, selector: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(b.driver, WAIT).until(
        expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, selector))
    ).click()


def password_step(b: Browser) -> None:
    from selenium.webdriver.common.by import By

    wait_text(b, "h1", "Log in")
    b.driver.find_element(By.NAME, "username").send_keys(USERNAME)
    b.driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    b.driver.find_element(By.CSS_SELECTOR, "form.once button[type=submit]").click()


def open_login(b: Browser, hub: RunningHub) -> None:
    own = base(hub) + "/"
    query = {"response_type": "code", "client_id": own, "redirect_uri": own + "?auth_callback=1"}
    b.driver.get(f"{base(hub)}/auth/authorize?{urllib.parse.urlencode(query)}")


def landed_with_code(b: Browser) -> bool:
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(b.driver, WAIT).until(expected_conditions.url_contains("code="))
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(b.driver.current_url).query))
    return len(query.get("code", "")) == 32


def passwordless(b: Browser, hub: RunningHub) -> None:
    open_login(b, hub)
    click(b, "form.once:not(:has(input[name=username])) button[type=submit]")
    wait_text(b, "h1", "Sign in with a passkey")
    click(b, "form.passkey button[type=submit]")


def audit(hub: RunningHub, event: str) -> list[dict[str, Any]]:
    listed = hearth(hub.config_dir, "audit", "log", "--event", event, "--json")
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]


def test_passkeys_in_a_browser(hub: RunningHub) -> None:
    with browser("passkeys", artifacts_dir("passkeys")) as b:
        driver = b.driver
        driver.execute_cdp_cmd("WebAuthn.enable", {"enableUI": False})
        original = add_authenticator(driver)

        # Register: the page logs in through /auth/authorize, then creates the passkey.
        driver.get(f"{base(hub)}/auth/passkeys")
        password_step(b)
        wait_text(b, "#pk-status", "no passkeys yet")
        driver.find_element("id", "pk-name").send_keys("Laptop")
        click(b, "#pk-add button[type=submit]")
        wait_text(b, "#pk-status", "Passkey added.")
        wait_text(b, "#pk-list", "Laptop")
        assert [e["event"] for e in audit(hub, "passkey_registered")] == ["passkey_registered"]

        # Log out (a new page keeps no token), log in with password and passkey.
        open_login(b, hub)
        password_step(b)
        wait_text(b, "h1", "Two-step verification")
        click(b, "form.passkey button[type=submit]")
        assert landed_with_code(b)

        # Password-less.
        passwordless(b, hub)
        assert landed_with_code(b)
        used = audit(hub, "passkey_used")
        assert len(used) == 2
        assert {e["details"]["passwordless"] for e in used} == {True, False}

        # Keep the real credential aside; a stranger's authenticator is refused by the hub.
        [credential] = driver.execute_cdp_cmd(
            "WebAuthn.getCredentials", {"authenticatorId": original}
        )["credentials"]
        driver.execute_cdp_cmd("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": original})
        stranger = add_authenticator(
            driver,
            {
                **credential,
                "credentialId": "c3RyYW5nZXItY3JlZGVudGlhbA==",
                "privateKey": _new_private_key(),
                "signCount": 0,
            },
        )
        passwordless(b, hub)
        wait_text(b, ".error", "That passkey was not accepted.")
        driver.execute_cdp_cmd("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": stranger})

        # A clone of the real credential, its counter behind the original's: refused, audited.
        clone = add_authenticator(driver, {**credential, "signCount": 0})
        passwordless(b, hub)
        wait_text(b, ".error", "That passkey was not accepted.")
        driver.execute_cdp_cmd("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": clone})
        reasons = [e["details"]["reason"] for e in audit(hub, "passkey_failed")]
        assert "unknown_passkey" in reasons
        assert "sign_count_regressed" in reasons

        # The real one still works; remove it on the passkeys page (with the password).
        add_authenticator(driver, credential)
        driver.get(f"{base(hub)}/auth/passkeys")
        password_step(b)
        wait_text(b, "h1", "Two-step verification")
        click(b, "form.passkey button[type=submit]")
        wait_text(b, "#pk-list", "Laptop")
        click(b, "#pk-list button.pk-remove")
        driver.find_element("id", "pk-password").send_keys(PASSWORD)
        click(b, "#pk-remove button[type=submit]")
        wait_text(b, "#pk-status", "Passkey removed.")
        assert [e["event"] for e in audit(hub, "passkey_removed")] == ["passkey_removed"]
        b.collect()
        assert not b.csp, "\n".join(b.csp)


def _new_private_key() -> str:
    """A fresh P-256 key as base64 PKCS#8, as WebAuthn.addCredential takes it."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    der = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(der).decode()
