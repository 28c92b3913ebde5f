"""Fuzz the login endpoints of a running hub: the login flow, the token and revoke endpoints.

Contract (docs/fuzzing.md): 2xx, or a 4xx with a JSON body (`{"message"}`, or OAuth's
`{"error"}` at /auth/token), never a 5xx, no traceback in the log, other clients unaffected.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.acceptance.support import PASSWORD, USERNAME
from tests.fuzz.client import assert_contract, exchange, json_body
from tests.fuzz.harness import FuzzHub
from tests.fuzz.profiles import fuzz_settings, time_limit
from tests.fuzz.strategies import (
    CLIENT_ID,
    REDIRECT_URI,
    form_fields,
    json_bodies,
    objects_with,
    path_segments,
    raw_bodies,
    text,
    urlencode,
)

# Examples are bounded; the timeout is for a hub that hangs, with room for a busy machine.
pytestmark = [pytest.mark.acceptance, pytest.mark.timeout(time_limit())]

JSON_TYPE = {"Content-Type": "application/json"}
FORM_TYPE = "application/x-www-form-urlencoded"

# Each wrong password for one username adds to that name's throttle delay (up to 30 s): a
# counter keeps the names the fuzzer tries apart, so the fuzzer measures parsing, not waiting.
_fresh = itertools.count()

begin_bodies = json_bodies(
    objects_with(
        {
            "client_id": st.sampled_from([CLIENT_ID, "https://other.example/", "fuzz"]),
            "handler": st.one_of(
                st.just(["homeassistant", None]),
                st.lists(st.one_of(st.none(), text), max_size=3),
            ),
            "redirect_uri": st.sampled_from([REDIRECT_URI, "homeassistant://auth-callback"]),
            "type": st.sampled_from(["authorize", "link_user"]),
        }
    )
)
step_fields = objects_with(
    {
        "client_id": st.sampled_from([CLIENT_ID, "https://other.example/"]),
        "username": st.one_of(text, st.just(USERNAME)),
        "password": st.one_of(text, st.text(min_size=1000, max_size=1100)),
        "code": text,
        "user": text,
    }
)


def begin(fuzz: FuzzHub) -> str | None:
    """A fresh flow's id; None if the hub refuses another flow from this address (a quota)."""
    body = {
        "client_id": CLIENT_ID,
        "handler": ["homeassistant", None],
        "redirect_uri": REDIRECT_URI,
    }
    reply = exchange(fuzz.hub, "POST", "/auth/login_flow", body=_json(body), headers=JSON_TYPE)
    assert_contract(reply, "POST", "/auth/login_flow")
    if reply.status != 200:
        return None
    flow_id: str = json_body(reply)["flow_id"]
    return flow_id


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _unthrottled(fields: dict[str, Any]) -> dict[str, Any]:
    username = fields.get("username")
    if isinstance(username, str) and isinstance(fields.get("password"), str):
        fields = {**fields, "username": f"{username}-{next(_fresh)}"}
    return fields


@fuzz_settings(60)
@given(body=begin_bodies, content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_login_flow_begin(fuzz_hub: FuzzHub, body: bytes, content_type: str) -> None:
    fuzz_hub.begin_example()
    headers = {"Content-Type": content_type} if content_type else {}
    reply = exchange(fuzz_hub.hub, "POST", "/auth/login_flow", body=body, headers=headers)
    assert_contract(reply, "POST", "/auth/login_flow")
    fuzz_hub.assert_healthy()


@fuzz_settings(50)
@given(
    fields=step_fields,
    raw=st.one_of(st.none(), raw_bodies()),
    real_flow=st.booleans(),
    flow_segment=path_segments(),
    cancel=st.booleans(),
)
def test_login_flow_steps(
    fuzz_hub: FuzzHub,
    fields: dict[str, Any],
    raw: bytes | None,
    real_flow: bool,
    flow_segment: str,
    cancel: bool,
) -> None:
    fuzz_hub.begin_example()
    flow = (begin(fuzz_hub) if real_flow else None) or flow_segment
    body = raw if raw is not None else _json(_unthrottled(fields))
    path = f"/auth/login_flow/{flow}"
    reply = exchange(fuzz_hub.hub, "POST", path, body=body, headers=JSON_TYPE)
    assert_contract(reply, "POST", path)
    if cancel:
        assert_contract(exchange(fuzz_hub.hub, "DELETE", path), "DELETE", path)
    fuzz_hub.assert_healthy()


TOKEN_FIELDS = ["grant_type", "client_id", "code", "refresh_token", "action", "token"]
grant_fields = st.builds(
    lambda grant, rest: [("grant_type", grant), *rest],
    st.sampled_from(["authorization_code", "refresh_token", "password", ""]),
    form_fields(TOKEN_FIELDS),
)


@fuzz_settings(60)
@given(
    path=st.sampled_from(["/auth/token", "/auth/revoke"]),
    fields=st.one_of(grant_fields, form_fields(TOKEN_FIELDS)),
)
def test_token_endpoint_forms(fuzz_hub: FuzzHub, path: str, fields: list[tuple[str, str]]) -> None:
    """Well-formed UTF-8 urlencoded bodies with any fields and values."""
    fuzz_hub.begin_example()
    body = urlencode(fields)
    reply = exchange(fuzz_hub.hub, "POST", path, body=body, headers={"Content-Type": FORM_TYPE})
    assert_contract(reply, "POST", path)
    fuzz_hub.assert_healthy()


def multipart(boundary: str, parts: list[tuple[str, bytes]], broken: int) -> bytes:
    """A multipart body, damaged in one of a few ways (0: intact)."""
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value
        for name, value in parts
    ]
    body = b"\r\n".join(chunks) + f"\r\n--{boundary}--\r\n".encode()
    if broken == 1:
        return body[: len(body) // 2]
    if broken == 2:
        return body.replace(b"Content-Disposition", b"Content-Dispositon")
    if broken == 3:
        return body.replace(f"--{boundary}--".encode(), b"")
    return body


malformed_bodies = st.one_of(
    # Bytes that are not UTF-8 (or not a form) declared as a form.
    st.tuples(st.just(FORM_TYPE), raw_bodies()),
    # A charset that Python does not know or that cannot decode the bytes.
    st.tuples(
        st.sampled_from(
            [f"{FORM_TYPE}; charset={name}" for name in ("nope", "utf-16", "utf-7", "latin-1", "")]
        ),
        st.one_of(raw_bodies(), form_fields(TOKEN_FIELDS).map(urlencode)),
    ),
    # Multipart bodies, intact or broken, with or without a boundary parameter.
    st.builds(
        lambda boundary, parts, broken, declared: (
            f"multipart/form-data; boundary={boundary if declared else ''}",
            multipart(boundary, parts, broken),
        ),
        st.sampled_from(["b0undary", "x" * 71, "a b"]),
        st.lists(st.tuples(st.sampled_from(TOKEN_FIELDS), st.binary(max_size=20)), max_size=3),
        st.integers(0, 3),
        st.booleans(),
    ),
)


@fuzz_settings(40)
@given(
    path=st.sampled_from(["/auth/token", "/auth/revoke", "/auth/authorize", "/onboarding"]),
    declared_and_body=malformed_bodies,
)
def test_malformed_form_bodies(
    own_hub: FuzzHub, path: str, declared_and_body: tuple[str, bytes]
) -> None:
    own_hub.begin_example()
    content_type, body = declared_and_body
    reply = exchange(own_hub.hub, "POST", path, body=body, headers={"Content-Type": content_type})
    assert_contract(reply, "POST", path)
    own_hub.assert_healthy()


@fuzz_settings(30)
@given(
    fields=form_fields(
        [
            "client_id",
            "redirect_uri",
            "state",
            "response_type",
            "username",
            "password",
            "code",
            "flow_id",
            "provider",
        ]
    )
)
def test_authorize_page_forms(fuzz_hub: FuzzHub, fields: list[tuple[str, str]]) -> None:
    """The login page with well-formed forms: any fields, the right ones mostly valid."""
    fuzz_hub.begin_example()
    base = [("client_id", CLIENT_ID), ("redirect_uri", REDIRECT_URI), ("response_type", "code")]
    body = urlencode(
        base + [(k, f"{v}-{next(_fresh)}" if k == "username" else v) for k, v in fields]
    )
    path = "/auth/authorize"
    reply = exchange(fuzz_hub.hub, "POST", path, body=body, headers={"Content-Type": FORM_TYPE})
    assert_contract(reply, "POST", path)
    fuzz_hub.assert_healthy()


def test_fuzzer_login_still_works(fuzz_hub: FuzzHub) -> None:
    """The fuzz hub's own login works: the flow above was reaching the real checks."""
    flow = begin(fuzz_hub)
    assert flow is not None
    body = _json({"client_id": CLIENT_ID, "username": USERNAME, "password": PASSWORD})
    reply = exchange(fuzz_hub.hub, "POST", f"/auth/login_flow/{flow}", body=body, headers=JSON_TYPE)
    assert json_body(reply)["type"] == "create_entry", reply
