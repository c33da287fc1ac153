"""Camera sources against real servers and files: frames arrive, cameras fail and recover."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
import voluptuous as vol

from hub.core.exceptions import HubError
from hub.core.hub import Hub
from hub.integrations.camera import CONFIG_SCHEMA, Frame, async_get_camera

from .conftest import FrameServer, setup_cameras, state_of, wait_until


def brightness_number(frame: Frame) -> int:
    """Undo `numbered_jpeg`: the frame's number from its background brightness."""
    corner = float(frame.image[5:40, 5:40].mean())
    return round((corner - 10) / 10)


@pytest.mark.parametrize("length", ["1", "0"], ids=["content-length", "boundary-only"])
async def test_mjpeg_frames_reach_a_subscriber(
    hub: Hub, frame_server: FrameServer, length: str
) -> None:
    await setup_cameras(
        hub, {"id": "gate", "source": "mjpeg", "url": frame_server.url(f"/stream?length={length}")}
    )
    camera = await async_get_camera(hub, "camera.gate")
    frames: list[Frame] = []
    unsubscribe = camera.async_subscribe_frames(frames.append, fps=10)
    await wait_until(lambda: len(frames) >= 4)
    unsubscribe()

    assert frames[0].image.shape == (240, 320, 3)
    assert frames[0].image.dtype == np.uint8
    assert [f.seq for f in frames] == sorted({f.seq for f in frames})
    # Consecutive server frames differ in brightness; the camera hands over real pictures.
    numbers = [brightness_number(f) for f in frames]
    assert len(set(numbers)) > 1
    assert camera.latest_frame is frames[-1]
    state = hub.states.get("camera.gate")
    assert state is not None
    assert state.state == "idle"  # nobody subscribed any more
    assert state.attributes["resolution"] == "320x240"
    assert state.attributes["source"] == "mjpeg"


async def test_state_is_streaming_while_subscribed(hub: Hub, frame_server: FrameServer) -> None:
    await setup_cameras(hub, {"id": "gate", "source": "mjpeg", "url": frame_server.url("/stream")})
    await wait_until(lambda: state_of(hub, "camera.gate") == "idle")
    camera = await async_get_camera(hub, "camera.gate")
    unsubscribe = camera.async_subscribe_frames(lambda frame: None, fps=2)
    assert state_of(hub, "camera.gate") == "streaming"
    unsubscribe()
    assert state_of(hub, "camera.gate") == "idle"


async def test_subscriber_gets_at_most_its_rate(hub: Hub, frame_server: FrameServer) -> None:
    frame_server.fps = 25
    await setup_cameras(hub, {"id": "gate", "source": "mjpeg", "url": frame_server.url("/stream")})
    camera = await async_get_camera(hub, "camera.gate")
    fast: list[Frame] = []
    slow: list[Frame] = []
    await wait_until(lambda: camera.available)
    unsub_fast = camera.async_subscribe_frames(fast.append, fps=10)
    unsub_slow = camera.async_subscribe_frames(slow.append, fps=2)
    await asyncio.sleep(1.5)
    unsub_fast()
    unsub_slow()
    assert 6 <= len(fast) <= 17
    assert 2 <= len(slow) <= 4


async def test_slow_consumer_gets_latest_frame_and_drops_are_counted(
    hub: Hub, frame_server: FrameServer
) -> None:
    frame_server.fps = 25
    await setup_cameras(hub, {"id": "gate", "source": "mjpeg", "url": frame_server.url("/stream")})
    camera = await async_get_camera(hub, "camera.gate")
    seen: list[int] = []
    running = 0
    overlapped = False

    async def slow(frame: Frame) -> None:
        nonlocal running, overlapped
        running += 1
        overlapped |= running > 1
        seen.append(frame.seq)
        await asyncio.sleep(0.3)
        running -= 1

    unsubscribe = camera.async_subscribe_frames(slow, fps=25)
    await asyncio.sleep(1.6)
    unsubscribe()
    await hub.async_block_till_done()

    assert not overlapped
    assert 2 <= len(seen) <= 7  # one frame per 0.3 s, not a growing backlog
    # What it got next was always a recent frame, many numbers later, not the next in line.
    assert all(b - a >= 2 for a, b in itertools.pairwise(seen))
    assert camera.dropped_frames >= 5


async def test_camera_that_drops_becomes_unavailable_and_comes_back(
    hub: Hub, frame_server: FrameServer, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_cameras(hub, {"id": "gate", "source": "mjpeg", "url": frame_server.url("/stream")})
    camera = await async_get_camera(hub, "camera.gate")
    frames: list[Frame] = []
    camera.async_subscribe_frames(frames.append, fps=10)
    await wait_until(lambda: state_of(hub, "camera.gate") == "streaming" and len(frames) > 2)

    frame_server.down = True
    await wait_until(lambda: state_of(hub, "camera.gate") == "unavailable")
    assert "camera.gate is unavailable" in caplog.text
    assert "the stream ended" in caplog.text
    # Retried with backoff: each try's reason is kept.
    await wait_until(lambda: "HTTP 503" in (camera.error or ""))

    frame_server.down = False
    count = len(frames)
    await wait_until(lambda: state_of(hub, "camera.gate") == "streaming")
    await wait_until(lambda: len(frames) > count + 2)
    assert camera.error is None


async def test_unreachable_camera_is_unavailable_with_the_reason(hub: Hub) -> None:
    await setup_cameras(
        hub, {"id": "nowhere", "source": "snapshot", "url": "http://127.0.0.1:9/snap.jpg"}
    )
    camera = await async_get_camera(hub, "camera.nowhere")
    await wait_until(lambda: camera.error is not None)
    assert camera.error is not None
    assert state_of(hub, "camera.nowhere") == "unavailable"
    assert "127.0.0.1:9" in camera.error


async def test_snapshot_url_is_polled(hub: Hub, frame_server: FrameServer) -> None:
    await setup_cameras(
        hub,
        {
            "id": "still",
            "source": "snapshot",
            "url": frame_server.url("/snapshot.jpg"),
            "interval": 0.1,
        },
    )
    camera = await async_get_camera(hub, "camera.still")
    frames: list[Frame] = []
    camera.async_subscribe_frames(frames.append, fps=50)
    await asyncio.sleep(0.55)
    # The poll interval caps the rate even though the consumer asked for more.
    assert 2 <= len(frames) <= 7
    assert frames[0].image.shape == (240, 320, 3)


async def test_snapshot_url_that_is_not_an_image(hub: Hub, frame_server: FrameServer) -> None:
    await setup_cameras(
        hub,
        {
            "id": "login",
            "source": "snapshot",
            "url": frame_server.url("/snapshot.jpg?garbage=1"),
            "interval": 0.02,
        },
    )
    camera = await async_get_camera(hub, "camera.login")
    camera.async_subscribe_frames(lambda frame: None, fps=50)
    await wait_until(lambda: camera.error is not None)
    assert camera.error is not None
    assert "not a JPEG/PNG image" in camera.error
    assert state_of(hub, "camera.login") == "unavailable"


def write_video(path: Path, frames: int, fps: float, codec: str = "MJPG") -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*codec), fps, (160, 120))
    for number in range(frames):
        writer.write(np.full((120, 160, 3), 10 + 10 * number, np.uint8))
    writer.release()


@pytest.mark.parametrize(("name", "codec"), [("lot.avi", "MJPG"), ("lot.mp4", "mp4v")])
async def test_file_loops_at_the_set_fps(hub: Hub, name: str, codec: str) -> None:
    path = hub.config_dir / name
    await asyncio.to_thread(write_video, path, 4, 2.0, codec)
    await setup_cameras(hub, {"id": "video", "source": "file", "path": name, "fps": 20})
    camera = await async_get_camera(hub, "camera.video")
    frames: list[Frame] = []
    camera.async_subscribe_frames(frames.append, fps=20)
    await wait_until(lambda: len(frames) >= 10, within=3)
    numbers = [brightness_number(f) for f in frames]
    # 0,1,2,3,0,1,... in order (a loaded machine may skip one), and again from the start
    # after the last frame.
    steps = [(b - a) % 4 for a, b in itertools.pairwise(numbers)]
    assert set(steps) <= {1, 2}, numbers
    assert any(b < a for a, b in itertools.pairwise(numbers)), numbers


async def test_file_plays_at_its_own_fps(hub: Hub) -> None:
    path = hub.config_dir / "lot.avi"
    await asyncio.to_thread(write_video, path, 4, 5.0)
    await setup_cameras(hub, {"id": "video", "source": "file", "path": "lot.avi"})
    camera = await async_get_camera(hub, "camera.video")
    frames: list[Frame] = []
    camera.async_subscribe_frames(frames.append, fps=30)
    await asyncio.sleep(1.0)
    assert 3 <= len(frames) <= 7


async def test_missing_file_is_named(hub: Hub) -> None:
    await setup_cameras(hub, {"id": "video", "source": "file", "path": "missing.mp4"})
    camera = await async_get_camera(hub, "camera.video")
    await wait_until(lambda: camera.error is not None)
    assert camera.error is not None
    assert "video file not found" in camera.error
    assert "missing.mp4" in camera.error


async def test_unknown_camera_is_named(hub: Hub) -> None:
    await setup_cameras(hub)
    with pytest.raises(HubError, match=r"unknown camera 'camera\.nope'"):
        await async_get_camera(hub, "camera.nope")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "a", "source": "mjpeg"}, "required by source mjpeg"),
        ({"id": "a", "source": "rtsp", "url": "http://x.local/"}, "needs an rtsp:// URL"),
        ({"id": "a", "source": "file", "path": "x.mp4", "url": "http://x.local/"}, "not used"),
        ({"id": "a", "source": "webcam"}, "expected one of mjpeg"),
        ({"id": "Front Gate", "source": "usb", "device": 0}, "invalid slug"),
        ({"id": "a", "source": "usb", "device": 0, "fps": 0}, "above zero"),
    ],
)
def test_bad_camera_config_says_what_is_wrong(entry: dict[str, object], message: str) -> None:
    with pytest.raises(vol.Invalid, match=message):
        CONFIG_SCHEMA({"cameras": [entry]})


def test_duplicate_camera_ids_are_refused() -> None:
    entry = {"id": "a", "source": "usb", "device": 0}
    with pytest.raises(vol.Invalid, match="used twice"):
        CONFIG_SCHEMA({"cameras": [entry, entry]})


async def test_rtsp_camera_that_refuses_is_unavailable(hub: Hub, unused_tcp_port: int) -> None:
    url = f"rtsp://127.0.0.1:{unused_tcp_port}/live"
    await setup_cameras(hub, {"id": "rtsp", "source": "rtsp", "url": url})
    camera = await async_get_camera(hub, "camera.rtsp")
    await wait_until(lambda: camera.error is not None)
    assert camera.error is not None
    assert camera.error == f"cannot open {url}"
    assert state_of(hub, "camera.rtsp") == "unavailable"


async def test_camera_with_a_password(hub: Hub, frame_server: FrameServer) -> None:
    url = frame_server.url("/private")
    await setup_cameras(
        hub,
        {"id": "good", "source": "mjpeg", "url": url, "username": "admin", "password": "secret"},
        {"id": "bad", "source": "mjpeg", "url": url, "username": "admin", "password": "wrong"},
    )
    good = await async_get_camera(hub, "camera.good")
    bad = await async_get_camera(hub, "camera.bad")
    await wait_until(lambda: good.latest_frame is not None and bad.error is not None)
    assert bad.error is not None
    assert "HTTP 401" in bad.error
    assert "check username and password" in bad.error
    assert state_of(hub, "camera.bad") == "unavailable"


async def test_a_camera_that_stays_down_is_retried_less_and_less_often(
    hub: Hub, frame_server: FrameServer
) -> None:
    frame_server.down = True
    await setup_cameras(hub, {"id": "gate", "source": "mjpeg", "url": frame_server.url("/stream")})
    await asyncio.sleep(1.0)
    # Backoff 0.05, 0.1, 0.2, 0.2 ... s here (1 s doubling to a minute in a real hub):
    # a handful of tries in a second, not a tight loop.
    assert 3 <= frame_server.requests <= 9


async def test_an_idle_camera_decodes_almost_nothing(hub: Hub, frame_server: FrameServer) -> None:
    frame_server.fps = 25
    await setup_cameras(hub, {"id": "gate", "source": "mjpeg", "url": frame_server.url("/stream")})
    camera = await async_get_camera(hub, "camera.gate")
    await wait_until(lambda: camera.latest_frame is not None)
    served = frame_server.served
    await asyncio.sleep(1.0)
    assert frame_server.served - served >= 10  # the stream kept coming ...
    assert camera.latest_frame is not None
    assert camera.latest_frame.seq == 1  # ... but nobody asked, so one frame was decoded
    assert state_of(hub, "camera.gate") == "idle"
