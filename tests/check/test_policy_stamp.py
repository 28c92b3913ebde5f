"""Each password hash is stored with the policy version and minimum length it was checked by."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hearth import const
from hearth.auth.policy import PasswordPolicy
from tests.check.support import PASSWORD, open_auth


def stamp(path: Path, username: str) -> tuple[int | None, int | None]:
    with sqlite3.connect(path / "hearth.db") as conn:
        row = conn.execute(
            "SELECT password_policy_version, password_min_length FROM users WHERE username = ?",
            (username,),
        ).fetchone()
    conn.close()
    return row[0], row[1]


async def test_creation_and_changes_record_the_policy(tmp_path: Path) -> None:
    auth = open_auth(tmp_path)
    try:
        await auth.create_user("alice", PASSWORD)
        assert stamp(tmp_path, "alice") == (const.PASSWORD_POLICY_VERSION, 12)
        auth.policy = PasswordPolicy(min_length=20)
        alice = auth.get_user_by_username("alice")
        assert alice is not None
        await auth.set_password(alice, PASSWORD + "-and-more")
        assert stamp(tmp_path, "alice") == (const.PASSWORD_POLICY_VERSION, 20)
        await auth.create_user("bob", PASSWORD + "-and-more")
        assert stamp(tmp_path, "bob") == (const.PASSWORD_POLICY_VERSION, 20)
    finally:
        auth.close()


async def test_a_rehash_at_login_keeps_the_stamp(tmp_path: Path) -> None:
    auth = open_auth(tmp_path)  # a weak hasher: the next default one rehashes at login
    try:
        await auth.create_user("alice", PASSWORD)
        with sqlite3.connect(tmp_path / "hearth.db") as conn:
            conn.execute("UPDATE users SET password_min_length = 8")
        conn.close()
    finally:
        auth.close()
    from hearth.auth.manager import AuthManager

    strong = AuthManager.open(tmp_path)
    try:
        assert await strong.authenticate("alice", PASSWORD) is not None
        with sqlite3.connect(tmp_path / "hearth.db") as conn:
            new_hash = conn.execute("SELECT password_hash FROM users").fetchone()[0]
        conn.close()
        assert "m=19456" in new_hash  # rehashed
        assert stamp(tmp_path, "alice") == (const.PASSWORD_POLICY_VERSION, 8)  # not re-checked
    finally:
        strong.close()
