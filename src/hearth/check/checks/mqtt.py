"""`mqtt`: the broker connection is encrypted and authenticated, and the hub is connected.

The settings are read from the configuration; the connection's state from the running hub
(`.mqtt_status.json`, written by the hub that holds the configuration directory's lock). A
literal `password:` is reported by `secrets.literal`, like every other secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_address
from typing import Any, Final

from hearth.check.context import CheckContext
from hearth.check.model import Check, Finding, Rule, Severity
from hearth.http.network import is_local

_SEED: Final = (
    "Issue 17: a broker without TLS or credentials lets any device on the network switch the locks"
)
_LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.", "ip6-localhost"})

PLAINTEXT_REMOTE = Rule(
    "mqtt.plaintext_remote",
    Severity.FAIL,
    "MQTT without TLS to a broker outside the local network",
    _SEED + "; the hub refuses to start with this setting",
    "Set `tls: true` and `port: 8883` in `mqtt:` and give the broker a certificate (docs/mqtt.md)",
    critical=True,
)
NO_TLS = Rule(
    "mqtt.no_tls",
    Severity.WARN,
    "MQTT without TLS",
    _SEED + "; without TLS the password and every command cross the network in clear text",
    "Set `tls: true` and `port: 8883` in `mqtt:` and give the broker a certificate (docs/mqtt.md)",
)
NO_CREDENTIALS = Rule(
    "mqtt.no_credentials",
    Severity.WARN,
    "The hub connects to MQTT without a username and password",
    _SEED + "; a broker that takes anonymous clients takes them from anyone",
    "Give the hub its own user in the broker's password file, set `username:` and "
    "`password: !secret mqtt_password`, and set `allow_anonymous false` (docs/mqtt.md)",
)
AUTH_FAILED = Rule(
    "mqtt.auth_failed",
    Severity.FAIL,
    "The broker refuses the hub's credentials",
    "The hub cannot see or control any MQTT device until this is fixed",
    "Check `username` and `password` in `mqtt:` against the broker's password file "
    "(`mosquitto_passwd`); the hub retries by itself",
)
TLS_FAILED = Rule(
    "mqtt.tls_failed",
    Severity.FAIL,
    "The broker's certificate cannot be verified",
    "Certificates are always verified: a broker that cannot prove its name could be anyone",
    "Set `ca_certificate` to the CA that signed the broker's certificate, and make sure the "
    "certificate names the broker as written in `broker:`",
)
UNREACHABLE = Rule(
    "mqtt.unreachable",
    Severity.WARN,
    "The hub cannot reach the MQTT broker",
    "While the broker is gone, every MQTT entity is unavailable",
    "Check that the broker runs and listens on the configured `broker` and `port`; the hub "
    "retries by itself",
)
CONNECTED = Rule(
    "mqtt.connected",
    Severity.INFO,
    "The hub is connected to the MQTT broker",
    "Admin visibility: what the hub's MQTT connection uses",
    "Nothing to do",
)
NO_STATE = Rule(
    "mqtt.no_state",
    Severity.INFO,
    "The running hub has not reported an MQTT connection",
    "Admin visibility: the connection can only be seen while the hub runs",
    "Start the hub (`hearth run`), then run `hearth check` again",
)


def _loopback(broker: str) -> bool:
    """Traffic to this broker never leaves the machine."""
    if broker.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ip_address(broker).is_loopback
    except ValueError:
        return False


def _outside(broker: str, local_networks: list[str]) -> bool:
    """An address outside the local networks (a name is resolved and checked by the hub)."""
    try:
        address = ip_address(broker)
    except ValueError:
        return False
    return not is_local(address, local_networks)


def static_findings(mqtt: Any, local_networks: list[str]) -> Iterator[Finding]:
    """What the `mqtt:` settings alone say (pure: the table tests call it)."""
    where = f"mqtt: broker {mqtt.broker}, port {mqtt.port}"
    if not mqtt.tls and not _loopback(mqtt.broker):
        if _outside(mqtt.broker, local_networks):
            yield PLAINTEXT_REMOTE.found(where)
        else:
            yield NO_TLS.found(where)
    if mqtt.username is None:
        yield NO_CREDENTIALS.found(where)


def status_findings(status: dict[str, Any] | None) -> Iterator[Finding]:
    """What the running hub says about its connection."""
    if status is None:
        yield NO_STATE.found("no status from a running hub (stopped, or still connecting)")
        return
    state = status.get("state")
    detail = str(status.get("detail") or "")[:300]
    broker = str(status.get("broker", ""))[:300]
    if state == "auth_failed":
        yield AUTH_FAILED.found(f"{broker}: {detail}")
    elif state in ("tls_failed", "refused"):
        yield TLS_FAILED.found(f"{broker}: {detail}")
    elif state == "connected":
        parts = [
            "TLS" if status.get("tls") else "no TLS",
            "client certificate" if status.get("client_certificate") else "",
            f"user {status['username']}" if status.get("username") else "anonymous",
            f"MQTT {status.get('protocol')}" if status.get("protocol") else "",
            f"broker {status['broker_version']}" if status.get("broker_version") else "",
        ]
        yield CONNECTED.found(f"{broker}: " + ", ".join(part for part in parts if part))
    elif status.get("failures"):
        yield UNREACHABLE.found(f"{broker}: {detail} (since {status.get('since')})")


def run(ctx: CheckContext) -> Iterator[Finding]:
    """The settings, then the running hub's connection."""
    from hearth.integrations.mqtt.status import read_status

    mqtt = ctx.config.mqtt
    if mqtt is None:
        return  # nothing connects to a broker: nothing to weaken

    yield from static_findings(mqtt, list(ctx.config.http.local_networks))
    yield from status_findings(read_status(ctx.config_dir))


CHECK = Check(
    "mqtt",
    "MQTT broker connection",
    (PLAINTEXT_REMOTE, NO_TLS, NO_CREDENTIALS, AUTH_FAILED, TLS_FAILED, UNREACHABLE, CONNECTED,
     NO_STATE),
    run,
)  # fmt: skip
