"""The history in Home Assistant's frontend, served by the real hub, in headless Chromium: a
sensor's dialog draws its history graph, the History page shows the lights' changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance.support import USERNAME, HubFactory, request
from tests.acceptance.support_browser import Browser, artifacts_dir, browser
from tests.acceptance.test_browser_dashboard import log_in, navigate, wait_until

pytestmark = pytest.mark.acceptance

SENSOR = "sensor.demo_sensor_1"
MORE_INFO = (
    "document.querySelector('home-assistant').dispatchEvent(new CustomEvent('hass-more-info', "
    "{detail: {entityId: arguments[0]}, bubbles: true, composed: true}))"
)
# The History page's date picker bundles core-js, which probes `Function("return this")` inside
# a try/catch and falls back to `window` when the CSP refuses it: reported, harmless, and the one
# violation allowed here (no 'unsafe-eval' is ever added).
CORE_JS_PROBE = "script-src | eval | "


def chart_points(page: Browser) -> int:
    """Points of the first line in the sensor dialog's history graph."""
    charts = page.deep("ha-more-info-history", "ha-chart-base")
    if not charts:
        return 0
    data: Any = page.driver.execute_script("return arguments[0].data", charts[0])
    return len(data["datasets"][0]["data"]) if data and data.get("datasets") else 0


def timeline(page: Browser, entity_id: str) -> list[str]:
    """The states the History page's timeline shows for one entity."""
    for chart in page.deep("ha-panel-history", "state-history-chart-timeline"):
        rows: Any = page.driver.execute_script("return arguments[0].data", chart)
        for row in rows or []:
            if row["entity_id"] == entity_id:
                return [item["state"] for item in row["data"]]
    return []


@pytest.mark.timeout(180)
def test_history_graph_and_page(hub_factory: HubFactory) -> None:
    hub = hub_factory()  # demo sensors change every 0.5 s
    for _ in range(3):  # on -> off -> on -> off
        body = b'{"entity_id": "light.demo_light_1"}'
        assert (
            request(hub, "POST", "/api/services/light/toggle", token=hub.token, body=body).status
            == 200
        )
    with browser("history", artifacts_dir("history")) as page:
        log_in(page, hub.base_url, USERNAME, totp_secret=None)
        page.driver.execute_script(MORE_INFO, SENSOR)
        wait_until(lambda: chart_points(page) >= 3, "the sensor's history graph")
        page.screenshot("sensor-graph")

        navigate(page, "/history?entity_id=light.demo_light_1%2Clight.demo_light_2")
        wait_until(
            lambda: timeline(page, "light.demo_light_1") == ["on", "off", "on", "off"],
            "the lights' changes on the History page",
        )
        assert timeline(page, "light.demo_light_2") == ["off"]
        page.screenshot("history-page")

        page.collect()
        unexpected = [line for line in page.csp if CORE_JS_PROBE not in line]
        assert not unexpected, "CSP violations:\n" + "\n".join(unexpected)
        assert not page.unknown, page.unknown
        assert not page.unanswered(), page.unanswered()
        assert {"history/stream", "recorder/get_statistics_metadata"} <= set(page.sent.values())
