"""The service registry: named actions with pydantic-validated data."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from hearth.core.context import Context
from hearth.core.events import EVENT_CALL_SERVICE, EventBus
from hearth.core.payload import check_payload
from hearth.core.state import valid_domain, valid_slug
from hearth.core.validation import describe_validation_error
from hearth.exceptions import ServiceNotFound, ServiceValidationError

M = TypeVar("M", bound=BaseModel)
_MAX_NAME = 64


@dataclass(slots=True)
class ServiceCall:
    """One call of a service, with validated data (and the validated model, if any)."""

    domain: str
    service: str
    data: dict[str, Any]
    context: Context = field(default_factory=Context)
    model: BaseModel | None = None

    def parsed(self, model_type: type[M]) -> M:
        """The validated data as `model_type` (the schema the service was registered with)."""
        if isinstance(self.model, model_type):
            return self.model
        return model_type.model_validate(self.data)


ServiceHandler = Callable[[ServiceCall], Awaitable[None] | None]
# Runs before call_service is fired: raises ServiceValidationError to refuse the call (for
# example a target that names unknown entities), so a refused call fires nothing.
ServiceCheck = Callable[[ServiceCall], None]


@dataclass(frozen=True, slots=True)
class Service:
    """A registered service."""

    domain: str
    service: str
    handler: ServiceHandler
    schema: type[BaseModel] | None
    name: str
    description: str
    fields: dict[str, Any]
    target: dict[str, Any] | None
    check: ServiceCheck | None = None

    def as_dict(self) -> dict[str, Any]:
        """The Home Assistant description shape."""
        described: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "fields": self.fields,
        }
        if self.target is not None:
            described["target"] = self.target
        return described


def _fields_from_schema(schema: type[BaseModel] | None) -> dict[str, Any]:
    if schema is None:
        return {}
    return {
        name: {
            "name": info.title or name.replace("_", " ").capitalize(),
            "description": info.description or "",
            "required": info.is_required(),
        }
        for name, info in schema.model_fields.items()
        if name != "entity_id"  # described by `target`, as Home Assistant does
    }


def _shown(name: str) -> str:
    """A name safe to put in an error message."""
    return name if len(name) <= _MAX_NAME and valid_slug(name) else "<invalid>"


class ServiceRegistry:
    """Services by domain; calling one validates its data, fires call_service, runs the handler."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._services: dict[str, dict[str, Service]] = {}

    def register(
        self,
        domain: str,
        service: str,
        handler: ServiceHandler,
        schema: type[BaseModel] | None = None,
        description: str = "",
        fields: dict[str, Any] | None = None,
        *,
        name: str | None = None,
        target: dict[str, Any] | None = None,
        check: ServiceCheck | None = None,
    ) -> None:
        """Register (or replace) `domain.service`; `fields` default to a summary of `schema`.

        `check` validates what the schema cannot (that targeted entities exist) before the call
        is announced with call_service.
        """
        if not valid_domain(domain) or len(domain) > _MAX_NAME:
            raise ValueError(f"invalid domain {domain!r}")
        if not valid_slug(service) or len(service) > _MAX_NAME:
            raise ValueError(f"invalid service name {service!r}")
        self._services.setdefault(domain, {})[service] = Service(
            domain=domain,
            service=service,
            handler=handler,
            schema=schema,
            name=name or service.replace("_", " ").capitalize(),
            description=description,
            fields=fields if fields is not None else _fields_from_schema(schema),
            target=target,
            check=check,
        )

    def remove(self, domain: str, service: str) -> bool:
        """Unregister a service; False if it was not registered."""
        services = self._services.get(domain)
        if services is None or services.pop(service, None) is None:
            return False
        if not services:
            del self._services[domain]
        return True

    def has(self, domain: str, service: str) -> bool:
        """Whether `domain.service` is registered."""
        return service in self._services.get(domain, {})

    def get(self, domain: str, service: str) -> Service | None:
        """The registered service, or None."""
        return self._services.get(domain, {}).get(service)

    def domains(self) -> list[str]:
        """Domains with at least one service."""
        return list(self._services)

    def as_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{domain: {service: description}}."""
        return {
            domain: {name: service.as_dict() for name, service in services.items()}
            for domain, services in self._services.items()
        }

    def as_list(self) -> list[dict[str, Any]]:
        """The /api/services shape: [{"domain": ..., "services": {...}}]."""
        return [
            {"domain": domain, "services": services} for domain, services in self.as_dict().items()
        ]

    def _lookup(self, domain: str, service: str) -> Service:
        found = self.get(domain, service)
        if found is None and len(domain) <= _MAX_NAME and len(service) <= _MAX_NAME:
            found = self.get(domain.lower(), service.lower())
        if found is None:
            raise ServiceNotFound(_shown(domain), _shown(service))
        return found

    async def call(
        self,
        domain: str,
        service: str,
        data: Mapping[str, Any] | None = None,
        *,
        context: Context | None = None,
    ) -> None:
        """Validate `data`, fire call_service, then run the handler (awaiting it if async).

        Raises ServiceNotFound, InvalidPayload (data too deep or too large) or
        ServiceValidationError (a one-line message naming the field). A call refused by any of
        these fires nothing: call_service announces only calls that are about to run.
        """
        registered = self._lookup(domain, service)
        if data is None:
            data = {}
        elif not isinstance(data, Mapping):
            raise ServiceValidationError("Service data must be an object.")
        check_payload(data, "service data")
        raw = dict(data)
        context = context or Context()
        model: BaseModel | None = None
        if registered.schema is None:
            call_data = raw
        else:
            try:
                model = registered.schema.model_validate(raw)
            except ValidationError as err:
                message = describe_validation_error(registered.schema, err)
                raise ServiceValidationError(message) from None
            call_data = model.model_dump(exclude_unset=True)
        call = ServiceCall(registered.domain, registered.service, call_data, context, model)
        if registered.check is not None:
            registered.check(call)
        self._bus.fire(
            EVENT_CALL_SERVICE,
            {"domain": registered.domain, "service": registered.service, "service_data": raw},
            context=context,
        )
        result = registered.handler(call)
        if inspect.isawaitable(result):
            await result
