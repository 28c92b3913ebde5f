"""How commands are declared: a type, a pydantic schema for the fields, a handler."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from hearth.core.validation import describe_validation_error
from hearth.exceptions import BadRequest

if TYPE_CHECKING:
    from hearth.websocket.connection import Connection

M = TypeVar("M", bound=BaseModel)
Handler = Callable[["Connection", int, M], Awaitable[None] | None]


class Params(BaseModel):
    """Base of command schemas: unknown fields are errors, types are not coerced.

    Validators are built on a command's first use, not at start-up: most connections use a few
    of the commands, and building them all cost start-up time and memory (issue 14).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class NoParams(Params):
    """A command without fields."""


# What every command without fields receives (models are frozen: one instance serves all).
NO_PARAMS: Final = NoParams()


@dataclass(frozen=True, slots=True)
class CommandSpec(Generic[M]):
    """One command: its type, schema, handler and whether it needs an administrator."""

    msg_type: str
    schema: type[M]
    handler: Handler[M]
    admin: bool
    is_async: bool

    def validate(self, payload: dict[str, Any]) -> M:
        """The payload as the command's schema, or BadRequest naming the bad fields."""
        if not payload and self.schema is NoParams:
            # The fast path for ping, get_states, ...: nothing to validate, no pydantic.
            return NO_PARAMS  # type: ignore[return-value]
        try:
            return self.schema.model_validate(payload)
        except ValidationError as err:
            raise BadRequest(describe_validation_error(self.schema, err)) from None


def command(
    msg_type: str, schema: type[M], *, admin: bool = False
) -> Callable[[Handler[M]], CommandSpec[M]]:
    """Declare a handler for `msg_type`; coroutine handlers run as tasks, others inline."""

    def wrap(handler: Handler[M]) -> CommandSpec[M]:
        is_async = inspect.iscoroutinefunction(handler)
        return CommandSpec(msg_type, schema, handler, admin, is_async)

    return wrap


def build_table(*groups: Iterable[CommandSpec[Any]]) -> Mapping[str, CommandSpec[Any]]:
    """The command table by type; a type declared twice is a programming error."""
    table: dict[str, CommandSpec[Any]] = {}
    for group in groups:
        for spec in group:
            if spec.msg_type in table:
                raise ValueError(f"WebSocket command {spec.msg_type!r} declared twice")
            table[spec.msg_type] = spec
    return table
