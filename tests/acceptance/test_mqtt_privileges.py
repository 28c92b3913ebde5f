"""MQTT from a hub that gave root up (issues 13 and 17): mutual TLS with files only root reads.

The hub is started as root with `--user`, from a checkout its user cannot enter. The CA file,
client certificate and key lie in a directory only root may open: the hub reads them at
set-up, before the switch, and must still connect after it, also again after the broker
restarted (an implementation that read them per connection fails right there).
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.support import RunningHub, free_port, request, write_config
from tests.acceptance.support_root import (
    TEST_USER,
    assert_unprivileged,
    closed_checkout,
    ensure_user,
)
from tests.acceptance.support_tls import wait_for
from tests.acceptance.test_privileges import start, started, stop
from tests.integrations.mqtt import payloads as p
from tests.integrations.mqtt.support import device, publish_json
from tests.mqtt_broker import HOST, HUB_PASSWORD, Z2M_PASSWORD, Z2M_USER, make_broker

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root"),
]

LAMP = "light.living_room_lamp"


def mqtt_status(hub: RunningHub) -> dict[str, Any]:
    reply = request(hub, "GET", "/api/hearth/mqtt", token=hub.token)
    assert reply.status == 200, reply.body
    status: dict[str, Any] = json.loads(reply.body)
    return status


def has_lamp(hub: RunningHub) -> bool:
    return request(hub, "GET", f"/api/states/{LAMP}", token=hub.token).status == 200


async def announce_lamp(broker: Any) -> None:
    async with device(broker, Z2M_USER, Z2M_PASSWORD) as z2m:
        await publish_json(z2m, p.Z2M_BRIDGE_STATE, {"state": "online"})
        await publish_json(z2m, p.LAMP_DISCOVERY, p.z2m_lamp())
        await publish_json(z2m, p.LAMP_TOPIC, {"state": "ON", "brightness": 120})


def test_mutual_tls_with_root_only_files_after_the_switch(
    tmp_path: Path, hub_template: tuple[Path, str]
) -> None:
    user: pwd.struct_passwd = ensure_user(TEST_USER)
    checkout = closed_checkout(tmp_path)
    shutil.copytree(hub_template[0], checkout.config_dir)
    broker = make_broker(tmp_path / "broker", require_certificate=True)
    broker.start()
    private = checkout.root / "mqtt-tls"  # root's alone, as /etc/ssl/private would be
    private.mkdir(mode=0o700)
    shutil.copy(broker.ca_file, private / "ca.pem")
    certificate, key = broker.client_files(private)
    secrets = checkout.config_dir / "secrets.yaml"
    secrets.write_text(f"mqtt_password: {HUB_PASSWORD}\n")
    secrets.chmod(0o600)
    port = free_port()
    write_config(
        checkout.config_dir,
        port,
        "mqtt:\n"
        f"  broker: {HOST}\n"
        f"  port: {broker.port}\n"
        "  username: hearth\n"
        "  password: !secret mqtt_password\n"
        f"  ca_certificate: {private / 'ca.pem'}\n"
        f"  client_certificate: {certificate}\n"
        f"  client_key: {key}\n",
    )
    log = tmp_path / "hub.log"
    process = start(checkout.python, checkout.root, "config", log, "--user", TEST_USER,
                    env=checkout.env())  # fmt: skip
    hub = started(checkout.config_dir, port, hub_template[1], process, log)
    try:
        assert_unprivileged(process.pid, user)
        wait_for(lambda: mqtt_status(hub)["state"] == "connected", "the hub to connect")
        status = mqtt_status(hub)
        assert (status["tls"], status["client_certificate"]) == (True, True)
        asyncio.run(announce_lamp(broker))
        wait_for(lambda: has_lamp(hub), "the lamp to be discovered")

        # A new connection after the switch: the files are not read again (root's alone).
        broker.kill()
        wait_for(lambda: mqtt_status(hub)["state"] != "connected", "the hub to notice")
        broker.start()
        wait_for(lambda: mqtt_status(hub)["state"] == "connected", "the hub to reconnect")
        assert hub.log().count(": connected (TLS") == 2, hub.log()
        lamp = request(hub, "GET", f"/api/states/{LAMP}", token=hub.token)
        assert json.loads(lamp.body)["state"] == "on"  # retained state, back after the restart
        # `hearth check` sees the connection through the file the hub (now its user) rewrites.
        written = json.loads((checkout.config_dir / ".mqtt_status.json").read_bytes())
        assert (written["state"], written["pid"]) == ("connected", process.pid)
        assert os.stat(checkout.config_dir / ".mqtt_status.json").st_uid == user.pw_uid
        assert_unprivileged(process.pid, user)
    finally:
        try:
            stop(hub)
        finally:
            broker.stop()
