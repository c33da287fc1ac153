"""The panel: a few static files served at `/`, talking to the hub over REST and WebSocket.

The panel is Lit web components loaded as ES modules through an import map, with Lit
vendored under `vendor/` (scripts/vendor-frontend), so there is no build step: what is
in this folder is what the browser runs. The files are read once (in a worker thread,
at the first request) and kept in memory with their gzip form, so a page load is a dict
lookup and a phone on the lot's Wi-Fi pulls the compressed bytes.

Every page path (`/`, `/lot`, `/gates`, ...) answers the same shell, `index.html`; the
panel routes on the client. Which pages a role may open is the panel's to hide and the
API's to enforce: the shell itself holds no data.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aiohttp import web

__all__ = ["FRONTEND_DIR", "PAGES", "async_register_frontend", "load_files"]

FRONTEND_DIR: Final = Path(__file__).parent
# Client-side routes: each answers the shell, so a typed or bookmarked URL works.
PAGES: Final = (
    "/",
    "/lot",
    "/cameras",
    "/gates",
    "/plates",
    "/sessions",
    "/home",
    "/notifications",
    "/login",
    "/onboarding",
)
_SERVED: Final = frozenset({".html", ".js", ".css", ".json", ".svg", ".webmanifest", ".png"})
_TYPES: Final = {
    ".js": "text/javascript",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
}
# Below this, gzip's header costs more than it saves.
_MIN_GZIP: Final = 256


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One file of the panel, as sent: its bytes, their gzip form, type and ETag."""

    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str


def _content_type(path: Path) -> str:
    return _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"


def load_files(root: Path = FRONTEND_DIR) -> dict[str, StaticFile]:
    """Every servable file under `root`, keyed by its URL path (blocking: executor)."""
    files: dict[str, StaticFile] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in _SERVED:
            continue
        body = path.read_bytes()
        packed = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= _MIN_GZIP else None
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16] + '"'
        relative = path.relative_to(root).as_posix()
        files["/frontend/" + relative] = StaticFile(body, packed, _content_type(path), etag)
    # The service worker must come from the root to control every page.
    if "/frontend/sw.js" in files:
        files["/sw.js"] = files["/frontend/sw.js"]
    if "/frontend/manifest.webmanifest" in files:
        files["/manifest.webmanifest"] = files["/frontend/manifest.webmanifest"]
    return files


class _Files:
    """The loaded files of one app, read at the first request (in a worker thread)."""

    def __init__(self) -> None:
        self.files: dict[str, StaticFile] | None = None
        self.lock = asyncio.Lock()

    async def async_get(self) -> dict[str, StaticFile]:
        if self.files is None:
            async with self.lock:
                if self.files is None:
                    loop = asyncio.get_running_loop()
                    self.files = await loop.run_in_executor(None, load_files)
        return self.files


_FILES_KEY: Final = web.AppKey("frontend_files", _Files)


async def _async_files(request: web.Request) -> dict[str, StaticFile]:
    return await request.app[_FILES_KEY].async_get()


def _send(request: web.Request, item: StaticFile, cache: str) -> web.Response:
    headers = {"ETag": item.etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    if request.headers.get("If-None-Match") == item.etag:
        return web.Response(status=304, headers=headers)
    body = item.body
    if item.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = item.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers=headers, content_type=item.content_type)


async def _shell(request: web.Request) -> web.Response:
    """The one HTML page, for every client-side route; always revalidated."""
    files = await _async_files(request)
    return _send(request, files["/frontend/index.html"], "no-cache")


async def _static(request: web.Request) -> web.Response:
    files = await _async_files(request)
    item = files.get(request.path)
    if item is None:
        raise web.HTTPNotFound()
    # Revalidated with the ETag (a 304 costs a round trip, no body): the panel has no
    # build step to put hashes in file names, and a stale module after an upgrade is
    # worse than a conditional request.
    return _send(request, item, "no-cache")


def async_register_frontend(app: web.Application) -> None:
    """Serve the panel's shell at every page path and its files under `/frontend/`."""
    app[_FILES_KEY] = _Files()
    for page in PAGES:
        app.router.add_get(page, _shell)
    app.router.add_get("/frontend/{path:.+}", _static)
    app.router.add_get("/sw.js", _static)
    app.router.add_get("/manifest.webmanifest", _static)
