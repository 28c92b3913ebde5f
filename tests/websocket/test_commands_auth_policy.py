"""`auth: allow_user_long_lived_tokens: false`: only administrators create long-lived tokens."""

from __future__ import annotations

import pytest

from hearth.config.schema import AuthSection, Config, DemoSection
from tests.websocket.conftest import WsClient


@pytest.fixture
def config() -> Config:
    return Config(
        demo=DemoSection(lights=1, switches=0, sensors=0, sensor_interval=3600),
        auth=AuthSection(allow_user_long_lived_tokens=False),
    )


async def test_only_admins_create_long_lived_tokens(admin_ws: WsClient, user_ws: WsClient) -> None:
    denied = await user_ws.error("auth/long_lived_access_token", client_name="x", lifespan=1)
    assert denied["code"] == "unauthorized"
    token = await admin_ws.ok("auth/long_lived_access_token", client_name="x", lifespan=1)
    assert isinstance(token, str)
