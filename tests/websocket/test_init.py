"""Tests for hearth.websocket (setup and the command table) and hearth.websocket.spec."""

from __future__ import annotations

import pytest
from aiohttp import web

from hearth.exceptions import BadRequest
from hearth.http.view import PUBLIC_ATTR
from hearth.websocket import COMMANDS, KEY_WS_CONNECTIONS, URL, setup, websocket_view
from hearth.websocket.commands.core import ping
from hearth.websocket.spec import NoParams, Params, build_table

EXPECTED_COMMANDS = {
    "ping",
    # The Security Center's (hearth.frontend.security_center).
    "auth/regenerate_recovery_codes",
    "hearth/password/strength",
    "ban/allow/list",
    "ban/allow/add",
    "ban/allow/remove",
    "hearth/check/acknowledge",
    "hearth/check/unacknowledge",
    "hearth/signins",
    "hearth/users/security",
    "hearth/mfa/require",
    "hearth/tokens/list",
    "hearth/tokens/revoke",
    "get_states",
    "get_config",
    "get_services",
    "call_service",
    "fire_event",
    "supported_features",
    "subscribe_events",
    "unsubscribe_events",
    "subscribe_entities",
    "auth/current_user",
    "auth/long_lived_access_token",
    "auth/refresh_tokens",
    "auth/delete_refresh_token",
    "auth/delete_all_refresh_tokens",
    "config/auth/list",
    "config/auth/update",
    "config/auth_provider/homeassistant/change_password",
    "config/auth_provider/homeassistant/admin_change_password",
    "ban/list",
    "ban/remove",
    "auth/setup_mfa",
    "auth/depose_mfa",
    "auth/mfa_status",
    "auth/passkeys/list",
    "auth/passkeys/rename",
    "auth/passkeys/remove",
    "auth/passkeys/counts",
    "audit/log",
    "hearth/check",
    "hearth/mqtt",
    # The web frontend (hearth.websocket.commands: frontend, registries, areas, lovelace).
    "get_panels",
    "frontend/get_themes",
    "frontend/get_translations",
    "frontend/get_icons",
    "frontend/get_version",
    "frontend/get_user_data",
    "frontend/set_user_data",
    "frontend/subscribe_user_data",
    "frontend/get_system_data",
    "frontend/set_system_data",
    "frontend/subscribe_system_data",
    "config/entity_registry/list_for_display",
    "config/entity_registry/list",
    "config/entity_registry/get",
    "config/entity_registry/get_entries",
    "config/entity_registry/update",
    "config/entity_registry/remove",
    "config/device_registry/list",
    "config/device_registry/update",
    *(
        f"config/{kind}_registry/{verb}"
        for kind in ("area", "floor", "label")
        for verb in ("list", "create", "update", "delete")
    ),
    "lovelace/config",
    "lovelace/config/save",
    "lovelace/config/delete",
    "lovelace/info",
    "lovelace/resources",
    "lovelace/dashboards/list",
    # History (hearth.websocket.commands: history, logbook, recorder).
    "history/history_during_period",
    "history/stream",
    "logbook/get_events",
    "logbook/event_stream",
    "recorder/info",
    "recorder/get_statistics_metadata",
    "recorder/list_statistic_ids",
    "recorder/statistics_during_period",
    "recorder/statistic_during_period",
    "recorder/validate_statistics",
    # Placeholders for features Hearth lacks (hearth.websocket.commands.placeholders).
    "repairs/list_issues",
    "manifest/list",
    "entity/source",
    "integration/setup_info",
    "logger/log_info",
    "config_entries/get",
    "search/related",
    "sensor/numeric_device_classes",
    "persistent_notification/subscribe",
    "subscribe_bootstrap_integrations",
}


def test_command_table() -> None:
    assert set(COMMANDS) == EXPECTED_COMMANDS
    admin_only = {name for name, spec in COMMANDS.items() if spec.admin}
    assert admin_only == {
        "fire_event",
        "ban/list",
        "ban/remove",
        "config/auth/list",
        "config/auth/update",
        "config/auth_provider/homeassistant/admin_change_password",
        "audit/log",
        "hearth/check",
        "hearth/mqtt",
        "frontend/set_system_data",
        "config/entity_registry/update",
        "config/entity_registry/remove",
        "config/device_registry/update",
        *(
            f"config/{kind}_registry/{verb}"
            for kind in ("area", "floor", "label")
            for verb in ("create", "update", "delete")
        ),
        "lovelace/config/save",
        "lovelace/config/delete",
        "lovelace/dashboards/list",
        "auth/passkeys/counts",
        "ban/allow/list",
        "ban/allow/add",
        "ban/allow/remove",
        "hearth/check/acknowledge",
        "hearth/check/unacknowledge",
        "hearth/signins",
        "hearth/users/security",
        "hearth/mfa/require",
        "hearth/tokens/list",
        "hearth/tokens/revoke",
    }
    assert COMMANDS["call_service"].is_async
    assert not COMMANDS["subscribe_entities"].is_async


def test_duplicate_command_is_an_error() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        build_table([ping], [ping])


def test_setup_adds_public_route() -> None:
    app = web.Application()
    setup(app)
    assert len(app[KEY_WS_CONNECTIONS]) == 0
    routes = [(r.method, r.resource.canonical if r.resource else None) for r in app.router.routes()]
    assert ("GET", URL) in routes
    assert getattr(websocket_view, PUBLIC_ATTR) is True


class Sample(Params):
    """A schema with one required integer."""

    count: int


def test_validation_errors_never_echo_input() -> None:
    spec = COMMANDS["unsubscribe_events"]
    with pytest.raises(BadRequest) as info:
        spec.validate({"subscription": "<script>"})
    assert "<script>" not in info.value.message
    assert "subscription" in info.value.message
    with pytest.raises(BadRequest) as extra:
        COMMANDS["ping"].validate({"x" * 500: 1})
    assert "x" * 100 not in extra.value.message


def test_params_are_strict() -> None:
    with pytest.raises(ValueError, match="count"):
        Sample.model_validate({"count": "1"})
    assert NoParams.model_validate({}) == NoParams()
