"""Hypothesis strategies for hostile input: JSON of every shape, bodies, paths, forms, YAML."""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import quote

from hypothesis import strategies as st

CLIENT_ID: Final = "https://fuzz.example/"
REDIRECT_URI: Final = "https://fuzz.example/callback"

# Text a parser may trip over: controls, quotes, separators, escapes, non-ASCII, lookalikes.
_TRICKY: Final = [
    "",
    " ",
    "\x00",
    "\n",
    "\r\n",
    "\t",
    "\x7f",
    "%",
    "%00",
    "%2e%2e",
    "..",
    "/",
    "\\",
    ";",
    "?",
    "#",
    "&",
    "=",
    "+",
    '"',
    "'",
    "<script>",
    "\u00e9",
    "\u212a",
    "\ufeff",
    "\u202e",
    "\U0001f4a1",
    "A" * 300,
    "light.demo_light_1",
    "homeassistant",
    "*",
    "null",
    "true",
    "0",
    "-1",
    "1e309",
]

text: Final = st.one_of(st.text(max_size=40), st.sampled_from(_TRICKY))

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value (as Python data) of modest size and depth."""
    return st.recursive(
        _scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(text, children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def nested(depth: int, leaf: Any = 1) -> Any:
    """`depth` levels of alternating objects and arrays around `leaf`."""
    value = leaf
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


def encode(value: Any) -> bytes:
    """JSON bytes the way a careless client writes them (NaN and Infinity included)."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


# Bodies that are not JSON, or not quite: a parser's edge cases.
_RAW_BODIES: Final = [
    b"",
    b" ",
    b"null",
    b"[]",
    b"{",
    b'{"a":',
    b"\xff\xfe",
    b"\x00",
    b'"\\ud800"',
    b"NaN",
    b"1e400",
    b"18446744073709551616",
    b"[" * 1100 + b"]" * 1100,
    b'{"a":1,"a":2}',
    b"\xef\xbb\xbf{}",
    b"state=on",
]


def raw_bodies() -> st.SearchStrategy[bytes]:
    """Bytes that are hard to parse: fixed edge cases, random bytes, broken UTF-8."""
    return st.one_of(st.sampled_from(_RAW_BODIES), st.binary(max_size=64))


def json_bodies(objects: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Mostly `objects` encoded as JSON, sometimes any JSON, sometimes not JSON at all."""
    return st.one_of(
        objects.map(encode),
        objects.map(encode),
        json_values().map(encode),
        raw_bodies(),
    )


def objects_with(keys: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects holding some of `keys` (with their values, or any JSON) and a few unknown keys."""
    known = st.fixed_dictionaries(
        {}, optional={name: st.one_of(values, json_values(4)) for name, values in keys.items()}
    )
    return st.builds(
        lambda a, b: {**b, **a}, known, st.dictionaries(text, json_values(4), max_size=2)
    )


def path_segments() -> st.SearchStrategy[str]:
    """One path segment as sent on the wire: percent-encoded text, or raw tricky text."""
    return st.one_of(
        text.map(lambda value: quote(value, safe="")),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-~%:@!$&'()*+,;=", max_size=30),
        st.sampled_from(["light.demo_light_1", "sensor.fuzz", "..", ".", "%2e%2e", "%2f", "%00"]),
    )


_PREFIXES: Final = [
    "/api/",
    "/api/states/",
    "/api/events/",
    "/api/services/",
    "/api/services/light/",
    "/api/config",
    "/api/bans/",
    "/api/openapi.json",
    "/api/onboarding/",
    "/auth/",
    "/auth/login_flow/",
    "/auth/providers",
    "/static/",
    "/",
]


def targets() -> st.SearchStrategy[str]:
    """Request targets under the hub's routes, with odd segments and query strings."""
    return st.builds(
        lambda prefix, segments, query: prefix + "/".join(segments) + query,
        st.sampled_from(_PREFIXES),
        st.lists(path_segments(), max_size=3),
        st.one_of(
            st.just(""),
            st.builds(lambda k, v: f"?{quote(k)}={quote(v)}", text, text),
            st.sampled_from(["?", "?return_response", "?a=1&a=2", "?%zz", "?x=%00"]),
        ),
    )


METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

CONTENT_TYPES: Final = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "",
]


def form_fields(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Form fields: the known names (sometimes repeated) and a few others, any text values."""
    name = st.one_of(st.sampled_from(names), text)
    return st.lists(st.tuples(name, text), max_size=6)


def urlencode(fields: list[tuple[str, str]]) -> bytes:
    """Fields as application/x-www-form-urlencoded, UTF-8 (lone surrogates kept as bytes)."""
    return "&".join(
        f"{quote(key.encode('utf-8', 'surrogatepass'), safe='')}="
        f"{quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        for key, value in fields
    ).encode("ascii")
