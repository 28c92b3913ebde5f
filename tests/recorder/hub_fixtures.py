"""A demo hub with a real recorder, for the in-process API tests (imported by test modules)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from hearth.auth.manager import AuthManager
from hearth.config.recorder_fields import RecorderSection
from hearth.config.schema import Config
from hearth.core.hub import Hub, HubConfig
from hearth.http.server import create_app
from hearth.integrations import demo
from hearth.recorder import KEY_RECORDER, Recorder

EXCLUDED = "switch.demo_switch_2"


@pytest.fixture
async def recorder_hub(config: Config, tmp_path: Path) -> AsyncIterator[tuple[Hub, Recorder]]:
    """A demo hub whose recorder starts before the demo writes its first states."""
    hub = Hub(HubConfig(time_zone="Europe/Amsterdam"))
    section = RecorderSection.model_validate({"exclude": {"entities": [EXCLUDED]}})
    recorder = Recorder(hub, tmp_path, section)
    await recorder.start()
    assert config.demo is not None
    await demo.async_setup(hub, config.demo)
    await hub.start()
    yield hub, recorder
    await hub.stop()
    await recorder.stop()


@pytest.fixture
async def hub(recorder_hub: tuple[Hub, Recorder]) -> Hub:
    """The hub of recorder_hub (replaces the plain demo hub)."""
    return recorder_hub[0]


@pytest.fixture
async def app(
    hub: Hub, auth: AuthManager, config: Config, recorder_hub: tuple[Hub, Recorder]
) -> web.Application:
    """The full application with the recorder, as `hearth run` builds it."""
    application = create_app(hub, auth, config)
    application[KEY_RECORDER] = recorder_hub[1]
    return application
