"""Serving Home Assistant's frontend package: the index page for `/` and every panel path, its
files, the service worker, the web app manifest and robots.txt. All public (the frontend logs
in by itself, over the API); none of them ever counts toward a ban.

Threat: a route that maps URL paths to files invites traversal (`..`, encoded slashes, symlinks
out of the tree). Names are checked segment by segment, then looked up one folder at a time from
the package's folder, following no link, and must end at a regular file; anything else is a 404.
There are no directory listings.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter

from hearth.auth.views import KEY_ONBOARDING
from hearth.frontend.ha_index import THEME_COLOR, IndexPage, load_index, package_root
from hearth.frontend.panels import PANELS
from hearth.http.headers import CSP, dashboard_csp, frontend_file_csp
from hearth.http.keys import KEY_CONFIG
from hearth.http.view import json_bytes, public

# Folders served as trees, and whether every file in them has a content hash in its name.
TREES: Final = {"frontend_latest": True, "frontend_es5": True, "static": False}
SINGLE_FILES: Final = ("sw-modern.js", "robots.txt")
IMMUTABLE: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"
MAX_PATH: Final = 512
_SEGMENT: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$")
# A content hash in a file name (frontend_latest/app.29d5c4747883200a.js).
_HASHED_NAME: Final = re.compile(r"\.[0-9a-f]{16}\.")

MANIFEST: Final = {
    "background_color": "#FFFFFF",
    "description": "Hearth, a home-automation hub that is secure by default.",
    "dir": "ltr",
    "display": "standalone",
    "icons": [
        {
            "src": f"/static/icons/favicon-{size}x{size}.png",
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any",
        }
        for size in (192, 384, 512, 1024)
    ],
    "lang": "en-US",
    "name": "Hearth",
    "short_name": "Hearth",
    "start_url": "/?homescreen=1",
    "id": "/?homescreen=1",
    "theme_color": THEME_COLOR,
}


@dataclass(frozen=True, slots=True)
class Served:
    """What start-up prepared: the package's folder, the page in two encodings, the policies."""

    root: PackageRoot
    index: IndexPage
    index_gzip: bytes
    page_csp: str
    file_csp: str
    manifest: bytes


KEY_SERVED: web.AppKey[Served] = web.AppKey("hearth_frontend_served")


def public_paths() -> list[str]:
    """The route patterns this module adds (the public routes' documented list checks them)."""
    paths = ["/", "/manifest.json", *(f"/{name}" for name in SINGLE_FILES)]
    paths += [f"/{tree}/{{path}}" for tree in TREES]
    for url_path in PANELS:
        paths += [f"/{url_path}", f"/{url_path}/{{tail}}"]
    return paths


def setup(app: web.Application) -> None:
    """Render the index, compute its policy and add the routes."""
    index = load_index()
    config = app.get(KEY_CONFIG)
    frame_options = config.http.use_x_frame_options if config is not None else True
    root = PackageRoot.open(package_root())
    app.on_cleanup.append(root.close_on_cleanup)
    app[KEY_SERVED] = Served(
        root=root,
        index=index,
        index_gzip=gzip.compress(index.html, mtime=0),
        page_csp=dashboard_csp(index.script_hashes, frame_options=frame_options),
        file_csp=frontend_file_csp(frame_options=frame_options),
        manifest=json_bytes(MANIFEST),
    )
    router = app.router
    router.add_get("/", index_page)
    for url_path in PANELS:
        router.add_get(f"/{url_path}", index_page)
        router.add_get(f"/{url_path}/{{tail:.*}}", index_page)
    router.add_get("/manifest.json", manifest)
    for name in SINGLE_FILES:
        router.add_get(f"/{name}", single_file)
    for tree in TREES:
        router.add_get(f"/{tree}/{{path:.+}}", tree_file)


@public
async def index_page(request: web.Request) -> web.Response:
    """The dashboard's page (the frontend routes within it); the owner is created first."""
    if not request.app[KEY_ONBOARDING].done:
        raise web.HTTPFound("/onboarding")
    served = request.app[KEY_SERVED]
    headers = {CSP: served.page_csp, hdrs.CACHE_CONTROL: REVALIDATE, hdrs.VARY: "Accept-Encoding"}
    body = served.index.html
    if "gzip" in request.headers.get(hdrs.ACCEPT_ENCODING, "").lower():
        body = served.index_gzip
        headers[hdrs.CONTENT_ENCODING] = "gzip"
    return web.Response(body=body, content_type="text/html", charset="utf-8", headers=headers)


@public
async def manifest(request: web.Request) -> web.Response:
    """The web app manifest (name, icons, start page)."""
    return web.Response(
        body=request.app[KEY_SERVED].manifest,
        content_type="application/manifest+json",
        headers={hdrs.CACHE_CONTROL: REVALIDATE},
    )


@public
async def single_file(request: web.Request) -> web.StreamResponse:
    """/sw-modern.js and /robots.txt; never cached without asking (a new worker must arrive)."""
    name = request.path.lstrip("/")
    return await _serve(request, name, immutable=False)


@public
async def tree_file(request: web.Request) -> web.StreamResponse:
    """A file of frontend_latest, frontend_es5 or static."""
    tree = request.path.split("/", 2)[1]
    relative = f"{tree}/{request.match_info['path']}"
    hashed = TREES[tree] and _HASHED_NAME.search(relative.rsplit("/", 1)[-1]) is not None
    return await _serve(request, relative, immutable=hashed)


def safe_relative(relative: str) -> bool:
    """Whether a relative name is made only of ordinary segments (no `..`, no hidden files,
    no empty segments, no backslashes or control characters)."""
    if len(relative) > MAX_PATH:
        return False
    return all(_SEGMENT.match(segment) for segment in relative.split("/"))


class PackageRoot:
    """The frontend package's folder, held open as a directory descriptor.

    Threat model note: a hub started as root gives root up after start-up (hearth.privileges),
    and its checkout may sit where its own user cannot enter (under /root). Files are found
    relative to this descriptor, opened while still root, and served through /proc/self/fd,
    so only the package's own folders (world-readable) need to be readable by the hub's user.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def open(cls, path: Path) -> PackageRoot:
        """Hold `path` open (a directory; links are not followed)."""
        flags = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        return cls(os.open(path, flags))

    def path(self, relative: str) -> Path:
        """A path that reaches `relative` through the held descriptor."""
        return Path(f"/proc/self/fd/{self.fd}") / relative

    def close(self) -> None:
        """Release the descriptor (idempotent)."""
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)

    async def close_on_cleanup(self, _app: web.Application) -> None:
        """aiohttp cleanup hook."""
        self.close()


def locate(root: PackageRoot, relative: str) -> Path | None:
    """The file for `relative` inside `root`, or None; follows no link at all."""
    if not safe_relative(relative):
        return None
    *folders, name = relative.split("/")
    opened: list[int] = []
    current = root.fd
    try:
        for folder in folders:
            flags = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
            current = os.open(folder, flags, dir_fd=current)
            opened.append(current)
        found = os.stat(name, dir_fd=current, follow_symlinks=False)
    except OSError:
        return None
    finally:
        for fd in opened:
            os.close(fd)
    if not stat.S_ISREG(found.st_mode):
        return None
    return root.path(relative)


async def _serve(request: web.Request, relative: str, *, immutable: bool) -> web.StreamResponse:
    served = request.app[KEY_SERVED]
    loop = asyncio.get_running_loop()
    path = await loop.run_in_executor(None, locate, served.root, relative)
    if path is None:
        raise web.HTTPNotFound
    headers = {
        CSP: served.file_csp,
        hdrs.CACHE_CONTROL: IMMUTABLE if immutable else REVALIDATE,
    }
    # Precompressed .br/.gz siblings are sent when accepted; ETag/304, Range and HEAD included.
    return _FileResponse(path, headers=headers)


class _FileResponse(web.FileResponse):
    """A file response that never hands a TLS connection to asyncio's sendfile.

    Over TLS there is no zero-copy sendfile anyway, and asyncio's own fallback fails with an
    AttributeError when the client goes away in the middle of the file (Python 3.11: the SSL
    protocol is gone when it restores the transport's protocol). aiohttp's chunked fallback
    handles the same disconnect cleanly.
    """

    async def _sendfile(
        self, request: web.BaseRequest, fobj: IO[Any], offset: int, count: int
    ) -> AbstractStreamWriter:
        transport = request.transport
        if transport is None or transport.get_extra_info("sslcontext") is None:
            return await super()._sendfile(request, fobj, offset, count)
        writer = await web.StreamResponse.prepare(self, request)
        if writer is None:
            raise ConnectionResetError("Connection lost")
        return await self._sendfile_fallback(writer, fobj, offset, count)
