"""POST /auth/token with `auth: refresh_token_rotation: true`: new secrets, reuse ends it all."""

from __future__ import annotations

import pytest

from hearth.auth.manager import AuthManager
from hearth.auth.models import User
from hearth.config.schema import AuthSection, Config, DemoSection

from .conftest import Client, client_id, log_in, tokens


@pytest.fixture
def config() -> Config:
    return Config(
        demo=DemoSection(lights=1, switches=0, sensors=0, sensor_interval=3600),
        auth=AuthSection(refresh_token_rotation=True),
    )


async def refresh(client: Client, secret: str) -> tuple[int, dict[str, str]]:
    resp = await client.post(
        "/auth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": client_id(client),
            "refresh_token": secret,
        },
    )
    return resp.status, await resp.json()


async def test_rotation_and_reuse(
    client: Client, alice: User, auth: AuthManager, caplog: pytest.LogCaptureFixture
) -> None:
    first = await tokens(client, await log_in(client))
    status, second = await refresh(client, first["refresh_token"])
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    status, third = await refresh(client, second["refresh_token"])
    assert status == 200
    (session,) = auth.list_refresh_tokens(alice.id)  # still one session: same id, new secret
    # The first secret is used again: whoever copied it, the session is over for everyone.
    status, reused = await refresh(client, first["refresh_token"])
    assert (status, reused) == (400, {"error": "invalid_grant"})
    assert auth.list_refresh_tokens(alice.id) == []
    status, after = await refresh(client, third["refresh_token"])
    assert (status, after) == (400, {"error": "invalid_grant"})
    assert "Refresh token reuse detected" in caplog.text
    assert (await auth.audit.query(event="token_reuse_detected"))[0].details == {
        "token_id": session.id
    }
    api = await client.get("/api/", headers={"Authorization": f"Bearer {third['access_token']}"})
    assert api.status == 401
