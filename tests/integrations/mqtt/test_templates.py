"""Hearth's template subset: what it evaluates, and everything it refuses (as tables)."""

from __future__ import annotations

from typing import Any

import pytest

from hearth.integrations.mqtt.templates import MISSING, TemplateError, parse

ROOTS = frozenset({"value", "value_json"})
DATA = {
    "value": "21.46",
    "value_json": {
        "state": "ON",
        "temperature": 21.46,
        "ENERGY": {"Power": "12.345", "Today": 3},
        "list": [10, 20],
        "flag": False,
        "text": "4.6abc",
    },
}

EVALUATED = [
    ("{{ value_json.state }}", "ON"),
    ("{{value_json.state}}", "ON"),
    ("{{- value_json.state -}}", "ON"),
    ("{{ value_json['ENERGY']['Power'] }}", "12.345"),
    ('{{ value_json["ENERGY"].Today }}', 3),
    ("{{ value_json.list[1] }}", 20),
    ("{{ value_json.flag }}", False),
    ("{{ value_json.temperature | round(1) }}", 21.5),
    ("{{ value_json.temperature | round }}", 21.0),
    ("{{ value_json.ENERGY.Power | float }}", 12.345),
    ("{{ value_json.ENERGY.Power | float | int }}", 12),
    ("{{ value | float | round(1) }}", 21.5),
    ("{{ value }}", "21.46"),
    ("{{ value_json.temperature }} °C", "21.46 °C"),
    ("{{ value_json.flag }}", False),
    ("plain text", "plain text"),
    ("{{ value_json.missing }}", MISSING),
    ("{{ value_json.list[5] }}", MISSING),
    ("{{ value_json.state.deeper }}", MISSING),
]


@pytest.mark.parametrize(("source", "expected"), EVALUATED)
def test_evaluates(source: str, expected: Any) -> None:
    assert parse(source, ROOTS).evaluate(DATA) == expected


REFUSED = [
    "{% if value %}on{% endif %}",
    "{# comment #}",
    "{{ value_json.state | lower }}",
    "{{ value_json.state | default('x') }}",
    "{{ value_json.__class__ }}",
    "{{ value.__class__.__mro__ }}",
    "{{ range(10) }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ value_json.x() }}",
    "{{ value_json['a' ~ 'b'] }}",
    "{{ value_json[value] }}",
    "{{ 7 * 7 }}",
    "{{ states('sensor.x') }}",
    "{{ now() }}",
    "{{ value_json.x + 1 }}",
    "{{ value_json.x if value else 1 }}",
    "{{ value_json.x | round(99) }}",
    "{{ value_json.x",
    "value_json.x }}",
    "{{ a }}{{ b }}{{ c }}{{ d }}{{ e }}",
    "x" * 513,
]


@pytest.mark.parametrize("source", REFUSED)
def test_refuses_everything_else(source: str) -> None:
    with pytest.raises(TemplateError):
        parse(source, ROOTS)


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "1e999", [1], {"a": 1}, None])
def test_numeric_filters_refuse_what_is_not_a_finite_number(value: Any) -> None:
    template = parse("{{ value_json.x | float }}", ROOTS)
    with pytest.raises(TemplateError):
        template.evaluate({"value_json": {"x": value}})


def test_command_templates_take_only_their_variables() -> None:
    template = parse('{ "position": {{ position }} }', frozenset({"value", "position"}))
    assert template.render({"value": "40", "position": 40}) == '{ "position": 40 }'
    with pytest.raises(TemplateError):
        parse("{{ value_json.x }}", frozenset({"value", "position"}))
