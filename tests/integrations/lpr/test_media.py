"""Saved plate pictures: written per pass, pruned by age and count, served safely."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.integrations import lpr
from hub.integrations.lpr.media import prune, save_pass
from hub.web import create_app, create_token
from tests.web.conftest import AiohttpClient

from .lpr_setup import use_shared_engine


def _save(root: Path, count: int, age_days: float) -> list[Path]:
    image = np.full((120, 200, 3), 200, np.uint8)
    paths = []
    for index in range(count):
        stamp = time.time() - age_days * 86400 + index
        snapshot, crop = save_pass(root, image, (50, 40, 100, 30), "camera.entry", "AB12", stamp)
        assert crop is not None
        for path in (snapshot, crop):
            os.utime(path, (stamp, stamp))
        paths += [snapshot, crop]
    return paths


def test_retention_by_age_and_count(tmp_path: Path) -> None:
    old = _save(tmp_path, 2, age_days=10)
    recent = _save(tmp_path, 3, age_days=1)
    assert prune(tmp_path, keep_days=7, max_files=0) == len(old)
    assert not any(path.exists() for path in old)
    assert not old[0].parent.exists()  # the emptied day folder goes too
    assert prune(tmp_path, keep_days=7, max_files=4) == 2
    assert [path.exists() for path in recent] == [False, False, True, True, True, True]
    assert prune(tmp_path, keep_days=0, max_files=0) == 0


def test_the_crop_is_the_plate_with_a_margin(tmp_path: Path) -> None:
    import cv2

    image = np.zeros((120, 200, 3), np.uint8)
    snapshot, crop = save_pass(tmp_path, image, (50, 40, 100, 30), "camera.exit", "XY99ZZZ", 0)
    assert snapshot.parent.name == "1970-01-01"
    assert "camera_exit_XY99ZZZ" in snapshot.name
    assert crop is not None
    picture = cv2.imread(str(crop))
    assert picture is not None
    assert picture.shape[:2] == (30 + 2 * 4, 100 + 2 * 15)


@pytest.fixture
async def client(
    hub: Hub, aiohttp_client: AiohttpClient, monkeypatch: pytest.MonkeyPatch
) -> TestClient[Any, Any]:
    await use_shared_engine(monkeypatch)
    token = await asyncio.to_thread(create_token, hub.data_dir, "test")
    app = create_app(hub)
    assert await lpr.async_setup(hub, lpr.CONFIG_SCHEMA({}))
    client: TestClient[Any, Any] = await aiohttp_client(
        app, headers={"Authorization": f"Bearer {token}"}
    )
    return client


async def test_pictures_are_served_and_nothing_else(
    hub: Hub, client: TestClient[Any, Any], tmp_path: Path
) -> None:
    root = hub.data_dir / "lpr"
    [snapshot, _crop] = await asyncio.to_thread(_save, root, 1, 0)
    await asyncio.to_thread((tmp_path / "secret.txt").write_text, "no")
    relative = snapshot.relative_to(root).as_posix()
    response = await client.get(f"/api/lpr/media/{relative}")
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert (await response.read())[:2] == b"\xff\xd8"
    for path in ("../../secret.txt", "..%2F..%2Fsecret.txt", "2026-01-01/none.jpg", "."):
        response = await client.get(f"/api/lpr/media/{path}")
        assert response.status == 404, path
        assert "error" in await response.json()
