"""The OpenAPI document: it lists exactly the application's routes, and only admins may read it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearth.api.openapi import PATH, load_document
from hearth.http.view import ADMIN_ATTR, PUBLIC_ATTR

Client = TestClient[web.Request, web.Application]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def app_routes(app: web.Application) -> dict[tuple[str, str], web.AbstractRoute]:
    """(method, path template) -> route, for every route but aiohttp's automatic HEADs."""
    found = {}
    for route in app.router.routes():
        assert route.resource is not None
        if route.method != "HEAD":
            found[(route.method.lower(), route.resource.canonical)] = route
    return found


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation in the document."""
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def test_every_route_is_in_the_document(app: web.Application) -> None:
    documented = {(method, path) for method, path, _ in operations(load_document())}
    missing = sorted(set(app_routes(app)) - documented)
    assert not missing, f"routes missing from src/hearth/api/openapi.yaml: {missing}"


def test_every_documented_operation_is_a_route(app: web.Application) -> None:
    documented = {(method, path) for method, path, _ in operations(load_document())}
    extra = sorted(documented - set(app_routes(app)))
    assert not extra, f"openapi.yaml documents routes the hub does not have: {extra}"


def test_path_parameters_match_the_routes() -> None:
    document = load_document()
    for method, path, operation in operations(document):
        declared = {
            resolve(document, parameter)["name"]
            for parameter in [
                *document["paths"][path].get("parameters", []),
                *operation.get("parameters", []),
            ]
            if resolve(document, parameter)["in"] == "path"
        }
        assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)


def test_public_and_admin_marks_match_the_code(app: web.Application) -> None:
    document = load_document()
    for (method, path), route in app_routes(app).items():
        operation = document["paths"][path][method]
        public = getattr(route.handler, PUBLIC_ATTR, False)
        assert (operation.get("security") == []) == public, f"{method} {path}: security"
        if not public:
            assert "401" in operation["responses"], f"{method} {path}: no 401"
        if getattr(route.handler, ADMIN_ATTR, False):
            assert "403" in operation["responses"], f"{method} {path}: no 403"
            assert "(administrators)" in operation["summary"], f"{method} {path}: summary"


def test_operation_ids_are_unique() -> None:
    ids = [operation["operationId"] for _, _, operation in operations(load_document())]
    assert len(ids) == len(set(ids))


def test_every_reference_resolves() -> None:
    document = load_document()
    assert document["openapi"].startswith("3.1.")

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "$ref" in value:
                resolve(document, value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)


def resolve(document: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """`value`, or what its local `$ref` points to."""
    ref = value.get("$ref")
    if ref is None:
        return value
    assert ref.startswith("#/"), ref
    target: Any = document
    for part in ref[2:].split("/"):
        assert part in target, f"unresolved reference {ref}"
        target = target[part]
    assert isinstance(target, dict), ref
    return target


async def test_admins_read_the_document(client: Client, admin_headers: dict[str, str]) -> None:
    response = await client.get(PATH, headers=admin_headers)
    assert response.status == 200
    assert response.content_type == "application/json"
    assert orjson.loads(await response.read()) == load_document()


async def test_other_users_may_not(client: Client, user_headers: dict[str, str]) -> None:
    response = await client.get(PATH, headers=user_headers)
    assert response.status == 403
    assert (await response.json())["message"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
async def test_nobody_without_a_token(client: Client, headers: dict[str, str]) -> None:
    response = await client.get(PATH, headers=headers)
    assert response.status == 401
    assert (await response.json())["message"]
