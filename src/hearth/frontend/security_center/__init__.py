"""The Security Center: one page where the owner sees and fixes the hub's security."""

from __future__ import annotations

from hearth.frontend.security_center.page import setup

__all__ = ["setup"]
