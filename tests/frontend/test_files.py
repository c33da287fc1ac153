"""The panel's files as the hub serves them: no build step, small, all there, gzipped."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from aiohttp import web

from hub.core.hub import Hub
from hub.frontend import FRONTEND_DIR, PAGES, load_files
from tests.web.conftest import AiohttpClient

VENDOR_BUDGET = 250 * 1024


def test_vendored_code_is_pinned_licensed_and_small() -> None:
    vendor = FRONTEND_DIR / "vendor"
    size = sum(path.stat().st_size for path in vendor.rglob("*") if path.is_file())
    assert size < VENDOR_BUDGET
    versions = json.loads((vendor / "VERSIONS.json").read_text())
    assert set(versions) == {"lit", "lit-html", "lit-element", "@lit/reactive-element"}
    for name, pin in versions.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", pin["version"])
        assert pin["license"] == "BSD-3-Clause"
        assert (vendor / name / "LICENSE").is_file()


def test_every_module_the_import_map_and_service_worker_name_exists() -> None:
    files = load_files()
    index = (FRONTEND_DIR / "index.html").read_text()
    found = re.search(r'<script type="importmap">(.*?)</script>', index, re.S)
    assert found, "index.html has no import map"
    import_map = json.loads(found[1])
    for target in import_map["imports"].values():
        assert target.endswith("/") or target in files, target
    for preload in re.findall(r'rel="modulepreload" href="([^"]+)"', index):
        assert preload in files, preload
    shell = re.search(r"const SHELL = \[(.*?)\];", (FRONTEND_DIR / "sw.js").read_text(), re.S)
    assert shell is not None
    for url in re.findall(r'"([^"]+)"', shell[1]):
        assert url == "/" or url in files, url
    # Every relative import of every module resolves to a served file.
    for url, item in files.items():
        if not url.endswith(".js") or "/vendor/" in url or url == "/sw.js":
            continue
        for target in re.findall(r'from "(\.[^"]+)"|import\("(\.[^"]+)"\)', item.body.decode()):
            relative = next(part for part in target if part)
            resolved = (Path(url).parent / relative).resolve().as_posix()
            assert resolved in files, f"{url} imports {relative}"


async def test_pages_and_files_are_served_gzipped(
    hub: Hub, app: web.Application, aiohttp_client: AiohttpClient
) -> None:
    client = await aiohttp_client(app)  # no credentials: the shell is public, it holds no data
    for page in PAGES:
        response = await client.get(page, headers={"Accept-Encoding": "gzip"})
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        assert "ph-app" in await response.text()
    response = await client.get(
        "/frontend/static/app.js", headers={"Accept-Encoding": "gzip"}, auto_decompress=False
    )
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(await response.read())
    assert b"customElements.define" in body
    again = await client.get(
        "/frontend/static/app.js", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status == 304
    assert (await client.get("/sw.js")).headers["Content-Type"].startswith("text/javascript")
    manifest = await (await client.get("/manifest.webmanifest")).json(content_type=None)
    assert manifest["start_url"] == "/"
    missing = await client.get("/frontend/static/nope.js")
    assert missing.status == 404
    assert (await client.get("/frontend/../__init__.py")).status == 404
