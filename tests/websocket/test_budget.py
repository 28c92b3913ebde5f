"""Tests for hearth.websocket.budget: pending output counted per holder and in total."""

from __future__ import annotations

from hearth.websocket.budget import OutputBudget


def test_own_bytes_add_up_and_release() -> None:
    budget = OutputBudget(limit=100)
    budget.charge("a", 60)
    budget.charge("b", 30)
    assert (budget.total, budget.held("a"), budget.held("b"), budget.exceeded) == (
        90,
        60,
        30,
        False,
    )
    budget.charge("a", 20)
    assert budget.exceeded
    assert budget.largest() == "a"
    budget.release("a", 60)
    budget.release("a", 20)
    assert (budget.total, budget.held("a"), budget.largest()) == (30, 0, "b")
    budget.release("b", 30)
    assert (budget.total, budget.largest()) == (0, None)


def test_a_shared_body_counts_once_in_total_but_fully_per_holder() -> None:
    budget = OutputBudget(limit=1000)
    body = b"x" * 500
    for holder in ("a", "b", "c"):
        budget.charge(holder, 10, body)
    # What is in memory: one body and three heads.
    assert budget.total == 500 + 30
    # What each client owes: the whole message.
    assert budget.held("a") == budget.held("b") == 510
    budget.release("a", 10, body)
    budget.release("b", 10, body)
    assert budget.total == 510
    budget.release("c", 10, body)
    assert budget.total == 0


def test_equal_bodies_that_are_different_objects_count_separately() -> None:
    budget = OutputBudget(limit=1000)
    first, second = bytes(bytearray(b"y" * 100)), bytes(bytearray(b"y" * 100))
    budget.charge("a", 0, first)
    budget.charge("b", 0, second)
    assert budget.total == 200
    budget.release("a", 0, first)
    budget.release("b", 0, second)
    assert budget.total == 0


def test_largest_holder_first() -> None:
    budget = OutputBudget(limit=10)
    budget.charge("small", 5)
    budget.charge("big", 50)
    budget.charge("medium", 20)
    assert budget.largest() == "big"
    budget.release("big", 50)
    assert budget.largest() == "medium"
