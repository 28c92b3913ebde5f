"""Shared fixtures: a hub with the demo integration, an auth store, tokens, an HTTP client."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.auth.manager import AuthManager
from hearth.auth.models import User
from hearth.config.schema import Config, DemoSection
from hearth.core.hub import Hub, HubConfig
from hearth.http.server import create_app
from hearth.integrations import demo

STRONG_PASSWORD = "correct-horse-battery-staple-42"


async def reload_soon(auth: AuthManager) -> bool:
    """Reload once the store's writer has noticed another process's commit (it polls)."""
    for _ in range(200):
        if await auth.reload_if_changed():
            return True
        await asyncio.sleep(0.02)
    return False


async def settle() -> None:
    """Let revoke listeners run: they are told at the next turn of the event loop."""
    await asyncio.sleep(0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every coroutine test ends with a few turns of its event loop (`_closes_settle`)."""
    for item in items:
        if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj):
            item.fixturenames.append("_closes_settle")


@pytest.fixture
async def _closes_settle() -> AsyncIterator[None]:
    """A transport closes its socket on the loop's next turn, not in `close()`: a test whose
    last step closes a connection would leave the socket to the garbage collector once its
    loop is gone, and the ResourceWarning would fail whichever test runs then."""
    yield
    for _ in range(3):
        await asyncio.sleep(0)


AiohttpClient = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
def config() -> Config:
    """The default configuration with a small demo."""
    return Config(demo=DemoSection(lights=3, switches=2, sensors=2, sensor_interval=3600))


@pytest.fixture
async def hub(config: Config) -> AsyncIterator[Hub]:
    """A started hub with the demo integration."""
    hub = Hub(
        HubConfig(
            name="Test Home",
            latitude=52.37,
            longitude=4.89,
            elevation=0,
            time_zone="Europe/Amsterdam",
            unit_system="metric",
        )
    )
    assert config.demo is not None
    await demo.async_setup(hub, config.demo)
    await hub.start()
    yield hub
    await hub.stop()


@pytest.fixture
def auth(tmp_path: Path) -> Iterator[AuthManager]:
    """An auth store in a temporary config directory."""
    manager = AuthManager.open(tmp_path)
    yield manager
    manager.close()


@pytest.fixture
async def admin_user(auth: AuthManager) -> User:
    """The owner, an admin."""
    return await auth.create_user("admin", STRONG_PASSWORD, name="Admin", is_admin=True)


@pytest.fixture
async def plain_user(auth: AuthManager) -> User:
    """A user without admin rights."""
    return await auth.create_user("resident", STRONG_PASSWORD, name="Resident")


@pytest.fixture
async def admin_token(auth: AuthManager, admin_user: User) -> str:
    """A valid access token for the admin."""
    refresh_token, _secret = await auth.create_refresh_token(admin_user, client_id="http://test/")
    return auth.create_access_token(refresh_token)


@pytest.fixture
async def user_token(auth: AuthManager, plain_user: User) -> str:
    """A valid access token for the non-admin user."""
    refresh_token, _secret = await auth.create_refresh_token(plain_user, client_id="http://test/")
    return auth.create_access_token(refresh_token)


@pytest.fixture
async def app(hub: Hub, auth: AuthManager, config: Config) -> web.Application:
    """The full application, as `hearth run` builds it."""
    return create_app(hub, auth, config)


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, app: web.Application
) -> TestClient[web.Request, web.Application]:
    """An HTTP client talking to the application over a real socket."""
    return await aiohttp_client(app)
