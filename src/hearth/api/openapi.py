"""GET /api/openapi.json: the OpenAPI 3.1 document of every route, for administrators.

The document is written by hand (openapi.yaml beside this module) and checked against the
application's routes by tests/api/test_openapi.py, so it cannot silently fall behind.
Administrators only: the list of routes is a map for an attacker, however public the code.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Final

import yaml
from aiohttp import web

from hearth.http.view import admin_only, json_bytes, raw_json_response

PATH: Final = "/api/openapi.json"
DOCUMENT: Final = "openapi.yaml"

routes = web.RouteTableDef()


def load_document() -> dict[str, Any]:
    """The OpenAPI document as data, read from the package."""
    text = (resources.files("hearth.api") / DOCUMENT).read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


@cache
def document_json() -> bytes:
    """The document serialised once: it cannot change while the hub runs."""
    return json_bytes(load_document())


@routes.get(PATH)
@admin_only
async def openapi_document(request: web.Request) -> web.Response:
    """The OpenAPI document of this hub's routes."""
    return raw_json_response(document_json())
