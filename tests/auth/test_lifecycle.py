"""Token lifecycle: 90-day idle expiry, rotation with reuse detection, last use, revocation on
password change, deactivation and demotion, and the audit entries all of these leave."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hearth import const
from hearth.auth.manager import AuthManager
from hearth.auth.models import TokenType, User
from hearth.auth.policy import WeakPassword
from hearth.exceptions import BadRequest, InvalidAuth

from .conftest import PASSWORD, FakeClock, reload_soon, settle

NEW_PASSWORD = "vermilion otter juggles quietly"
DAY = 86400.0


async def events(auth: AuthManager, event: str) -> list[dict[str, object]]:
    return [entry.as_dict() for entry in await auth.audit.query(event=event)]


def revoked_ids(auth: AuthManager) -> list[str]:
    seen: list[str] = []
    auth.add_revoke_listener(seen.append)
    return seen


async def test_session_ends_after_90_idle_days(
    auth: AuthManager, alice: User, clock: FakeClock
) -> None:
    token, secret = await auth.create_refresh_token(alice, client_id="http://hub/")
    idle = const.REFRESH_TOKEN_IDLE_LIFETIME.total_seconds()
    clock.advance(idle - DAY)
    assert await auth.validate_refresh_token(secret) is not None
    access = auth.create_access_token(token)  # a use: the 90 days start again
    clock.advance(idle - DAY)
    assert auth.validate_access_token(access) is None  # expired long ago, of course
    assert await auth.validate_refresh_token(secret) is not None
    clock.advance(DAY + 1)  # (stored times are rounded to the microsecond)
    assert await auth.validate_refresh_token(secret) is None
    assert await auth.find_refresh_token(secret) is None
    with pytest.raises(InvalidAuth):
        auth.create_access_token(token)


async def test_idle_session_invalidates_its_access_tokens(
    auth: AuthManager, alice: User, clock: FakeClock
) -> None:
    token, _ = await auth.create_refresh_token(alice)
    # An access token that lives longer than the idle limit shows the limit applies to it too.
    token.access_token_expiration = timedelta(days=200)
    access = auth.create_access_token(token)
    clock.advance(const.REFRESH_TOKEN_IDLE_LIFETIME.total_seconds() + 1)
    assert auth.validate_access_token(access) is None


async def test_long_lived_tokens_have_no_idle_limit(
    auth: AuthManager, alice: User, clock: FakeClock
) -> None:
    _, access = await auth.create_long_lived_token(alice, "dashboard", days=365)
    clock.advance(200 * DAY)
    assert auth.validate_access_token(access) is not None


async def test_rotation_and_reuse_detection(auth: AuthManager, alice: User) -> None:
    seen = revoked_ids(auth)
    token, first = await auth.create_refresh_token(alice, client_id="http://hub/")
    second = await auth.rotate_refresh_token(token, first)
    assert second != first
    assert await auth.validate_refresh_token(second) is not None
    third = await auth.rotate_refresh_token(token, second)
    assert await auth.validate_refresh_token(third) is not None
    # The first secret comes back: someone copied it. The whole session is revoked.
    assert await auth.find_refresh_token(first) is None
    await settle()
    assert seen == [token.id]
    assert await auth.validate_refresh_token(third) is None
    (reuse,) = await events(auth, "token_reuse_detected")
    assert reuse["user_id"] == alice.id
    assert reuse["details"] == {"token_id": token.id}
    assert PASSWORD not in str(reuse)


async def test_rotation_race_revokes(auth: AuthManager, alice: User) -> None:
    token, first = await auth.create_refresh_token(alice)
    await auth.rotate_refresh_token(token, first)
    # A second rotation with the same (now old) secret: two parties held it.
    with pytest.raises(InvalidAuth):
        await auth.rotate_refresh_token(token, first)
    assert auth.list_refresh_tokens(alice.id) == []


async def test_last_use_and_new_ip(auth: AuthManager, alice: User, clock: FakeClock) -> None:
    token, _ = await auth.create_refresh_token(alice)
    auth.note_token_use(token, "192.168.1.5")
    await auth.db.flush()  # bookkeeping: committed with the next batch
    stored = auth.list_refresh_tokens(alice.id)[0]
    assert stored.last_used_ip == "192.168.1.5"
    assert stored.last_used_at is not None
    first_use = stored.last_used_at
    clock.advance(10)
    auth.note_token_use(token, "192.168.1.5")  # same address, soon after: nothing written
    await auth.db.flush()
    assert auth.list_refresh_tokens(alice.id)[0].last_used_at == first_use
    assert await events(auth, "token_used_new_ip") == []
    auth.note_token_use(token, "203.0.113.9")
    (moved,) = await events(auth, "token_used_new_ip")
    assert moved["ip"] == "203.0.113.9"
    assert moved["details"] == {"token_id": token.id, "previous_ip": "192.168.1.5"}
    clock.advance(120)
    auth.note_token_use(token, "203.0.113.9")
    await auth.db.flush()
    assert auth.list_refresh_tokens(alice.id)[0].last_used_at != first_use


async def test_remove_user_tokens_filters(auth: AuthManager, alice: User) -> None:
    keep, _ = await auth.create_refresh_token(alice)
    other, _ = await auth.create_refresh_token(alice)
    lived, _ = await auth.create_long_lived_token(alice, "dashboard")
    assert (
        await auth.remove_user_tokens(alice.id, token_type=TokenType.NORMAL, except_id=keep.id) == 1
    )
    assert {t.id for t in auth.list_refresh_tokens(alice.id)} == {keep.id, lived.id}
    assert await auth.remove_user_tokens(alice.id) == 2
    assert len(await events(auth, "token_revoked")) == 3
    assert other.id in str(await events(auth, "token_revoked"))


async def test_change_password_revokes_other_tokens(auth: AuthManager, alice: User) -> None:
    seen = revoked_ids(auth)
    current, _ = await auth.create_refresh_token(alice)
    other, _ = await auth.create_refresh_token(alice)
    lived, _ = await auth.create_long_lived_token(alice, "script")
    assert await auth.change_password(alice, NEW_PASSWORD, keep_token_id=current.id) == 2
    await settle()
    assert sorted(seen) == sorted([other.id, lived.id])
    assert await auth.authenticate("alice", PASSWORD) is None
    assert await auth.authenticate("alice", NEW_PASSWORD) is not None
    assert await auth.check_password(alice, NEW_PASSWORD)
    (changed,) = await events(auth, "password_changed")
    assert changed["user_id"] == alice.id


async def test_change_password_applies_the_policy(auth: AuthManager, alice: User) -> None:
    with pytest.raises(WeakPassword, match="username"):
        await auth.change_password(alice, "alice-and-some-other-words")
    with pytest.raises(WeakPassword, match="too short"):
        await auth.change_password(alice, "short")
    assert await auth.authenticate("alice", PASSWORD) is not None


async def test_cli_password_change_revokes_everything(auth: AuthManager, alice: User) -> None:
    await auth.create_refresh_token(alice)
    await auth.create_long_lived_token(alice, "script")
    assert await auth.change_password(alice, NEW_PASSWORD) == 2
    assert auth.list_refresh_tokens(alice.id) == []


async def test_owner_stays_an_active_admin(auth: AuthManager) -> None:
    owner = await auth.create_user("owner", PASSWORD, is_owner=True)
    with pytest.raises(BadRequest, match="owner"):
        await auth.update_user(owner.id, is_admin=False)
    with pytest.raises(BadRequest, match="owner"):
        await auth.update_user(owner.id, is_active=False)
    assert (await auth.update_user(owner.id, local_only=True)).local_only


async def test_update_user_audits_and_revokes(auth: AuthManager, clock: FakeClock) -> None:
    admin = await auth.create_user("bob", PASSWORD, is_admin=True)
    seen = revoked_ids(auth)
    token, _ = await auth.create_refresh_token(admin)
    renamed = await auth.update_user(admin.id, name="Bobby", ip="192.168.1.2")
    assert renamed.name == "Bobby"
    await settle()
    assert seen == []
    demoted = await auth.update_user(admin.id, is_admin=False)
    assert not demoted.is_admin
    await settle()
    assert seen == [token.id]  # admin rights end now, not at the next reconnect
    await auth.update_user(admin.id, is_active=False)
    await settle()
    assert seen == [token.id, token.id]
    updated = await events(auth, "user_updated")
    assert [e["details"] for e in reversed(updated)] == [{"name": "Bobby"}, {"is_admin": False}]
    assert updated[-1]["ip"] == "192.168.1.2"
    (deactivated,) = await events(auth, "user_deactivated")
    assert deactivated["details"] == {"is_active": False}


async def test_user_created_is_audited(auth: AuthManager, alice: User) -> None:
    (created,) = await events(auth, "user_created")
    assert created["username"] == "alice"
    assert created["details"] == {"is_owner": False, "is_admin": False, "local_only": False}


async def test_token_created_is_audited(auth: AuthManager, alice: User) -> None:
    token, secret = await auth.create_refresh_token(alice, client_id="http://hub/", ip="10.0.0.2")
    (created,) = await events(auth, "token_created")
    assert created["ip"] == "10.0.0.2"
    assert created["details"] == {
        "token_id": token.id,
        "type": "normal",
        "client_id": "http://hub/",
    }
    assert secret not in str(created)


async def test_demotion_in_another_process_closes_connections(
    auth: AuthManager, other_process: AuthManager
) -> None:
    admin = await auth.create_user("bob", PASSWORD, is_admin=True)
    token, _ = await auth.create_refresh_token(admin)
    seen = revoked_ids(auth)
    await other_process.update_user(admin.id, is_admin=False)
    assert await reload_soon(auth)
    await settle()
    assert seen == [token.id]


async def test_dead_tokens_are_pruned(auth: AuthManager, alice: User, clock: FakeClock) -> None:
    await auth.create_refresh_token(alice)
    lived, _ = await auth.create_long_lived_token(alice, "script", days=365)
    clock.advance(const.REFRESH_TOKEN_IDLE_LIFETIME.total_seconds() + 1)
    assert await auth.prune_dead_tokens() == 1
    assert [t.id for t in auth.list_refresh_tokens(alice.id)] == [lived.id]
    clock.advance(365 * DAY)
    assert await auth.prune_dead_tokens() == 1
    assert auth.list_refresh_tokens(alice.id) == []
