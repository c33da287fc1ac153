"""Cameras added at run time and those adopted from discovery (cameras_adopted.json)."""

from __future__ import annotations

import asyncio
import json

import pytest

from hub.core.exceptions import HubError, ServiceValidationError
from hub.core.hub import Hub
from hub.integrations.camera import async_add_camera, async_get_camera
from tests.conftest import LogGuard

from .conftest import FrameServer, setup_cameras, state_of, wait_until


async def test_adopted_cameras_are_merged_and_yaml_wins(
    hub: Hub, frame_server: FrameServer, log_guard: LogGuard, caplog: pytest.LogCaptureFixture
) -> None:
    adopted = {
        "cameras": [
            {"id": "gate", "source": "snapshot", "url": frame_server.url("/snapshot.jpg")},
            {"id": "side", "source": "snapshot", "url": frame_server.url("/snapshot.jpg")},
            {"id": "broken", "source": "mjpeg"},
        ]
    }
    path = hub.data_dir / "cameras_adopted.json"
    await asyncio.to_thread(path.write_text, json.dumps(adopted))

    await setup_cameras(hub, {"id": "gate", "source": "mjpeg", "url": frame_server.url("/stream")})

    gate = await async_get_camera(hub, "camera.gate")
    assert gate.config.source == "mjpeg"  # the YAML camera, not the adopted one
    side = await async_get_camera(hub, "camera.side")
    await wait_until(lambda: side.latest_frame is not None)
    assert "cameras[2]: url: required by source mjpeg" in caplog.text
    with pytest.raises(HubError):
        await async_get_camera(hub, "camera.broken")


async def test_add_camera_live(hub: Hub, frame_server: FrameServer) -> None:
    await setup_cameras(hub)
    entity_id = await async_add_camera(
        hub, {"id": "new_one", "source": "mjpeg", "url": frame_server.url("/stream")}
    )
    assert entity_id == "camera.new_one"
    await wait_until(lambda: state_of(hub, "camera.new_one") == "idle")

    with pytest.raises(HubError, match=r"camera\.new_one already exists"):
        await async_add_camera(
            hub, {"id": "new_one", "source": "mjpeg", "url": frame_server.url("/stream")}
        )
    with pytest.raises(ServiceValidationError, match="url"):
        await async_add_camera(hub, {"id": "other", "source": "snapshot"})
