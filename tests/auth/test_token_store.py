"""A user's tokens are found through the index, never by scanning every token (query plans)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearth.auth.models import TokenType
from hearth.auth.tokens import store as token_store
from hearth.storage import Database


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    Database.open(tmp_path / "hearth.db").close()
    connection = sqlite3.connect(tmp_path / "hearth.db")
    yield connection
    connection.close()


def plan(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> str:
    return " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        (token_store.COUNT_TOKENS_SQL, ("u", TokenType.LONG_LIVED.value)),
        (token_store.USER_TOKENS_SQL, ("u",)),
        (token_store.LEAST_USED_SQL, ("u", TokenType.NORMAL.value, 1)),
    ],
    ids=["count", "list", "least-used"],
)
def test_queries_of_one_users_tokens_use_the_index(
    conn: sqlite3.Connection, sql: str, params: tuple[object, ...]
) -> None:
    found = plan(conn, sql, params)
    assert "refresh_tokens_user_type" in found, found
    assert "SCAN refresh_tokens" not in found, found


def test_tombstone_lookup_is_a_key_lookup(conn: sqlite3.Connection) -> None:
    found = plan(conn, token_store.TOMBSTONE_SQL, ("k",))
    assert "SEARCH revoked_tokens" in found, found


def test_long_lived_names_are_unique_by_index(conn: sqlite3.Connection) -> None:
    """The name check is the unique index itself, not a scan of the user's tokens."""
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'refresh_tokens_long_lived_name'"
    ).fetchone()
    assert "UNIQUE INDEX" in sql
    assert "(user_id, client_name)" in sql
