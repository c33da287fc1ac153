"""The cameras' numbers for /metrics, read at scrape time: frames made and dropped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, Metric

from hub.core.bus import CALLBACK_TYPE
from hub.core.hub import Hub
from hub.web.metrics import async_register_metrics

if TYPE_CHECKING:
    from . import CameraData

__all__ = ["async_register_camera_metrics"]


def async_register_camera_metrics(hub: Hub, data: CameraData) -> CALLBACK_TYPE:
    """Per camera: frames its thread decoded, and frames replaced before anyone took them."""

    def collect() -> Iterator[Metric]:
        frames = CounterMetricFamily(
            "parkhub_camera_frames", "Frames a camera's thread decoded", labels=["camera"]
        )
        dropped = CounterMetricFamily(
            "parkhub_camera_frames_dropped",
            "Frames replaced by a newer one before a consumer took them",
            labels=["camera"],
        )
        for entity_id, camera in sorted(data.cameras.items()):
            frames.add_metric([entity_id], camera.frames_read)
            dropped.add_metric([entity_id], camera.dropped_frames)
        yield frames
        yield dropped

    return async_register_metrics(hub, collect)
