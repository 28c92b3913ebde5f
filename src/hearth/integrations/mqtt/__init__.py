"""MQTT: a connection to a broker (aiomqtt) and Home Assistant's discovery on top of it.

Set up from the `mqtt:` section (hearth.config.mqtt_fields); see docs/mqtt.md.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from hearth.exceptions import ConfigError
from hearth.integrations.mqtt.client import MqttClient
from hearth.integrations.mqtt.discovery import Discovery
from hearth.integrations.mqtt.entity import DOMAIN, Runtime
from hearth.integrations.mqtt.inbound import LogLimiter
from hearth.integrations.mqtt.security import PlaintextRefused, broker_address
from hearth.integrations.mqtt.status import MqttStatus, write_status
from hearth.integrations.platform import EntityPlatform

if TYPE_CHECKING:
    from hearth.config.mqtt_fields import MqttSection
    from hearth.core.hub import Hub

_LOGGER = logging.getLogger(__name__)

__all__ = ["DOMAIN", "MqttIntegration", "async_setup"]

COMPONENTS: Final = ("mqtt",)


class MqttIntegration:
    """The running MQTT integration: client, discovery and the entities it made."""

    def __init__(
        self,
        hub: Hub,
        conf: MqttSection,
        *,
        config_dir: Path | None = None,
        local_networks: tuple[str, ...] = (),
    ) -> None:
        self.hub = hub
        self.conf = conf
        self._config_dir = config_dir
        self.client = MqttClient(conf, local_networks=local_networks, on_status=self._status)
        self.platform = EntityPlatform(hub, DOMAIN)
        self.runtime = Runtime(self.client, self.platform, LogLimiter())
        self.discovery = Discovery(self.runtime, conf.discovery_prefix)
        self.client.on_connected.append(self._write_all)
        self.client.on_disconnected.append(self._write_all)
        if conf.discovery:
            for topic in self.discovery.topics():
                self.client.subscribe(topic, self.discovery.handle)

    def _write_all(self) -> None:
        """Every entity again: available when connected, unavailable when not."""
        for entity in list(self.platform.entities.values()):
            entity.write()

    def _status(self, status: MqttStatus) -> None:
        if self._config_dir is not None:
            write_status(self._config_dir, status)

    def diagnostics(self) -> dict[str, Any]:
        """What administrators see in GET /api/hearth/mqtt and `hearth/mqtt`."""
        return {
            **self.client.status.as_dict(),
            "client_id": self.client.client_id,
            "discovery": self.conf.discovery,
            "discovery_prefix": self.conf.discovery_prefix,
            "entities": len(self.platform),
            "devices": len({e.device_id for e in self.platform.entities.values() if e.device_id}),
        }


async def check_broker(conf: MqttSection, local_networks: tuple[str, ...]) -> None:
    """ConfigError (one line, naming mqtt.broker) for clear text to a broker off the LAN."""
    if conf.tls:
        return
    try:
        await broker_address(conf, local_networks)
    except PlaintextRefused as err:
        raise ConfigError(str(err), key="mqtt.broker") from None
    except (OSError, TimeoutError):
        # Not resolvable now: every connection attempt checks again before it connects.
        _LOGGER.warning("MQTT broker %s: the name does not resolve yet", conf.broker)


async def async_setup(
    hub: Hub,
    conf: MqttSection,
    *,
    config_dir: Path | None = None,
    local_networks: tuple[str, ...] = (),
) -> MqttIntegration:
    """Refuse clear text off the local network, then connect in the background."""
    await check_broker(conf, local_networks)
    integration = MqttIntegration(hub, conf, config_dir=config_dir, local_networks=local_networks)
    hub.components.update(COMPONENTS)
    hub.diagnostics[DOMAIN] = integration.diagnostics
    hub.create_task(integration.client.run(), name="mqtt")
    await asyncio.sleep(0)
    return integration
