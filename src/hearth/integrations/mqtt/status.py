"""The MQTT connection's state, as administrators see it: the API, the log and `hearth check`.

The hub keeps it in memory and, on every change, writes it to `.mqtt_status.json` in the
configuration directory (atomically, mode 0600), so that `hearth check` run from the command
line sees the running hub's connection. It never holds a secret: no password, no payload.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import orjson

from hearth import const

MAX_STATUS_FILE: Final = 16 * 1024


class ConnectionState(StrEnum):
    """Where the connection to the broker stands."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # lost or unreachable; retrying
    AUTH_FAILED = "auth_failed"  # the broker refused the credentials; retrying slowly
    TLS_FAILED = "tls_failed"  # the certificate could not be verified; retrying
    REFUSED = "refused"  # Hearth refused to connect (clear text outside the local network)
    STOPPED = "stopped"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class MqttStatus:
    """One snapshot of the connection."""

    state: ConnectionState = ConnectionState.CONNECTING
    detail: str = ""
    broker: str = ""
    tls: bool = True
    client_certificate: bool = False
    username: str | None = None
    protocol: str | None = None  # "5" or "3.1.1" once connected
    broker_version: str | None = None  # as the broker announces it ($SYS/broker/version)
    since: str = field(default_factory=_now)
    failures: int = 0  # attempts that failed since the last successful connection
    pid: int = field(default_factory=os.getpid)

    def changed(self, state: ConnectionState, detail: str = "", **changes: Any) -> MqttStatus:
        """A new snapshot; `since` moves only when the state does."""
        since = self.since if state is self.state else _now()
        return replace(self, state=state, detail=detail, since=since, **changes)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (also the status file's content)."""
        data = asdict(self)
        data["state"] = self.state.value
        return data


def status_path(config_dir: Path) -> Path:
    """Where the hub writes its MQTT status."""
    return config_dir / const.MQTT_STATUS_FILE


def write_status(config_dir: Path, status: MqttStatus) -> None:
    """Replace the status file atomically; a failure only costs `hearth check` its view."""
    path = status_path(config_dir)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(orjson.dumps(status.as_dict()))
        os.replace(temporary, path)


def _lock_holder(config_dir: Path) -> int | None:
    try:
        text = (config_dir / const.LOCK_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and len(text) < 12 else None


def read_status(config_dir: Path) -> dict[str, Any] | None:
    """The running hub's last status, or None when no hub is running or it wrote none.

    The status counts only if the process that wrote it holds the hub's lock now: a file left
    by a hub that has stopped says nothing about the present.
    """
    path = status_path(config_dir)
    try:
        if path.stat().st_size > MAX_STATUS_FILE:
            return None
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    holder = _lock_holder(config_dir)
    if holder is None or data.get("pid") != holder:
        return None
    return data
