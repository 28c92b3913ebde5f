"""The panels Hearth has: what get_panels lists and which paths serve the dashboard's index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from hearth.frontend.security_center.paths import SECURITY_PATH


@dataclass(frozen=True, slots=True)
class Panel:
    """A page of Home Assistant's frontend, in get_panels' shape."""

    url_path: str
    component_name: str
    title: str | None = None
    icon: str | None = None
    config: dict[str, Any] | None = None
    require_admin: bool = False
    config_panel_domain: str | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        """The get_panels entry."""
        return {
            "component_name": self.component_name,
            "icon": self.icon,
            "title": self.title,
            "config": self.config,
            "url_path": self.url_path,
            "require_admin": self.require_admin,
            "config_panel_domain": self.config_panel_domain,
        }


# Only what works against Hearth: the dashboard (stored in Hearth's database, generated until
# someone saves one), the history and the logbook (hearth.recorder), the user profile, and the
# settings pages for administrators. No map, energy or developer tools until Hearth serves what
# they need.
PANELS: Final = {
    panel.url_path: panel
    for panel in (
        Panel("lovelace", "lovelace", config={"mode": "storage"}),
        Panel("history", "history", title="history", icon="hass:chart-box"),
        Panel("logbook", "logbook", title="logbook", icon="hass:format-list-bulleted-type"),
        Panel("profile", "profile"),
        Panel("config", "config", title="config", icon="hass:cog", require_admin=True),
        # Hearth's own page (hearth.frontend.security_center) in an iframe.
        Panel(
            "hearth-security",
            "iframe",
            title="Security",
            icon="mdi:shield-lock",
            config={"url": SECURITY_PATH},
            require_admin=True,
        ),
    )
}


def visible_panels(is_admin: bool) -> dict[str, dict[str, Any]]:
    """The panels a user may see."""
    return {
        url_path: panel.as_dict()
        for url_path, panel in PANELS.items()
        if is_admin or not panel.require_admin
    }
