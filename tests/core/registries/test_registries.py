"""The registries: persisted through the store, references cleared, events fired."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hearth.core.events import Event, EventBus
from hearth.core.registries import Registration, Registries, RegistryStore
from hearth.exceptions import BadRequest, Conflict, NotFound, Unavailable
from hearth.storage import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "hearth.db")
    yield database
    database.close()


def reopen(db: Database) -> Registries:
    return Registries(EventBus(), RegistryStore(db))


def lamp() -> Registration:
    return Registration("light.lamp", "demo", "lamp-1", "Lamp")


async def test_everything_survives_a_restart(db: Database) -> None:
    registries = reopen(db)
    await registries.entities.register([lamp()])
    floor = await registries.floors.create("Ground floor", {"level": 0})
    label = await registries.labels.create("Cosy", {"color": "red"})
    area = await registries.areas.create("Living room", {"floor_id": floor["floor_id"]})
    await registries.entities.update(
        "light.lamp",
        {
            "name": "Reading lamp",
            "icon": "mdi:lamp",
            "area_id": area["area_id"],
            "labels": ["cosy"],
        },
    )

    again = reopen(db)
    entry = again.entities.get("light.lamp")
    assert entry["name"] == "Reading lamp"
    assert entry["area_id"] == "living_room"
    assert entry["labels"] == ["cosy"]
    assert entry["original_name"] == "Lamp"
    assert again.areas.get("living_room")["floor_id"] == "ground_floor"
    assert again.labels.get(label["label_id"])["color"] == "red"
    assert again.floors.get("ground_floor")["level"] == 0


async def test_registering_again_keeps_what_people_chose(db: Database) -> None:
    registries = reopen(db)
    await registries.entities.register([lamp()])
    await registries.entities.update("light.lamp", {"name": "Mine"})
    await registries.entities.register([Registration("light.lamp", "demo", "lamp-1", "Lamp v2")])
    entry = reopen(db).entities.get("light.lamp")
    assert entry["name"] == "Mine"
    assert entry["original_name"] == "Lamp v2"


async def test_overrides_are_applied_to_attributes() -> None:
    registries = Registries(EventBus())
    await registries.entities.register([lamp()])
    attributes = {"friendly_name": "Lamp"}
    assert registries.entities.apply("light.lamp", dict(attributes)) == attributes
    await registries.entities.update("light.lamp", {"name": "Reading lamp", "icon": "mdi:lamp"})
    assert registries.entities.apply("light.lamp", dict(attributes)) == {
        "friendly_name": "Reading lamp",
        "icon": "mdi:lamp",
    }
    assert registries.entities.apply("light.unknown", {"a": 1}) == {"a": 1}


async def test_an_update_rewrites_the_state_and_fires_an_event() -> None:
    bus = EventBus()
    events: list[Event] = []
    bus.listen("entity_registry_updated", events.append)
    registries = Registries(bus)
    await registries.entities.register([lamp()])
    rewrites: list[str] = []
    registries.entities.track("light.lamp", lambda: rewrites.append("x"))
    await registries.entities.update("light.lamp", {"name": "New"})
    await registries.entities.update("light.lamp", {"name": "New"})  # no change, nothing fired
    assert rewrites == ["x"]
    assert [dict(event.data) for event in events] == [
        {"action": "create", "entity_id": "light.lamp"},
        {"action": "update", "entity_id": "light.lamp", "changes": {"name": None}},
    ]


async def test_removing_an_area_clears_it_everywhere(db: Database) -> None:
    registries = reopen(db)
    await registries.entities.register([lamp()])
    area = await registries.areas.create("Attic", {})
    await registries.entities.update("light.lamp", {"area_id": area["area_id"]})
    await registries.areas.delete("attic")
    assert registries.entities.get("light.lamp")["area_id"] is None
    again = reopen(db)
    assert again.entities.get("light.lamp")["area_id"] is None
    assert again.areas.as_list() == []


async def test_removing_a_floor_or_label_clears_references(db: Database) -> None:
    registries = reopen(db)
    await registries.entities.register([lamp()])
    await registries.floors.create("Top", {})
    await registries.labels.create("Cosy", {})
    await registries.areas.create("Attic", {"floor_id": "top", "labels": ["cosy"]})
    await registries.entities.update("light.lamp", {"labels": ["cosy"]})
    await registries.floors.delete("top")
    await registries.labels.delete("cosy")
    for view in (registries, reopen(db)):
        assert view.areas.get("attic")["floor_id"] is None
        assert view.areas.get("attic")["labels"] == []
        assert view.entities.get("light.lamp")["labels"] == []


async def test_names_are_unique_ignoring_case_and_ids_do_not_collide() -> None:
    registries = Registries(EventBus())
    first = await registries.areas.create("Living room", {})
    with pytest.raises(Conflict):
        await registries.areas.create("LIVING ROOM", {})
    second = await registries.areas.create("Living-room!", {})
    assert (first["area_id"], second["area_id"]) == ("living_room", "living_room_2")
    with pytest.raises(Conflict):
        await registries.areas.update("living_room_2", {"name": "living room"})
    unnamed = await registries.areas.create("日本", {})
    assert unnamed["area_id"]  # a random id when nothing of the name is a slug


async def test_limits_and_refusals() -> None:
    registries = Registries(EventBus())
    await registries.entities.register([lamp()])
    with pytest.raises(NotFound):
        await registries.entities.update("light.lamp", {"area_id": "nowhere"})
    with pytest.raises(NotFound):
        await registries.entities.update("light.lamp", {"labels": ["nothing"]})
    with pytest.raises(BadRequest):
        await registries.entities.update("light.lamp", {"platform": "evil"})
    with pytest.raises(BadRequest):
        await registries.entities.update("light.lamp", {"hidden_by": "integration"})
    with pytest.raises(BadRequest):
        await registries.entities.remove("light.lamp", provided=True)
    await registries.entities.remove("light.lamp", provided=False)
    with pytest.raises(NotFound):
        registries.entities.get("light.lamp")
    for number in range(registries.floors.kind.max_items):
        await registries.floors.create(f"Floor {number}", {})
    with pytest.raises(Unavailable):
        await registries.floors.create("One too many", {})


async def test_a_failed_write_changes_nothing_in_memory(db: Database) -> None:
    registries = reopen(db)
    await registries.areas.create("Attic", {})

    class Broken(RegistryStore):
        async def write(self, changes: Any) -> None:
            raise OSError("disk full")

    broken = Registries(EventBus(), Broken(db))
    with pytest.raises(OSError, match="disk full"):
        await broken.areas.create("Cellar", {})
    with pytest.raises(OSError, match="disk full"):
        await broken.areas.delete("attic")
    assert [area["name"] for area in broken.areas.as_list()] == ["Attic"]


async def test_display_list_is_compact() -> None:
    registries = Registries(EventBus())
    await registries.labels.create("Cosy", {})
    await registries.entities.register([lamp(), Registration("sensor.t", "demo", "t", "T")])
    await registries.entities.update(
        "light.lamp", {"name": "N", "hidden_by": "user", "labels": ["cosy"]}
    )
    shown = registries.entities.display_list()
    assert shown["entity_categories"] == {0: "config", 1: "diagnostic"}
    assert shown["entities"] == [
        {"ei": "light.lamp", "pl": "demo", "en": "N", "lb": ["cosy"], "hb": True},
        {"ei": "sensor.t", "pl": "demo", "lb": []},
    ]
