"""How fast the demo lot's plates are reported: `plate_detected` latency from the car
coming into view of a lane camera to the event, through the whole hub.

    python bench/lpr_demo.py --cars 4

Builds the hub from the bundled config.yaml in this process, as `parkhub run` does (a
copy with free loopback ports, discovery off and a temporary data dir), and waits for
`--cars` plate events. Each event is matched to the demo's ground truth (the visit with
that plate in that lane) and timed from two moments, on the hub clock:

- `car_in_view`: the moment the car comes into the lane camera's view (the camera faces
  the oncoming cars, which drive in at the top of the picture, front plate first),
- `plate_in_view`: the first moment its whole plate is inside the frame.

Prints one JSON object: per-event figures, medians of both latencies, whether the read
plate is the ground truth, the number of reads the cameras made, and the peak RSS of the
process (the hub). The target is `plate_detected` within 300 ms of the car coming into view.

`--det-limit max` builds the rapidocr engine with `Det.limit_type: max` instead of the
engine's setting (rapidocr's default `min` scales a small lane zone up until its short
side is 736 px, which makes each read about nine times slower here): what the pipeline's
latency becomes with a faster reader, measured, not shipped. `--detect-side N` builds the
readers with that `detect_side` (the text detector's fallback input size; measured, not
shipped). `--malloc-arenas glibc` leaves glibc's malloc arenas uncapped (`parkhub run`
caps them at two), to measure what the cap saves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import free_port, peak_rss_mb  # noqa: E402
from hub.bootstrap import async_build_hub, load  # noqa: E402
from hub.core.bus import Event  # noqa: E402
from hub.memory import limit_malloc_arenas  # noqa: E402
from hub.yaml_loader import load_yaml  # noqa: E402

STEP = 0.01  # seconds between ground-truth looks when finding the moments of a passage


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _write_config(folder: Path, arrivals: float | None) -> Path:
    config = _plain(load_yaml(ROOT / "config.yaml"))
    config["hub"]["port"] = free_port()
    config["mqtt"]["embedded"] = {"host": "127.0.0.1", "port": free_port()}
    config.pop("discovery", None)
    for lot in config["occupancy"]["lots"].values():
        for key in ("slots_file", "model"):
            lot[key] = str(ROOT / lot[key])
    if arrivals is not None:
        config["demo"]["arrivals_per_hour"] = arrivals
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _use_det_limit(limit_type: str) -> None:
    """Have the lpr integration build its rapidocr engine with this `Det.limit_type`."""
    from rapidocr import RapidOCR

    import hub.integrations.lpr as lpr
    from hub.integrations.lpr.engines import RapidOcrEngine

    def create_engine(name: str, folder: str | None = None) -> RapidOcrEngine:
        engine = RapidOcrEngine()
        engine._ocr = RapidOCR(
            params={
                "Global.log_level": "critical",
                "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                "Det.limit_type": limit_type,
            }
        )
        return engine

    setattr(lpr, "create_engine", create_engine)  # noqa: B010 - patched for this run only


def _use_detect_side(side: int) -> None:
    """Have the lpr integration build its readers with this `detect_side`."""
    import hub.integrations.lpr as lpr
    from hub.integrations.lpr.reader import PlateReader

    class Reader(PlateReader):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "detect_side": side})

    setattr(lpr, "PlateReader", Reader)  # noqa: B010 - patched for this run only


def _moments(lot: Any, lane: str, plate: str, fired: float) -> tuple[float, float] | None:
    """Hub times the car with `plate` came into the lane camera's view, and its whole plate
    did (the demo's ground truth: the visit's lane window, then its plate box)."""
    renderer = lot._lane_renderer(lane)
    # `visits(at)` lists cars that reached the barrier by `at`; a quick read is earlier.
    for visit in reversed(lot.visits(fired + 60)):
        if visit.car.plate != plate:
            continue
        start = lot.hub_time(renderer.window_start(visit))
        if start > fired:
            continue
        at = start
        while at < fired and ((car := lot.lane_car(lane, at)) is None or car.plate_box is None):
            at += STEP
        return start, at
    return None


async def _run(
    cars: int, arrivals: float | None, within: float, limit_arenas: bool
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = _write_config(Path(folder), arrivals)
        loaded = load(path)
        if limit_arenas:
            limit_malloc_arenas()  # as `parkhub run` does
        hub = await async_build_hub(loaded, host="127.0.0.1")
        events: list[tuple[Event, float]] = []
        done = asyncio.Event()

        def on_plate(event: Event) -> None:
            events.append((event, hub.scheduler.timestamp()))
            if len(events) >= cars:
                done.set()

        hub.bus.async_listen("plate_detected", on_plate)
        started = time.monotonic()
        try:
            async with asyncio.timeout(within):
                await done.wait()
        except TimeoutError:
            pass
        finally:
            lot = hub.data["demo"].lot
            watchers = hub.data["lpr"].watchers
            reads = {camera: watcher.reads for camera, watcher in watchers.items()}
            await hub.async_stop()
    results = []
    for event, fired in events:
        lane = "entry" if event.data["camera"] == "camera.entry" else "exit"
        moments = _moments(lot, lane, event.data["plate"], fired)
        # The car in the lane then: a misread plate finds no visit of its own.
        truth = lot.lane_car(lane, moments[1] if moments else fired)
        results.append(
            {
                "plate": event.data["plate"],
                "camera": event.data["camera"],
                "truth": truth.plate if truth else None,
                "confidence": event.data["confidence"],
                "latency_from_car_ms": round((fired - moments[0]) * 1000) if moments else None,
                "latency_from_plate_ms": round((fired - moments[1]) * 1000) if moments else None,
            }
        )
    from_car = [r["latency_from_car_ms"] for r in results if r["latency_from_car_ms"] is not None]
    from_plate = [
        r["latency_from_plate_ms"] for r in results if r["latency_from_plate_ms"] is not None
    ]
    return {
        "events": len(results),
        "correct": sum(r["plate"] == r["truth"] for r in results),
        "median_latency_from_car_in_view_ms": statistics.median(from_car) if from_car else None,
        "median_latency_from_plate_in_view_ms": (
            statistics.median(from_plate) if from_plate else None
        ),
        "target_ms": 300,
        "reads": reads,
        "seconds": round(time.monotonic() - started, 1),
        "peak_rss_mb": peak_rss_mb(),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cars", type=int, default=4, help="plate events to wait for")
    parser.add_argument(
        "--arrivals", type=float, default=None, help="demo arrivals_per_hour (default: bundled)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait at most")
    parser.add_argument(
        "--det-limit", choices=["min", "max"], default=None, help="rapidocr Det.limit_type"
    )
    parser.add_argument(
        "--malloc-arenas",
        choices=["limited", "glibc"],
        default="limited",
        help="cap glibc's malloc arenas as `parkhub run` does (default), or leave glibc's",
    )
    parser.add_argument(
        "--detect-side", type=int, default=None, help="the reader's detect_side (measured only)"
    )
    args = parser.parse_args()
    if args.detect_side:
        _use_detect_side(args.detect_side)
    if args.det_limit:
        _use_det_limit(args.det_limit)
    result = asyncio.run(
        _run(args.cars, args.arrivals, args.timeout, args.malloc_arenas == "limited")
    )
    print(
        json.dumps(
            {
                "det_limit": args.det_limit or "engine default",
                "malloc_arenas": args.malloc_arenas,
                "detect_side": args.detect_side or "reader default",
                **result,
            }
        )
    )


if __name__ == "__main__":
    main()
