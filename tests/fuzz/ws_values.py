"""What the WebSocket fuzzer sends and accepts: command types, field edge values, error codes."""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

from hearth.websocket import COMMANDS

ERROR_CODES: Final = {
    "invalid_format",
    "id_reuse",
    "unknown_command",
    "unauthorized",
    "not_found",
    "conflict",
    "unavailable",
    "invalid_token_id",
    "invalid_current_password",
    "no_module",
    "code_required",
    "invalid_code",
    "home_assistant_error",
}
# Revoking all of the fuzzer's tokens would end every later example; revocation is the crash
# test's subject (tests/acceptance/test_crash_durability.py).
SKIPPED_TYPES: Final = {"auth/delete_all_refresh_tokens"}
TYPES: Final = sorted(set(COMMANDS) - SKIPPED_TYPES)

# Values worth trying for a field: each is sent once by test_every_edge_value, and drawn (besides
# any JSON) by the fuzzer.
EDGE_VALUES: Final[dict[str, list[Any]]] = {
    "event_type": ["state_changed", "fuzz_event", "*", "call_service", "", "x" * 300, "\x00"],
    "domain": ["light", "switch", "homeassistant", "LIGHT", "", "a" * 300],
    "service": ["turn_on", "turn_off", "toggle", "nope", ""],
    "entity_ids": ["light.demo_light_1,sensor.nope", ["light.demo_light_1"], [], "", ",,,"],
    "service_data": [
        {"entity_id": "light.demo_light_1", "brightness": 300},
        {"entity_id": "all", "brightness_pct": 1e308},
        {"entity_id": ["light.demo_light_1", None]},
    ],
    "target": [{"entity_id": "light.demo_light_1"}, {"area_id": "kitchen"}, {"entity_id": 5}],
    "features": [{"coalesce_messages": 1}, {"coalesce_messages": True}, {"x": 1}],
    "subscription": [-1, 0, 1, 2**63 - 1],
    "lifespan": [-1, 0, 1, 3650, 3651, 2**63],
    "since": [
        "1d",
        "2025-01-31T08:00:00+01:00",
        "-1d",
        "9999999w",
        "0001-01-01T00:00:00+14:00",  # a valid time whose UTC is before year 1
        "9999-12-31T23:59:59-14:00",  # ... or after year 9999
        "0001-01-01",
    ],
    "limit": [-1, 0, 1, 10000, 10001, 2**63],
    "ip": ["127.0.0.9", "::1", "2001:db8::1", "2001:db8::/64", "10.0.0.0/8", "fe80::1%eth0"],
    "mfa_module_id": ["totp", "webauthn", ""],
    "token_type": ["normal", "long_lived_access_token", "x"],
    "user_id": ["", "nope", "0" * 32],
    "client_name": ["", "x" * 101, "\u202e", "name"],
    "refresh_token_id": ["", "0" * 32],
    "code": ["", "000000", "x" * 100],
    "user_input": [{}, {"code": "000000"}, {"code": 5}],
    "flow_id": ["", "nope"],
    "password": ["", "x" * 2000],
    "current_password": ["", "wrong"],
    "new_password": ["", "short"],
    "group_ids": [[], ["system-admin"], ["system-read-only"], "system-admin"],
}
FIELD_VALUES: Final[dict[str, st.SearchStrategy[Any]]] = {
    name: st.sampled_from(values) for name, values in EDGE_VALUES.items()
}
# Fields a command needs before it looks at the others.
BASE: Final[dict[str, dict[str, Any]]] = {
    "call_service": {"domain": "light", "service": "turn_on"},
    "fire_event": {"event_type": "fuzz_event"},
    "config/auth/update": {"user_id": "nope"},
    "config/auth_provider/homeassistant/admin_change_password": {
        "user_id": "nope",
        "password": "x",
    },
    "config/auth_provider/homeassistant/change_password": {
        "current_password": "wrong",
        "new_password": "x",
    },
    "auth/long_lived_access_token": {"client_name": "edge", "lifespan": 1},
    "auth/delete_refresh_token": {"refresh_token_id": "nope"},
    "auth/depose_mfa": {"mfa_module_id": "totp"},
    "ban/remove": {"ip": "127.0.0.9"},
    "unsubscribe_events": {"subscription": 1},
    "supported_features": {"features": {}},
}
