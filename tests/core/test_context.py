"""Tests for hearth.core.context."""

from __future__ import annotations

import dataclasses
import time

import pytest

from hearth.core.context import Context, ulid_now

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def test_ulid_shape() -> None:
    value = ulid_now()
    assert len(value) == 26
    assert set(value) <= CROCKFORD


def test_ulids_are_unique() -> None:
    assert len({ulid_now() for _ in range(10_000)}) == 10_000


def test_ulids_are_time_ordered() -> None:
    first = ulid_now()
    time.sleep(0.002)
    second = ulid_now()
    assert first[:10] < second[:10]


def test_ulid_timestamp_is_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    value = ulid_now()
    after = time.time_ns() // 1_000_000
    millis = 0
    for char in value[:10]:
        millis = millis * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(char)
    assert before <= millis <= after


def test_context_defaults_and_as_dict() -> None:
    context = Context()
    assert len(context.id) == 26
    assert context.as_dict() == {"id": context.id, "parent_id": None, "user_id": None}
    assert Context().id != context.id


def test_context_is_frozen() -> None:
    context = Context(user_id="u1", parent_id="p1")
    assert context.as_dict() == {"id": context.id, "parent_id": "p1", "user_id": "u1"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.user_id = "other"  # type: ignore[misc]
