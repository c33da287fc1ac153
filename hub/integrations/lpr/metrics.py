"""The plate reader's numbers for /metrics: reads, their time, and plates by outcome.

Frame reads and their time are read from each camera's watcher at scrape time; plates
are counted from `plate_detected` (rare: one per vehicle pass) by list outcome. Label
values come only from known cameras and outcomes, so an event fired over the API with
made-up fields cannot grow the label set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from prometheus_client.core import CounterMetricFamily, Metric, SummaryMetricFamily

from hub.core.bus import CALLBACK_TYPE, Event
from hub.web.metrics import async_register_metrics

from .const import EVENT_PLATE_DETECTED

if TYPE_CHECKING:
    from .runtime import LprRuntime

__all__ = ["async_register_lpr_metrics"]

_OUTCOMES: Final = frozenset({"allow", "block", "none"})


def async_register_lpr_metrics(runtime: LprRuntime) -> list[CALLBACK_TYPE]:
    """Start counting; returns the callables that stop it."""
    hub, watchers = runtime.hub, runtime.watchers
    plates: Counter[tuple[str, str]] = Counter()

    def count(event: Event) -> None:
        camera, listed = event.data.get("camera"), event.data.get("listed")
        plates[
            camera if camera in watchers else "other", listed if listed in _OUTCOMES else "other"
        ] += 1

    def collect() -> Iterator[Metric]:
        seconds = SummaryMetricFamily(
            "parkhub_lpr_read_seconds",
            "Time of a frame's plate read (worker thread), per camera",
            labels=["camera"],
        )
        reads = CounterMetricFamily(
            "parkhub_lpr_frame_reads",
            "Frames read for plates, by whether a plate was found",
            labels=["camera", "outcome"],
        )
        for camera, watcher in sorted(watchers.items()):
            seconds.add_metric([camera], count_value=watcher.reads, sum_value=watcher.read_seconds)
            reads.add_metric([camera, "plate"], watcher.reads_with_plate)
            reads.add_metric([camera, "no_plate"], watcher.reads - watcher.reads_with_plate)
        reported = CounterMetricFamily(
            "parkhub_lpr_plates",
            "Plates reported (one per vehicle pass), by list outcome: allow, block or none",
            labels=["camera", "outcome"],
        )
        for (camera, outcome), value in sorted(plates.items()):
            reported.add_metric([camera, outcome], value)
        yield seconds
        yield reads
        yield reported

    return [
        hub.bus.async_listen(EVENT_PLATE_DETECTED, count),
        async_register_metrics(hub, collect),
    ]
