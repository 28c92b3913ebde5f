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


def test_everything_survives_a_restart(db: Database) -> None:
    registries = reopen(db)
    registries.entities.register([lamp()])
    floor = registries.floors.create("Ground floor", {"level": 0})
    label = registries.labels.create("Cosy", {"color": "red"})
    area = registries.areas.create("Living room", {"floor_id": floor["floor_id"]})
    registries.entities.update(
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


def test_registering_again_keeps_what_people_chose(db: Database) -> None:
    registries = reopen(db)
    registries.entities.register([lamp()])
    registries.entities.update("light.lamp", {"name": "Mine"})
    registries.entities.register([Registration("light.lamp", "demo", "lamp-1", "Lamp v2")])
    entry = reopen(db).entities.get("light.lamp")
    assert entry["name"] == "Mine"
    assert entry["original_name"] == "Lamp v2"


def test_overrides_are_applied_to_attributes() -> None:
    registries = Registries(EventBus())
    registries.entities.register([lamp()])
    attributes = {"friendly_name": "Lamp"}
    assert registries.entities.apply("light.lamp", dict(attributes)) == attributes
    registries.entities.update("light.lamp", {"name": "Reading lamp", "icon": "mdi:lamp"})
    assert registries.entities.apply("light.lamp", dict(attributes)) == {
        "friendly_name": "Reading lamp",
        "icon": "mdi:lamp",
    }
    assert registries.entities.apply("light.unknown", {"a": 1}) == {"a": 1}


def test_an_update_rewrites_the_state_and_fires_an_event() -> None:
    bus = EventBus()
    events: list[Event] = []
    bus.listen("entity_registry_updated", events.append)
    registries = Registries(bus)
    registries.entities.register([lamp()])
    rewrites: list[str] = []
    registries.entities.track("light.lamp", lambda: rewrites.append("x"))
    registries.entities.update("light.lamp", {"name": "New"})
    registries.entities.update("light.lamp", {"name": "New"})  # no change, nothing fired
    assert rewrites == ["x"]
    assert [dict(event.data) for event in events] == [
        {"action": "create", "entity_id": "light.lamp"},
        {"action": "update", "entity_id": "light.lamp", "changes": {"name": None}},
    ]


def test_removing_an_area_clears_it_everywhere(db: Database) -> None:
    registries = reopen(db)
    registries.entities.register([lamp()])
    area = registries.areas.create("Attic", {})
    registries.entities.update("light.lamp", {"area_id": area["area_id"]})
    registries.areas.delete("attic")
    assert registries.entities.get("light.lamp")["area_id"] is None
    again = reopen(db)
    assert again.entities.get("light.lamp")["area_id"] is None
    assert again.areas.as_list() == []


def test_removing_a_floor_or_label_clears_references(db: Database) -> None:
    registries = reopen(db)
    registries.entities.register([lamp()])
    registries.floors.create("Top", {})
    registries.labels.create("Cosy", {})
    registries.areas.create("Attic", {"floor_id": "top", "labels": ["cosy"]})
    registries.entities.update("light.lamp", {"labels": ["cosy"]})
    registries.floors.delete("top")
    registries.labels.delete("cosy")
    for view in (registries, reopen(db)):
        assert view.areas.get("attic")["floor_id"] is None
        assert view.areas.get("attic")["labels"] == []
        assert view.entities.get("light.lamp")["labels"] == []


def test_names_are_unique_ignoring_case_and_ids_do_not_collide() -> None:
    registries = Registries(EventBus())
    first = registries.areas.create("Living room", {})
    with pytest.raises(Conflict):
        registries.areas.create("LIVING ROOM", {})
    second = registries.areas.create("Living-room!", {})
    assert (first["area_id"], second["area_id"]) == ("living_room", "living_room_2")
    with pytest.raises(Conflict):
        registries.areas.update("living_room_2", {"name": "living room"})
    unnamed = registries.areas.create("日本", {})
    assert unnamed["area_id"]  # a random id when nothing of the name is a slug


def test_limits_and_refusals() -> None:
    registries = Registries(EventBus())
    registries.entities.register([lamp()])
    with pytest.raises(NotFound):
        registries.entities.update("light.lamp", {"area_id": "nowhere"})
    with pytest.raises(NotFound):
        registries.entities.update("light.lamp", {"labels": ["nothing"]})
    with pytest.raises(BadRequest):
        registries.entities.update("light.lamp", {"platform": "evil"})
    with pytest.raises(BadRequest):
        registries.entities.update("light.lamp", {"hidden_by": "integration"})
    with pytest.raises(BadRequest):
        registries.entities.remove("light.lamp", provided=True)
    registries.entities.remove("light.lamp", provided=False)
    with pytest.raises(NotFound):
        registries.entities.get("light.lamp")
    for number in range(registries.floors.kind.max_items):
        registries.floors.create(f"Floor {number}", {})
    with pytest.raises(Unavailable):
        registries.floors.create("One too many", {})


def test_a_failed_write_changes_nothing_in_memory(db: Database) -> None:
    registries = reopen(db)
    registries.areas.create("Attic", {})

    class Broken(RegistryStore):
        def write(self, changes: Any) -> None:
            raise OSError("disk full")

    broken = Registries(EventBus(), Broken(db))
    with pytest.raises(OSError, match="disk full"):
        broken.areas.create("Cellar", {})
    with pytest.raises(OSError, match="disk full"):
        broken.areas.delete("attic")
    assert [area["name"] for area in broken.areas.as_list()] == ["Attic"]


def test_display_list_is_compact() -> None:
    registries = Registries(EventBus())
    registries.labels.create("Cosy", {})
    registries.entities.register([lamp(), Registration("sensor.t", "demo", "t", "T")])
    registries.entities.update("light.lamp", {"name": "N", "hidden_by": "user", "labels": ["cosy"]})
    shown = registries.entities.display_list()
    assert shown["entity_categories"] == {0: "config", 1: "diagnostic"}
    assert shown["entities"] == [
        {"ei": "light.lamp", "pl": "demo", "en": "N", "lb": ["cosy"], "hb": True},
        {"ei": "sensor.t", "pl": "demo", "lb": []},
    ]
