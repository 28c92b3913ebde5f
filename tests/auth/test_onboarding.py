"""Onboarding: the setup code and creating the owner with it."""

from __future__ import annotations

import io
import re

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.onboarding import (
    ALPHABET,
    InvalidSetupCode,
    Onboarding,
    new_setup_code,
    onboarding_urls,
)
from hearth.auth.policy import WeakPassword
from hearth.exceptions import PermissionDenied

from .conftest import PASSWORD

CODE_SHAPE = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")


def test_codes_are_random_and_readable() -> None:
    codes = {new_setup_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(CODE_SHAPE.fullmatch(code) for code in codes)


async def test_code_exists_only_while_there_is_no_user(auth: AuthManager) -> None:
    onboarding = Onboarding(auth)
    code = onboarding.setup_code()
    assert code is not None
    assert onboarding.setup_code() == code  # stable until used
    assert not onboarding.done
    await auth.create_user("someone", PASSWORD)  # e.g. `hearth user add`
    assert onboarding.done
    assert onboarding.setup_code() is None
    assert not onboarding.check(code)


def test_check_is_forgiving_about_form_only(auth: AuthManager) -> None:
    onboarding = Onboarding(auth)
    code = onboarding.setup_code()
    assert code is not None
    assert onboarding.check(code)
    assert onboarding.check(code.lower())
    assert onboarding.check(code.replace("-", " "))
    assert onboarding.check(code.replace("-", ""))
    assert not onboarding.check(code[:-1])
    assert not onboarding.check(code[:-1] + ("0" if code[-1] != "0" else "1"))
    for garbage in (None, 12, "", "x" * 10_000, ["a"]):
        assert not onboarding.check(garbage)


async def test_create_owner(auth: AuthManager) -> None:
    onboarding = Onboarding(auth)
    code = onboarding.setup_code()
    with pytest.raises(InvalidSetupCode):
        await onboarding.create_owner("WRONG-CODE-0000", "owner", PASSWORD, None)
    with pytest.raises(WeakPassword):
        await onboarding.create_owner(code, "owner", "short", None)
    owner = await onboarding.create_owner(code, "Owner", PASSWORD, "The Owner")
    assert (owner.username, owner.name, owner.is_owner, owner.is_admin) == (
        "owner",
        "The Owner",
        True,
        True,
    )
    # Single use: the hub is onboarded, nobody else can claim it, not even with the old code.
    with pytest.raises(PermissionDenied, match="already has an owner"):
        await onboarding.create_owner(code, "second", PASSWORD, None)
    assert [u.username for u in auth.list_users()] == ["owner"]


def test_announce_prints_code_and_urls(auth: AuthManager, caplog: pytest.LogCaptureFixture) -> None:
    onboarding = Onboarding(auth)
    out = io.StringIO()
    onboarding.announce([("127.0.0.1", 8123)], stream=out)
    code = onboarding.setup_code()
    assert code is not None
    printed = out.getvalue()
    assert code in printed
    assert "http://127.0.0.1:8123/onboarding" in printed
    assert code in caplog.text
    assert "http://127.0.0.1:8123/onboarding" in caplog.text


async def test_announce_is_silent_once_onboarded(auth: AuthManager) -> None:
    await auth.create_user("owner", PASSWORD)
    out = io.StringIO()
    Onboarding(auth).announce([("127.0.0.1", 8123)], stream=out)
    assert out.getvalue() == ""


def test_urls() -> None:
    urls = onboarding_urls([("0.0.0.0", 8123), ("::", 8123), ("::1", 9000)], "https")
    assert urls[0] == "https://localhost:8123/onboarding"
    assert "https://[::1]:9000/onboarding" in urls
    assert len(urls) == len(set(urls))
