"""Fixtures for the demo integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hearth.core.hub import Hub
from hearth.integrations.demo import DemoEntities, async_setup
from tests.integrations.demo.common import DemoConf


@pytest.fixture
async def demo_hub() -> AsyncIterator[Hub]:
    """A started hub, stopped after the test."""
    hub = Hub()
    await hub.start()
    yield hub
    await hub.stop()


@pytest.fixture
async def demo(demo_hub: Hub) -> DemoEntities:
    """The demo with its default entity counts and a slow sensor timer."""
    return await async_setup(demo_hub, DemoConf())  # type: ignore[arg-type]
