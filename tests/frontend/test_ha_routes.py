"""Serving Home Assistant's frontend package: index, files, caching, compression, confinement."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from hearth.auth.models import User
from hearth.frontend.ha_index import package_root
from hearth.frontend.ha_routes import PackageRoot, locate, safe_relative

from .conftest import Client

_INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _hashed_file(tree: str = "frontend_latest") -> str:
    """A content-hashed file of the package that has .br and .gz siblings."""
    folder = package_root() / tree
    for path in sorted(folder.glob("app.*.js")):
        if path.with_name(path.name + ".br").exists():
            return f"/{tree}/{path.name}"
    raise AssertionError("no precompressed app bundle in the package")


async def test_index_has_a_hash_for_every_inline_script(client: Client, admin_user: User) -> None:
    for path in ("/", "/lovelace/0", "/config/entities", "/profile/general"):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        body = await resp.text()
        assert "<home-assistant>" in body
        csp = resp.headers["Content-Security-Policy"]
        script_src = next(d for d in csp.split("; ") if d.startswith("script-src "))
        inline = _INLINE.findall(body)
        assert len(inline) == 6
        assert set(script_src.split()[2:]) == {_sha256(script) for script in inline}
        for forbidden in ("unsafe-eval", "'unsafe-inline' 'sha", "*"):
            assert forbidden not in script_src
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'"):
            assert directive in csp
        assert "frame-ancestors 'self'" in csp
        assert "{{" not in body
        assert "{%" not in body


async def test_index_before_onboarding_goes_to_onboarding(client: Client) -> None:
    resp = await client.get("/", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == "/onboarding"


async def test_unknown_first_segment_is_not_the_index(client: Client, admin_user: User) -> None:
    for path in ("/history", "/developer-tools/state", "/lovelacex", "/api/nothing"):
        resp = await client.get(path)
        assert resp.status in (401, 404), path


async def test_hashed_files_are_immutable_and_precompressed(client: Client) -> None:
    path = _hashed_file()
    plain = await client.get(path, headers={"Accept-Encoding": "identity"})
    assert plain.status == 200
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "javascript" in plain.headers["Content-Type"]
    assert "Content-Encoding" not in plain.headers
    body = await plain.read()
    brotli = await client.get(path, headers={"Accept-Encoding": "gzip, br"}, auto_decompress=False)
    assert brotli.headers["Content-Encoding"] == "br"
    assert brotli.headers["Vary"] == "Accept-Encoding"
    assert len(await brotli.read()) < len(body)
    gzipped = await client.get(path, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert gzipped.headers["Content-Encoding"] == "gzip"
    for variant in (plain, brotli):
        encoding = variant.headers.get("Content-Encoding", "identity")
        not_modified = await client.get(
            path, headers={"If-None-Match": variant.headers["ETag"], "Accept-Encoding": encoding}
        )
        assert not_modified.status == 304
    head = await client.head(path, headers={"Accept-Encoding": "identity"})
    assert head.status == 200
    assert head.headers["Content-Length"] == str(len(body))
    assert await head.read() == b""


async def test_unhashed_files_are_revalidated(client: Client) -> None:
    for path in ("/static/icons/favicon.ico", "/sw-modern.js", "/robots.txt"):
        resp = await client.get(path)
        assert resp.status == 200, path
        assert resp.headers["Cache-Control"] == "no-cache", path
        assert resp.headers["ETag"]


async def test_service_worker_may_run(client: Client) -> None:
    """default-src 'none' on the worker's script would stop it; the file policy lets it run."""
    resp = await client.get("/sw-modern.js")
    assert "javascript" in resp.headers["Content-Type"]
    csp = resp.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'self';")
    assert "connect-src 'self'" in csp
    assert "unsafe" not in csp


async def test_manifest(client: Client) -> None:
    resp = await client.get("/manifest.json")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/manifest+json"
    data = await resp.json(content_type=None)
    assert data["name"] == "Hearth"
    assert data["start_url"] == "/?homescreen=1"


@pytest.mark.parametrize(
    "path",
    [
        "/static/",
        "/static/icons",
        "/static/icons/",
        "/frontend_latest/",
        "/frontend_latest/nothing.js",
        "/static/.hidden",
        "/static/icons//favicon.ico",
        "/frontend_es5/../index.html",
        "/frontend_latest/%2e%2e/index.html",
        "/static/..%2f..%2f__init__.py",
        "/static/%252e%252e/%252e%252e/__init__.py",
        "/sw-modern.js/",
        "/static/icons\\favicon.ico",
    ],
)
async def test_path_traversal_and_listings_find_nothing(client: Client, path: str) -> None:
    resp = await client.get(path)
    assert resp.status in (400, 404), path
    body = await resp.read()
    assert b"import" not in body
    assert b"<a href" not in body


def test_path_traversal_through_a_symlink_is_refused(tmp_path: Path) -> None:
    """A link inside the tree that points out of it is not followed."""
    root = tmp_path / "root"
    (root / "static").mkdir(parents=True)
    (root / "static" / "ok.txt").write_text("fine")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (root / "static" / "link.txt").symlink_to(secret)
    (root / "static" / "dir").symlink_to(tmp_path)
    held = PackageRoot.open(root)
    try:
        found = locate(held, "static/ok.txt")
        assert found is not None
        assert found.read_text() == "fine"
        assert locate(held, "static/link.txt") is None
        assert locate(held, "static/dir/secret.txt") is None
        assert locate(held, "static") is None  # a directory is never served
    finally:
        held.close()


def test_files_are_reached_through_the_held_folder(tmp_path: Path) -> None:
    """After a move (or a privilege drop that hides the way there), the held folder still
    serves: nothing above it is looked up again."""
    root = tmp_path / "root"
    (root / "static").mkdir(parents=True)
    (root / "static" / "ok.txt").write_text("fine")
    held = PackageRoot.open(root)
    try:
        root.rename(tmp_path / "moved")
        found = locate(held, "static/ok.txt")
        assert found is not None
        assert found.read_text() == "fine"
    finally:
        held.close()


@pytest.mark.parametrize(
    "relative",
    ["../x", "a/../b", "./a", "a//b", ".env", "a/.git/config", "/etc/passwd", "a\\b", "a\x00b"],
)
def test_unsafe_names(relative: str) -> None:
    assert not safe_relative(relative)
