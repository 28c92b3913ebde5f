"""Where the Security Center lives."""

from __future__ import annotations

from typing import Final

SECURITY_PATH: Final = "/hearth/security"
