"""The WebSocket commands, one module per family, joined into the table the connection serves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hearth.websocket.commands import (
    areas,
    audit,
    auth,
    ban,
    check,
    core,
    frontend,
    history,
    logbook,
    lovelace,
    mfa,
    mqtt,
    my_security,
    passkeys,
    placeholders,
    recorder,
    registries,
    security_users,
    sessions,
    signins,
    subscribe,
    users,
)
from hearth.websocket.spec import CommandSpec, build_table

COMMANDS: Final[Mapping[str, CommandSpec[Any]]] = placeholders.with_fallbacks(
    build_table(
        core.COMMANDS,
        subscribe.COMMANDS,
        auth.COMMANDS,
        mfa.COMMANDS,
        passkeys.COMMANDS,
        audit.COMMANDS,
        ban.COMMANDS,
        users.COMMANDS,
        frontend.COMMANDS,
        registries.COMMANDS,
        areas.COMMANDS,
        lovelace.COMMANDS,
        check.COMMANDS,
        mqtt.COMMANDS,
        history.COMMANDS,
        logbook.COMMANDS,
        recorder.COMMANDS,
        sessions.COMMANDS,
        security_users.COMMANDS,
        my_security.COMMANDS,
        signins.COMMANDS,
    )
)

__all__ = ["COMMANDS"]
