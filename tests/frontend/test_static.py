"""The pages' static files: a fixed list, nothing built from the URL."""

from __future__ import annotations

import pytest

from .conftest import Client


async def test_files_are_served(client: Client) -> None:
    css = await client.get("/static/hearth.css")
    assert css.status == 200
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    js = await client.get("/static/auth.js")
    assert js.status == 200
    assert js.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert js.headers["X-Content-Type-Options"] == "nosniff"
    again = await client.get("/static/auth.js", headers={"If-None-Match": js.headers["ETag"]})
    assert again.status == 304


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2f..%2fconst.py",
        "/static/__init__.py",
        "/static/static.py",
        "/static/",
        "/static/HEARTH.CSS",
        "/static/hearth.css/",
    ],
)
async def test_path_traversal_finds_nothing(client: Client, path: str) -> None:
    resp = await client.get(path)
    assert resp.status in (400, 404), path
    assert b"import" not in await resp.read()
