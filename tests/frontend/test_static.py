"""The pages' static files: a fixed list, nothing built from the URL."""

from __future__ import annotations

import pytest

from .conftest import Client


async def test_files_are_served(client: Client) -> None:
    css = await client.get("/hearth-static/hearth.css")
    assert css.status == 200
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    js = await client.get("/hearth-static/auth.js")
    assert js.status == 200
    assert js.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert js.headers["X-Content-Type-Options"] == "nosniff"
    again = await client.get(
        "/hearth-static/auth.js", headers={"If-None-Match": js.headers["ETag"]}
    )
    assert again.status == 304


@pytest.mark.parametrize(
    "path",
    [
        "/hearth-static/../pyproject.toml",
        "/hearth-static/%2e%2e/%2e%2e/pyproject.toml",
        "/hearth-static/..%2f..%2fconst.py",
        "/hearth-static/__init__.py",
        "/hearth-static/static.py",
        "/hearth-static/",
        "/hearth-static/HEARTH.CSS",
        "/hearth-static/hearth.css/",
    ],
)
async def test_path_traversal_finds_nothing(client: Client, path: str) -> None:
    resp = await client.get(path)
    assert resp.status in (400, 404), path
    assert b"import" not in await resp.read()
