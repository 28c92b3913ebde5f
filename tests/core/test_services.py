"""Tests for hearth.core.services."""

from __future__ import annotations

import asyncio
from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, Field

from hearth.core.context import Context
from hearth.core.events import EVENT_CALL_SERVICE, Event, EventBus
from hearth.core.services import ServiceCall, ServiceRegistry
from hearth.exceptions import InvalidPayload, ServiceNotFound, ServiceValidationError


class DimData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Annotated[int, Field(ge=0, le=255, json_schema_extra={"expected": "an integer 0..255"})]
    note: str = Field("", max_length=10, description="A note.")


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def registry(bus: EventBus) -> ServiceRegistry:
    return ServiceRegistry(bus)


@pytest.fixture
def calls(registry: ServiceRegistry) -> list[ServiceCall]:
    seen: list[ServiceCall] = []
    registry.register("test", "dim", seen.append, DimData, "Dim things.")
    return seen


async def test_call_runs_sync_handler_with_validated_data(
    registry: ServiceRegistry, calls: list[ServiceCall]
) -> None:
    context = Context(user_id="u")
    await registry.call("test", "dim", {"level": "7"}, context=context)
    assert len(calls) == 1
    call = calls[0]
    assert (call.domain, call.service, call.data) == ("test", "dim", {"level": 7})
    assert call.context is context
    assert call.parsed(DimData).level == 7


async def test_call_awaits_async_handler(registry: ServiceRegistry) -> None:
    done = asyncio.Event()

    async def handler(call: ServiceCall) -> None:
        await asyncio.sleep(0)
        done.set()

    registry.register("test", "later", handler)
    await registry.call("test", "later")
    assert done.is_set()


async def test_call_service_event_fired_before_handler(
    bus: EventBus, registry: ServiceRegistry
) -> None:
    order: list[str] = []
    events: list[Event] = []

    def listener(event: Event) -> None:
        order.append("event")
        events.append(event)

    bus.listen(EVENT_CALL_SERVICE, listener)
    registry.register("test", "go", lambda call: order.append("handler"))
    context = Context()
    await registry.call("test", "go", {"x": 1}, context=context)
    assert order == ["event", "handler"]
    assert events[0].data == {"domain": "test", "service": "go", "service_data": {"x": 1}}
    assert events[0].context is context


@pytest.mark.parametrize(
    ("domain", "service"), [("test", "nope"), ("nope", "dim"), ("x" * 10_000, "y" * 10_000)]
)
async def test_unknown_service(
    registry: ServiceRegistry, calls: list[ServiceCall], domain: str, service: str
) -> None:
    with pytest.raises(ServiceNotFound) as caught:
        await registry.call(domain, service)
    assert len(caught.value.message) < 100
    assert calls == []


async def test_lookup_is_case_insensitive(
    registry: ServiceRegistry, calls: list[ServiceCall]
) -> None:
    await registry.call("Test", "DIM", {"level": 1})
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"level": 256}, "level: expected an integer 0..255"),
        ({"level": "bright"}, "level: expected an integer 0..255"),
        ({}, "level: required"),
        ({"level": 1, "colour": "red"}, "unknown field 'colour' (allowed: level, note)"),
        ({"level": 1, "x" * 200: 1}, "unknown field (allowed: level, note)"),
        ({"level": 1, "note": "n" * 1_000}, "note: String should have at most 10 characters"),
        ({"level": 300, "note": 5}, "level: expected an integer 0..255 (and 1 more problem)"),
    ],
)
async def test_validation_errors(
    bus: EventBus,
    registry: ServiceRegistry,
    calls: list[ServiceCall],
    data: dict[str, object],
    message: str,
) -> None:
    events: list[Event] = []
    bus.listen(EVENT_CALL_SERVICE, events.append)
    with pytest.raises(ServiceValidationError) as caught:
        await registry.call("test", "dim", data)
    assert caught.value.message == message
    assert caught.value.__cause__ is None
    assert calls == []
    assert events == []


async def test_data_must_be_a_mapping(registry: ServiceRegistry, calls: list[ServiceCall]) -> None:
    with pytest.raises(ServiceValidationError):
        await registry.call("test", "dim", ["level"])  # type: ignore[arg-type]


async def test_handler_error_propagates(registry: ServiceRegistry) -> None:
    def broken(call: ServiceCall) -> None:
        raise RuntimeError("boom")

    registry.register("test", "broken", broken)
    with pytest.raises(RuntimeError, match="boom"):
        await registry.call("test", "broken")


def test_descriptions(registry: ServiceRegistry, calls: list[ServiceCall]) -> None:
    registry.register("other", "ping", lambda call: None, target={"entity": [{}]}, name="Ping!")
    assert registry.has("test", "dim")
    assert not registry.has("test", "nope")
    assert registry.as_dict() == {
        "test": {
            "dim": {
                "name": "Dim",
                "description": "Dim things.",
                "fields": {
                    "level": {"name": "Level", "description": "", "required": True},
                    "note": {"name": "Note", "description": "A note.", "required": False},
                },
            }
        },
        "other": {
            "ping": {"name": "Ping!", "description": "", "fields": {}, "target": {"entity": [{}]}}
        },
    }
    assert registry.as_list() == [
        {"domain": domain, "services": services} for domain, services in registry.as_dict().items()
    ]


def test_remove(registry: ServiceRegistry, calls: list[ServiceCall]) -> None:
    assert registry.remove("test", "dim")
    assert not registry.remove("test", "dim")
    assert registry.domains() == []


@pytest.mark.parametrize(("domain", "service"), [("Bad", "x"), ("ok", "bad name"), ("", "x")])
def test_register_rejects_bad_names(registry: ServiceRegistry, domain: str, service: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        registry.register(domain, service, lambda call: None)


async def test_unbounded_service_data_is_refused_and_fires_nothing(
    bus: EventBus, registry: ServiceRegistry
) -> None:
    """Issue 9.1/10.1: a refused call is not broadcast, whatever its size or depth."""
    seen: list[ServiceCall] = []
    registry.register("test", "any", seen.append)  # no schema: data passes through
    events: list[Event] = []
    bus.listen(EVENT_CALL_SERVICE, events.append)
    deep: dict[str, object] = {}
    for _ in range(300):
        deep = {"a": deep}
    for data in (deep, {"entity_id": ["light.a"] * 70_000}):
        with pytest.raises(InvalidPayload, match=r"^service data: "):
            await registry.call("test", "any", data)
    assert (seen, events) == ([], [])


async def test_check_refuses_before_call_service_is_fired(
    bus: EventBus, registry: ServiceRegistry
) -> None:
    """A service's own check (unknown targets) runs before the call is announced."""
    seen: list[ServiceCall] = []
    checked: list[ServiceCall] = []

    def check(call: ServiceCall) -> None:
        checked.append(call)
        if call.data.get("level") == 0:
            raise ServiceValidationError("level: 0 is not a known level")

    registry.register("test", "checked", seen.append, DimData, check=check)
    events: list[Event] = []
    bus.listen(EVENT_CALL_SERVICE, events.append)
    with pytest.raises(ServiceValidationError, match="0 is not a known level"):
        await registry.call("test", "checked", {"level": 0})
    assert (seen, events) == ([], [])
    await registry.call("test", "checked", {"level": 1})
    assert len(events) == len(seen) == 1
    assert checked[-1] is seen[0]
