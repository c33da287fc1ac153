"""The lots' numbers for /metrics, read at scrape time: frames, drops, classify time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, Metric, SummaryMetricFamily

from hub.core.bus import CALLBACK_TYPE
from hub.core.hub import Hub
from hub.web.metrics import async_register_metrics

if TYPE_CHECKING:
    from .lot import OccupancyLot

__all__ = ["async_register_occupancy_metrics"]


def async_register_occupancy_metrics(hub: Hub, lots: Mapping[str, OccupancyLot]) -> CALLBACK_TYPE:
    """Per lot: frames classified (with the time they took), dropped, slots looked at."""

    def collect() -> Iterator[Metric]:
        seconds = SummaryMetricFamily(
            "parkhub_occupancy_frame_seconds",
            "Time from a frame handed to the classifier to its readings (worker thread)",
            labels=["lot"],
        )
        dropped = CounterMetricFamily(
            "parkhub_occupancy_frames_dropped",
            "Frames skipped because the lot's previous frame was still being classified",
            labels=["lot"],
        )
        slots = CounterMetricFamily(
            "parkhub_occupancy_slots_classified",
            "Slots re-classified (only changed or unsettled ones are)",
            labels=["lot"],
        )
        for name, lot in sorted(lots.items()):
            seconds.add_metric([name], count_value=lot.frames, sum_value=lot.process_seconds)
            dropped.add_metric([name], lot.dropped)
            slots.add_metric([name], lot.classified_slots)
        yield seconds
        yield dropped
        yield slots

    return async_register_metrics(hub, collect)
