"""Tests for hearth.websocket.outbox: one connection's queue, bounded in count and bytes."""

from __future__ import annotations

import json

import pytest

from hearth import const
from hearth.websocket.budget import OutputBudget
from hearth.websocket.outbox import COALESCE_MAX_BYTES, Outbox


@pytest.fixture
def budget() -> OutputBudget:
    return OutputBudget(limit=10**9)


def test_byte_limit_allows_one_large_message_alone(
    budget: OutputBudget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(const, "WS_SEND_BUFFER_LIMIT", 100)
    outbox = Outbox("conn", budget)
    assert outbox.refusal(500) is None
    outbox.put((b"x" * 500,), 500)
    assert outbox.refusal(1) == "500 bytes pending"


def test_message_limit(budget: OutputBudget, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(const, "WS_SEND_QUEUE_LIMIT", 2)
    outbox = Outbox("conn", budget)
    outbox.put((b"1",), 1)
    outbox.put((b"2",), 1)
    assert outbox.refusal(1) == "2 messages pending"


def test_shared_parts_are_joined_only_when_sent(budget: OutputBudget) -> None:
    body = b'{"big":true}'
    outbox = Outbox("conn", budget)
    outbox.put((b'{"id":1,"event":', body, b"}"), 16 + len(body) + 1, body)
    assert budget.held("conn") == 16 + len(body) + 1
    frame = outbox.take_frame(coalesce=False)
    assert json.loads(frame) == {"id": 1, "event": {"big": True}}
    assert (budget.held("conn"), outbox.sending) == (len(frame), len(frame))
    outbox.sent()
    assert (budget.total, outbox.sending, len(outbox)) == (0, 0, 0)


def test_coalesced_frame_is_a_json_array_within_its_bound(budget: OutputBudget) -> None:
    outbox = Outbox("conn", budget)
    for n in range(3):
        outbox.put((b'{"id":%d}' % n,), 8)
    big = b'"' + b"x" * COALESCE_MAX_BYTES + b'"'
    outbox.put((big,), len(big))
    assert json.loads(outbox.take_frame(coalesce=True)) == [{"id": 0}, {"id": 1}, {"id": 2}]
    outbox.sent()
    assert outbox.take_frame(coalesce=True) == big


def test_discard_gives_everything_back(budget: OutputBudget) -> None:
    outbox = Outbox("conn", budget)
    shared = b"s" * 100
    outbox.put((b"a" * 10,), 10)
    outbox.put((b"h", shared, b"t"), 102, shared)
    outbox.take_frame(coalesce=False)
    outbox.discard()
    assert (budget.total, budget.held("conn"), len(outbox), outbox.sending) == (0, 0, 0, 0)
