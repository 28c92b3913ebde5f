"""The hub: event bus, state machine and service registry, with a tracked task group."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Literal, TypeVar

from hearth.const import HA_COMPAT_VERSION, SHUTDOWN_TIMEOUT
from hearth.core.context import Context
from hearth.core.events import EVENT_HUB_START, EVENT_HUB_STOP, EVENT_STATE_CHANGED, Event, EventBus
from hearth.core.registries import Registries
from hearth.core.services import ServiceRegistry
from hearth.core.state import State
from hearth.core.states import StateMachine
from hearth.integrations.component import EntityComponents

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

UNIT_SYSTEMS: Final[dict[str, dict[str, str]]] = {
    "metric": {
        "length": "km",
        "accumulated_precipitation": "mm",
        "area": "m²",
        "mass": "g",
        "pressure": "Pa",
        "temperature": "°C",
        "volume": "L",
        "wind_speed": "m/s",
    },
    "us_customary": {
        "length": "mi",
        "accumulated_precipitation": "in",
        "area": "ft²",
        "mass": "lb",
        "pressure": "psi",
        "temperature": "°F",
        "volume": "gal",
        "wind_speed": "mph",
    },
}


class CoreState(StrEnum):
    """Lifecycle of the hub, with Home Assistant's values."""

    not_running = "NOT_RUNNING"
    starting = "STARTING"
    running = "RUNNING"
    stopping = "STOPPING"


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Core settings (the `homeassistant:` section); field names match CoreSection."""

    name: str = "Home"
    latitude: float = 0.0
    longitude: float = 0.0
    elevation: int = 0
    time_zone: str = "UTC"
    unit_system: Literal["metric", "us_customary"] = "metric"

    def as_dict(self, components: Iterable[str], state: CoreState | str) -> dict[str, Any]:
        """The /api/config shape. Deliberately without config_dir: no filesystem paths leak."""
        return {
            "latitude": self.latitude,
            "longitude": self.longitude,
            "elevation": self.elevation,
            "radius": 100,
            "unit_system": dict(UNIT_SYSTEMS[self.unit_system]),
            "location_name": self.name,
            "time_zone": self.time_zone,
            "components": sorted(components),
            "version": HA_COMPAT_VERSION,
            "config_source": "yaml",
            "safe_mode": False,
            "recovery_mode": False,
            "state": str(state),
            "external_url": None,
            "internal_url": None,
            "currency": "EUR",
            "country": None,
            "language": "en",
            "debug": False,
            "allowlist_external_dirs": [],
            "allowlist_external_urls": [],
            "whitelist_external_dirs": [],
        }


class Hub:
    """The running hub. Background work goes through create_task so stop() can end it."""

    def __init__(self, config: HubConfig | None = None) -> None:
        self.config = config or HubConfig()
        self.bus = EventBus()
        self.states = StateMachine(self.bus)
        self.services = ServiceRegistry(self.bus)
        # In memory until bootstrap replaces them with registries kept in the database.
        self.registries = Registries(self.bus)
        # The entities integrations provide, by domain, and the domains' services.
        self.entity_components = EntityComponents(self)
        self.components: set[str] = set()
        # Per integration, a function giving its state for administrators (GET /api/hearth/mqtt).
        self.diagnostics: dict[str, Callable[[], dict[str, Any]]] = {}
        self.state = CoreState.not_running
        self._tasks: set[asyncio.Task[Any]] = set()

    def config_dict(self) -> dict[str, Any]:
        """The /api/config response for the current hub."""
        return self.config.as_dict(self.components, self.state)

    def create_task(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run `coro` in the background; stop() cancels it and waits for it.

        A task that calls stop() itself is not waited for.
        """
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            _LOGGER.error("Task %s failed", task.get_name(), exc_info=error)

    async def call_service(
        self, domain: str, service: str, data: dict[str, Any], context: Context
    ) -> list[State]:
        """Call a service; the states it changed (its context, or contexts derived from it),
        each as it was last set during the call, as Home Assistant's REST API answers."""
        changed: dict[str, State] = {}

        def collect(event: Event) -> None:
            if context.id not in (event.context.id, event.context.parent_id):
                return
            new_state = event.data.get("new_state")
            if new_state is None:
                changed.pop(event.data["entity_id"], None)
            else:
                changed[new_state.entity_id] = new_state

        unsubscribe = self.bus.listen(EVENT_STATE_CHANGED, collect)
        try:
            await self.services.call(domain, service, data, context=context)
        finally:
            unsubscribe()
        return list(changed.values())

    @property
    def task_count(self) -> int:
        """Background tasks still running."""
        return len(self._tasks)

    async def start(self) -> None:
        """Start the hub: fires homeassistant_start and moves to RUNNING."""
        if self.state is not CoreState.not_running:
            return
        self.state = CoreState.starting
        self.bus.fire(EVENT_HUB_START)
        self.state = CoreState.running

    async def stop(self) -> None:
        """Stop the hub: fires homeassistant_stop, cancels background tasks and awaits them."""
        if self.state is CoreState.stopping:
            return
        self.state = CoreState.stopping
        try:
            self.bus.fire(EVENT_HUB_STOP)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + SHUTDOWN_TIMEOUT
            current = asyncio.current_task()
            # Loop: a task being cancelled may still start another one.
            while pending := self._tasks - {current}:
                for task in pending:
                    task.cancel()
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                _, still = await asyncio.wait(pending, timeout=remaining)
                if still:
                    names = ", ".join(sorted(task.get_name() for task in still))
                    _LOGGER.warning("Tasks did not stop in time: %s", names)
                    break
        finally:
            self.state = CoreState.not_running
