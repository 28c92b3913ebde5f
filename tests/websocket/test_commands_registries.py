"""Registry commands as the settings pages send them: lists, entity settings, areas, floors,
labels; changes need an administrator and are announced with *_registry_updated events."""

from __future__ import annotations

from .conftest import WsClient


async def test_lists(user_ws: WsClient) -> None:
    display = await user_ws.ok("config/entity_registry/list_for_display")
    ids = {item["ei"] for item in display["entities"]}
    assert {"light.demo_light_1", "switch.demo_switch_1", "sensor.demo_sensor_1"} <= ids
    entries = await user_ws.ok("config/entity_registry/list")
    lamp = next(entry for entry in entries if entry["entity_id"] == "light.demo_light_1")
    assert lamp["platform"] == "demo"
    assert lamp["original_name"] == "Demo Light 1"
    assert lamp["name"] is None
    for kind in ("area", "floor", "label", "device"):
        assert await user_ws.ok(f"config/{kind}_registry/list") == []


async def test_rename_an_entity(admin_ws: WsClient, user_ws: WsClient) -> None:
    events = await user_ws.send("subscribe_events", event_type="entity_registry_updated")
    assert (await user_ws.result(events))["success"]
    states = await user_ws.send("subscribe_events", event_type="state_changed")
    assert (await user_ws.result(states))["success"]
    # What the entity settings dialog sends: every field, the unchanged ones included.
    result = await admin_ws.ok(
        "config/entity_registry/update",
        entity_id="light.demo_light_1",
        name="Reading lamp",
        icon="mdi:lamp",
        area_id=None,
        new_entity_id="light.demo_light_1",
    )
    entry = result["entity_entry"]
    assert (entry["name"], entry["icon"], entry["original_name"]) == (
        "Reading lamp",
        "mdi:lamp",
        "Demo Light 1",
    )
    event = await user_ws.event(events)
    assert event["data"] == {
        "action": "update",
        "entity_id": "light.demo_light_1",
        "changes": {"name": None, "icon": None},
    }
    changed = await user_ws.event(states)
    assert changed["data"]["new_state"]["attributes"]["friendly_name"] == "Reading lamp"
    assert changed["data"]["new_state"]["attributes"]["icon"] == "mdi:lamp"
    got = await user_ws.ok("config/entity_registry/get", entity_id="light.demo_light_1")
    assert got["name"] == "Reading lamp"
    assert got["aliases"] == []
    # Clearing the name brings the integration's back.
    await admin_ws.ok("config/entity_registry/update", entity_id="light.demo_light_1", name="")
    changed = await user_ws.event(states)
    assert changed["data"]["new_state"]["attributes"]["friendly_name"] == "Demo Light 1"


async def test_entity_changes_need_an_admin_and_valid_input(
    admin_ws: WsClient, user_ws: WsClient
) -> None:
    denied = await user_ws.error(
        "config/entity_registry/update", entity_id="light.demo_light_1", name="x"
    )
    assert denied["code"] == "unauthorized"
    for fields, code in (
        ({"new_entity_id": "light.other"}, "invalid_format"),
        ({"disabled_by": "user"}, "invalid_format"),
        ({"area_id": "nowhere"}, "not_found"),
        ({"name": "x" * 300}, "invalid_format"),
        ({"name": 5}, "invalid_format"),
    ):
        error = await admin_ws.error(
            "config/entity_registry/update", entity_id="light.demo_light_1", **fields
        )
        assert error["code"] == code, fields
    missing = await admin_ws.error("config/entity_registry/get", entity_id="light.nothing")
    assert missing["code"] == "not_found"
    provided = await admin_ws.error("config/entity_registry/remove", entity_id="light.demo_light_1")
    assert provided["code"] == "invalid_format"
    entries = await admin_ws.ok(
        "config/entity_registry/get_entries", entity_ids=["light.demo_light_2", "light.nothing"]
    )
    assert entries["light.nothing"] is None
    assert entries["light.demo_light_2"]["entity_id"] == "light.demo_light_2"


async def test_areas_floors_and_labels(admin_ws: WsClient, user_ws: WsClient) -> None:
    events = await user_ws.send("subscribe_events", event_type="area_registry_updated")
    assert (await user_ws.result(events))["success"]
    denied = await user_ws.error("config/area_registry/create", name="Attic")
    assert denied["code"] == "unauthorized"
    floor = await admin_ws.ok("config/floor_registry/create", name="Top floor", level=2)
    label = await admin_ws.ok("config/label_registry/create", name="Cosy", color="red")
    area = await admin_ws.ok(
        "config/area_registry/create",
        name="Attic",
        floor_id=floor["floor_id"],
        labels=[label["label_id"]],
        icon="mdi:home-roof",
    )
    assert area["area_id"] == "attic"
    assert (await user_ws.event(events))["data"] == {"action": "create", "area_id": "attic"}
    assert set(area) >= {"aliases", "picture", "created_at", "modified_at", "humidity_entity_id"}
    taken = await admin_ws.error("config/area_registry/create", name="ATTIC")
    assert taken["code"] == "conflict"
    bad_floor = await admin_ws.error("config/area_registry/create", name="X", floor_id="none")
    assert bad_floor["code"] == "not_found"
    renamed = await admin_ws.ok("config/area_registry/update", area_id="attic", name="Loft")
    assert (renamed["area_id"], renamed["name"], renamed["icon"]) == (
        "attic",
        "Loft",
        "mdi:home-roof",
    )
    await admin_ws.ok(
        "config/entity_registry/update", entity_id="light.demo_light_3", area_id="attic"
    )
    assert await admin_ws.ok("config/area_registry/delete", area_id="attic") == "success"
    entry = await admin_ws.ok("config/entity_registry/get", entity_id="light.demo_light_3")
    assert entry["area_id"] is None
    assert await user_ws.ok("config/area_registry/list") == []
    assert (await admin_ws.error("config/area_registry/delete", area_id="attic"))["code"] == (
        "not_found"
    )
    empty = await admin_ws.error("config/area_registry/create", name="   ")
    assert empty["code"] == "invalid_format"
    await admin_ws.ok("config/floor_registry/delete", floor_id=floor["floor_id"])
    await admin_ws.ok("config/label_registry/delete", label_id=label["label_id"])
    assert await user_ws.ok("config/floor_registry/list") == []
