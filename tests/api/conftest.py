"""Fixtures for the REST API tests: authorization headers for each kind of user."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin_headers(admin_token: str) -> dict[str, str]:
    """Headers authenticating as the admin."""
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture
def user_headers(user_token: str) -> dict[str, str]:
    """Headers authenticating as the non-admin user."""
    return {"Authorization": f"Bearer {user_token}"}
