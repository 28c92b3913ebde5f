"""Shared helpers for the demo integration tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoConf:
    """Stands in for hearth.config.schema.DemoSection (same attributes, no range checks)."""

    lights: int = 3
    switches: int = 2
    sensors: int = 2
    sensor_interval: float = 3600.0
