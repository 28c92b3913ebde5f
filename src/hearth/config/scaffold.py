"""Create the demo configuration that `hearth init-demo` writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from hearth import const

DEMO_CONFIGURATION: Final = f"""\
# Hearth configuration, created by `hearth init-demo`.
# Every key is described in docs/configuration.md. Keep passwords and tokens in secrets.yaml
# (next to this file) and refer to them with `!secret NAME`.

homeassistant:
  name: Demo Home
  # latitude: 52.3731
  # longitude: 4.8922
  # elevation: 0
  time_zone: UTC
  unit_system: metric

http:
  # By default Hearth listens on every interface and lets in only clients on local networks.
  # server_host: 192.168.1.10
  server_port: {const.DEFAULT_PORT}

# The demo integration: lights, switches and sensors to try things with. Remove the section to
# turn it off.
demo:
  lights: 3
  switches: 2
  sensors: 2
  sensor_interval: 30
"""


def write_demo_config(config_dir: Path) -> bool:
    """Create `config_dir` and a demo configuration.yaml unless one exists; True if created."""
    target = config_dir / const.CONFIG_FILE
    if os.path.lexists(target):
        return False
    config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # O_EXCL + O_NOFOLLOW: never overwrite, not even a file or symlink created since the check.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(DEMO_CONFIGURATION)
    return True
