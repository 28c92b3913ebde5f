"""What is recorded: include/exclude precedence, and attributes that are never written."""

from __future__ import annotations

import pytest

from hearth.config.recorder_fields import EntityMatch
from hearth.recorder.filters import AttributeFilter, EntityFilter, secret_like

INCLUDE = EntityMatch(domains=["light"], entities=["sensor.kept"], entity_globs=["switch.*_main"])
EXCLUDE = EntityMatch(domains=["sensor"], entities=["light.hidden"], entity_globs=["*_battery"])


@pytest.mark.parametrize(
    ("include", "exclude", "entity_id", "recorded"),
    [
        (EntityMatch(), EntityMatch(), "light.any", True),  # nothing named: everything
        (EntityMatch(), EXCLUDE, "sensor.temperature", False),  # excluded domain
        (EntityMatch(), EXCLUDE, "light.hall_battery", False),  # excluded glob
        (EntityMatch(), EXCLUDE, "light.hidden", False),  # excluded id
        (EntityMatch(), EXCLUDE, "switch.tv", True),
        (INCLUDE, EntityMatch(), "light.hall", True),  # included domain
        (INCLUDE, EntityMatch(), "switch.tv", False),  # an include names what is recorded
        (INCLUDE, EntityMatch(), "switch.tv_main", True),  # included glob
        (INCLUDE, EXCLUDE, "sensor.kept", True),  # an id beats an excluded domain
        (INCLUDE, EXCLUDE, "light.hidden", False),  # an excluded id beats an included domain
        (INCLUDE, EXCLUDE, "light.door_battery", False),  # exclude patterns beat include ones
    ],
)
def test_include_exclude(
    include: EntityMatch, exclude: EntityMatch, entity_id: str, recorded: bool
) -> None:
    assert EntityFilter(include, exclude)(entity_id) is recorded


@pytest.mark.parametrize(
    "name",
    ["access_token", "code", "code_format", "password", "apiKey", "api_key", "pinCode",
     "session_id", "client-secret", "Authorization", "otp", "private.key"],
)  # fmt: skip
def test_secret_like_names(name: str) -> None:
    assert secret_like(name)


@pytest.mark.parametrize(
    "name",
    ["brightness", "friendly_name", "unit_of_measurement", "keyboard_layout", "pinned",
     "author", "supported_color_modes", "encoding", "entity_picture"],
)  # fmt: skip
def test_ordinary_names(name: str) -> None:
    assert not secret_like(name)


def test_attributes_kept_and_dropped() -> None:
    keep = AttributeFilter(
        EntityMatch(entities=["sensor.private"], domains=["person"]),
        ["entity_picture", "*_raw"],
        exclude_secret=True,
    ).keep
    attributes = {
        "friendly_name": "Door",
        "access_token": "abc",
        "entity_picture": "/api/camera_proxy/x",
        "payload_raw": "zz",
        "stream": "https://cam.local/live?token=abc",
        "mode": "auto",
    }
    assert keep("sensor.door", attributes) == {"friendly_name": "Door", "mode": "auto"}
    assert keep("sensor.private", attributes) == {}  # marked sensitive
    assert keep("person.anna", {"latitude": 52.1}) == {}
    for domain in ("lock", "alarm_control_panel", "camera"):  # always sensitive
        assert keep(f"{domain}.front", {"friendly_name": "Front"}) == {}


def test_secret_names_may_be_recorded_when_asked() -> None:
    keep = AttributeFilter(EntityMatch(), [], exclude_secret=False).keep
    assert keep("sensor.x", {"code_format": "number"}) == {"code_format": "number"}
    assert keep("lock.x", {"code_format": "number"}) == {}  # sensitive domains stay private
