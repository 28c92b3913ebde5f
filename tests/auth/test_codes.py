"""Authorization codes: single use, bound to the client id, ten minutes."""

from __future__ import annotations

from hearth.auth.codes import CODE_LIFETIME, AuthCodes

from .conftest import FakeClock

CLIENT = "http://hub.local:8123/"


def test_code_is_single_use(clock: FakeClock) -> None:
    codes = AuthCodes(clock=clock)
    code = codes.create(client_id=CLIENT, user_id="u1", provider="homeassistant")
    grant = codes.consume(code, CLIENT)
    assert grant is not None
    assert (grant.user_id, grant.provider) == ("u1", "homeassistant")
    assert codes.consume(code, CLIENT) is None


def test_code_is_bound_to_its_client_and_burnt_by_another(clock: FakeClock) -> None:
    codes = AuthCodes(clock=clock)
    code = codes.create(client_id=CLIENT, user_id="u1", provider="homeassistant")
    assert codes.consume(code, "http://other.example/") is None
    # Presented by the wrong client, the code is gone for the right one too.
    assert codes.consume(code, CLIENT) is None


def test_code_expires_after_ten_minutes(clock: FakeClock) -> None:
    codes = AuthCodes(clock=clock)
    fresh = codes.create(client_id=CLIENT, user_id="u1", provider="homeassistant")
    old = codes.create(client_id=CLIENT, user_id="u1", provider="homeassistant")
    clock.advance(CODE_LIFETIME - 1)
    assert codes.consume(fresh, CLIENT) is not None
    clock.advance(1)
    assert codes.consume(old, CLIENT) is None


def test_bounded(clock: FakeClock) -> None:
    codes = AuthCodes(clock=clock, max_codes=3)
    first = codes.create(client_id=CLIENT, user_id="u1", provider="homeassistant")
    for _ in range(3):
        codes.create(client_id=CLIENT, user_id="u1", provider="homeassistant")
    assert len(codes) == 3
    assert codes.consume(first, CLIENT) is None


def test_garbage_codes(clock: FakeClock) -> None:
    codes = AuthCodes(clock=clock)
    for garbage in (None, 42, "", "x" * 100_000, ["a"]):
        assert codes.consume(garbage, CLIENT) is None
