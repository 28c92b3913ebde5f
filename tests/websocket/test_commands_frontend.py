"""What the frontend asks for on every page: panels, texts, icons, themes, saved settings,
the dashboard, and the placeholders for features Hearth lacks."""

from __future__ import annotations

import logging

import pytest

from .conftest import WsClient


async def test_panels_depend_on_the_role(admin_ws: WsClient, user_ws: WsClient) -> None:
    admin = await admin_ws.ok("get_panels")
    assert set(admin) == {"lovelace", "history", "logbook", "profile", "config", "hearth-security"}
    # The Security Center, as an iframe panel for administrators.
    assert admin["hearth-security"]["component_name"] == "iframe"
    assert admin["hearth-security"]["config"] == {"url": "/hearth/security"}
    assert admin["hearth-security"]["require_admin"] is True
    assert admin["config"] == {
        "component_name": "config",
        "icon": "hass:cog",
        "title": "config",
        "config": None,
        "url_path": "config",
        "require_admin": True,
        "config_panel_domain": None,
    }
    assert set(await user_ws.ok("get_panels")) == {"lovelace", "history", "logbook", "profile"}


async def test_texts_icons_and_themes(user_ws: WsClient) -> None:
    titles = await user_ws.ok("frontend/get_translations", language="en", category="title")
    assert titles["resources"]["component.light.title"] == "Light"
    states = await user_ws.ok(
        "frontend/get_translations",
        language="nl",
        category="entity_component",
        integration=["light"],
    )
    assert states["resources"] == {
        "component.light.entity_component._.name": "Light",
        "component.light.entity_component._.state.on": "On",
        "component.light.entity_component._.state.off": "Off",
    }
    unknown = await user_ws.ok("frontend/get_translations", language="en", category="selector")
    assert unknown == {"resources": {}}
    icons = await user_ws.ok("frontend/get_icons", category="entity_component")
    assert icons["resources"]["light"]["_"]["state"]["off"] == "mdi:lightbulb-off"
    services = await user_ws.ok("frontend/get_icons", category="services", integration="switch")
    assert set(services["resources"]) == {"switch"}
    error = await user_ws.error("frontend/get_icons", category="../../etc")
    assert error["code"] == "invalid_format"
    themes = await user_ws.ok("frontend/get_themes")
    assert themes == {"themes": {}, "default_theme": "default", "default_dark_theme": None}


async def test_user_data_is_per_user_and_watched(admin_ws: WsClient, user_ws: WsClient) -> None:
    sub = await user_ws.send("frontend/subscribe_user_data", key="sidebar")
    assert (await user_ws.result(sub))["success"]
    assert await user_ws.event(sub) == {"value": None}
    await user_ws.ok("frontend/set_user_data", key="sidebar", value={"hidden": ["config"]})
    assert await user_ws.event(sub) == {"value": {"hidden": ["config"]}}
    assert await user_ws.ok("frontend/get_user_data", key="sidebar") == {
        "value": {"hidden": ["config"]}
    }
    assert await user_ws.ok("frontend/get_user_data") == {
        "value": {"sidebar": {"hidden": ["config"]}}
    }
    # Another user sees nothing of it.
    assert await admin_ws.ok("frontend/get_user_data", key="sidebar") == {"value": None}
    await user_ws.ok("frontend/set_user_data", key="sidebar", value=None)
    assert await user_ws.event(sub) == {"value": None}


async def test_user_data_is_bounded(user_ws: WsClient) -> None:
    error = await user_ws.error("frontend/set_user_data", key="big", value="x" * 70_000)
    assert error["code"] == "invalid_format"
    assert "too large" in error["message"]
    for number in range(64):
        await user_ws.ok("frontend/set_user_data", key=f"k{number}", value=number)
    error = await user_ws.error("frontend/set_user_data", key="one-more", value=1)
    assert error["code"] == "unavailable"
    await user_ws.ok("frontend/set_user_data", key="k1", value="replaced")  # existing keys: fine
    error = await user_ws.error("frontend/set_user_data", key="k" * 65, value=1)
    assert error["code"] == "invalid_format"


async def test_system_data_needs_an_admin_to_change(admin_ws: WsClient, user_ws: WsClient) -> None:
    sub = await user_ws.send("frontend/subscribe_system_data", key="core")
    assert (await user_ws.result(sub))["success"]
    assert await user_ws.event(sub) == {"value": None}
    error = await user_ws.error("frontend/set_system_data", key="core", value={"x": 1})
    assert error["code"] == "unauthorized"
    await admin_ws.ok("frontend/set_system_data", key="core", value={"x": 1})
    assert await user_ws.event(sub) == {"value": {"x": 1}}
    assert await user_ws.ok("frontend/get_system_data", key="core") == {"value": {"x": 1}}


async def test_dashboard_is_generated_until_saved(admin_ws: WsClient, user_ws: WsClient) -> None:
    error = await user_ws.error("lovelace/config", url_path=None, force=False)
    assert error["code"] == "config_not_found"
    updates = await user_ws.send("subscribe_events", event_type="lovelace_updated")
    assert (await user_ws.result(updates))["success"]
    config = {"views": [{"title": "Home", "cards": [{"type": "entities", "entities": []}]}]}
    denied = await user_ws.error("lovelace/config/save", config=config)
    assert denied["code"] == "unauthorized"
    await admin_ws.ok("lovelace/config/save", config=config, url_path=None)
    assert (await user_ws.event(updates))["data"] == {"url_path": None}
    assert await user_ws.ok("lovelace/config", url_path=None, force=True) == config
    assert await user_ws.ok("lovelace/info") == {"mode": "storage", "views": 1}
    assert await user_ws.ok("lovelace/resources") == []
    await admin_ws.ok("lovelace/config/delete", url_path=None)
    assert (await user_ws.error("lovelace/config"))["code"] == "config_not_found"
    big = {"views": [{"title": "x" * 600_000}]}
    assert (await admin_ws.error("lovelace/config/save", config=big))["code"] == "invalid_format"
    other = await admin_ws.error("lovelace/config", url_path="dashboard-other")
    assert other["code"] == "not_found"


@pytest.mark.parametrize(
    ("msg_type", "result"),
    [
        ("repairs/list_issues", {"issues": []}),
        ("manifest/list", []),
        ("entity/source", {}),
        ("config_entries/get", []),
        ("integration/setup_info", []),
        ("logger/log_info", []),
    ],
)
async def test_placeholders_answer_empty(user_ws: WsClient, msg_type: str, result: object) -> None:
    assert await user_ws.ok(msg_type) == result


async def test_placeholder_subscriptions(user_ws: WsClient) -> None:
    sub = await user_ws.send("persistent_notification/subscribe")
    assert (await user_ws.result(sub))["success"]
    assert await user_ws.event(sub) == {"type": "current", "notifications": {}}
    await user_ws.ok("unsubscribe_events", subscription=sub)
    info = await user_ws.ok("recorder/info")
    assert info["recording"] is False


async def test_users_may_follow_floor_and_repairs_updates(user_ws: WsClient) -> None:
    for event_type in ("floor_registry_updated", "repairs_issue_registry_updated"):
        await user_ws.ok("subscribe_events", event_type=event_type)
    error = await user_ws.error("subscribe_events", event_type="call_service")
    assert error["code"] == "unauthorized"


async def test_system_log_write_is_bounded(
    user_ws: WsClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hearth.frontend.system_log")
    message = "Uncaught error\nfrom the page\x1b[31m " + "y" * 5000
    await user_ws.ok(
        "call_service",
        domain="system_log",
        service="write",
        service_data={"message": message, "level": "warning", "logger": "frontend.js"},
    )
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1
    assert "\n" not in lines[0]
    assert "\x1b" not in lines[0]
    assert len(lines[0]) < 1200
    assert caplog.records[0].levelno == logging.WARNING
    for _ in range(40):
        await user_ws.ok(
            "call_service", domain="system_log", service="write", service_data={"message": "m"}
        )
    assert len(caplog.records) == 30  # the budget per user and minute
