"""Small pure parts: colours, backoff, the status file."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from hearth import const
from hearth.integrations.mqtt import color
from hearth.integrations.mqtt.attempt import backoff
from hearth.integrations.mqtt.status import ConnectionState, MqttStatus, read_status, write_status


@pytest.mark.parametrize("rgb", [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)])
def test_xy_round_trip(rgb: tuple[int, int, int]) -> None:
    back = color.xy_to_rgb(*color.rgb_to_xy(rgb))
    assert all(abs(a - b) <= 3 for a, b in zip(back, rgb, strict=True)), back


def test_hs_round_trip() -> None:
    assert color.hs_to_rgb(*color.rgb_to_hs((255, 128, 0))) == (255, 128, 0)


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    waits = [backoff(failures, auth=False, rng=rng) for failures in range(1, 12)]
    for failures, wait in enumerate(waits, 1):
        ceiling = min(const.MQTT_RECONNECT_MIN * 2 ** (failures - 1), const.MQTT_RECONNECT_MAX)
        assert ceiling / 2 <= wait <= ceiling
    assert len({round(wait, 6) for wait in waits}) == len(waits)  # jittered


def test_backoff_after_refused_credentials_starts_slow() -> None:
    wait = backoff(1, auth=True, rng=random.Random(2))
    assert wait >= const.MQTT_AUTH_RETRY_MIN / 2


def test_status_file_round_trip_only_for_the_lock_holder(tmp_path: Path) -> None:
    status = MqttStatus(broker="b:8883").changed(ConnectionState.CONNECTED, protocol="5")
    write_status(tmp_path, status)
    assert read_status(tmp_path) is None  # no hub holds the lock
    (tmp_path / const.LOCK_FILE).write_text(f"{os.getpid()}\n")
    read = read_status(tmp_path)
    assert read is not None
    assert (read["state"], read["protocol"], read["broker"]) == ("connected", "5", "b:8883")
    (tmp_path / const.MQTT_STATUS_FILE).write_bytes(b"[" * 20_000)
    assert read_status(tmp_path) is None
