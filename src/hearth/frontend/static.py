"""The pages' static files, from a fixed list read into memory at startup.

Threat: a static route that maps URL paths to files invites traversal (`..`, encoded slashes,
symlinks). Here no path is ever built from the URL: the name is looked up in a dictionary of
files chosen when the package was written.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Final

from aiohttp import hdrs, web

from hearth.http.view import public

PREFIX: Final = "/hearth-static/"
FILES: Final = {
    "hearth.css": "text/css",
    "auth.js": "text/javascript",
    "passkeys.js": "text/javascript",
    "security.css": "text/css",
    "security.js": "text/javascript",
}

_KEY_FILES: web.AppKey[dict[str, tuple[bytes, str, str]]] = web.AppKey("hearth_static_files")


def load() -> dict[str, tuple[bytes, str, str]]:
    """name -> (content, content type, ETag), from the package's static folder."""
    folder = resources.files("hearth.frontend") / "static"
    loaded = {}
    for name, content_type in FILES.items():
        body = (folder / name).read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        loaded[name] = (body, content_type, etag)
    return loaded


def setup(app: web.Application) -> None:
    """Serve FILES under PREFIX (the frontend package owns /static/)."""
    app[_KEY_FILES] = load()
    app.router.add_get(PREFIX + "{name}", static_file)


@public
async def static_file(request: web.Request) -> web.Response:
    """One of the known files, or 404."""
    found = request.app[_KEY_FILES].get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound
    body, content_type, etag = found
    headers = {hdrs.ETAG: etag, hdrs.CACHE_CONTROL: "no-cache"}
    if request.headers.get(hdrs.IF_NONE_MATCH) == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)
