"""Fixtures for the pages: the full app with a cheap hasher, and HTML checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.auth.manager import AuthManager
from hearth.auth.models import User
from hearth.auth.passwords import PasswordHasher

Client = TestClient[web.Request, web.Application]
PASSWORD = "correct horse battery staple"

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


@pytest.fixture
def auth(tmp_path: Path) -> Iterator[AuthManager]:
    manager = AuthManager.open(tmp_path, hasher=PasswordHasher(memory_cost=64, time_cost=1))
    yield manager
    manager.close()


@pytest.fixture
async def alice(auth: AuthManager) -> User:
    return await auth.create_user("alice", PASSWORD, name="Alice")


def assert_strict_page(text: str, headers: object) -> None:
    """No inline script, style or handlers; the strict policy; never cached, never framed."""
    assert text.startswith("<!doctype html>")
    assert not _INLINE_SCRIPT.search(text), "inline <script>"
    assert not _EVENT_HANDLER.search(text), "inline event handler"
    assert "<style" not in text
    assert " style=" not in text
    csp = headers["Content-Security-Policy"]  # type: ignore[index]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["Cache-Control"] == "no-store"  # type: ignore[index]
    assert headers["X-Frame-Options"] == "DENY"  # type: ignore[index]
