"""The sign-ins chart as data: counts in, SVG out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from hearth.frontend.security_center import chart

SVG = "{http://www.w3.org/2000/svg}"


def test_one_slot_per_hour_for_a_week() -> None:
    slots = chart.hour_slots(datetime(2026, 3, 4, 10, 59, 7, tzinfo=UTC))
    assert len(slots) == 7 * 24
    assert slots[-1] == datetime(2026, 3, 4, 10, tzinfo=UTC)
    assert slots[0] == datetime(2026, 2, 25, 11, tzinfo=UTC)


def test_bars_scale_to_the_busiest_hour() -> None:
    slots = chart.hour_slots(datetime(2026, 3, 4, 10, tzinfo=UTC))
    svg = chart.render(slots, {slots[-1]: 2}, {slots[-1]: 2, slots[0]: 1})
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    bars = [rect for rect in root.iter(f"{SVG}rect")]
    heights = sorted(int(rect.get("height", "0")) for rect in bars)
    assert heights == [30, 60, 60]  # 1, 2 and 2 of a peak of 4, on 120 pixels
    assert {rect.get("fill") for rect in bars} == {chart.OK_COLOUR, chart.FAILED_COLOUR}
    assert "script" not in svg


def test_an_empty_week_draws_no_bars() -> None:
    slots = chart.hour_slots(datetime(2026, 3, 4, 10, tzinfo=UTC))
    root = ET.fromstring(chart.render(slots, {}, {}))  # noqa: S314 - our own output
    assert list(root.iter(f"{SVG}rect")) == []
    days = [text.text for text in root.iter(f"{SVG}text")]
    assert "Wed 04" in days
