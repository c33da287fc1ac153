"""Occupancy speed: classifying a 1280x720 frame's 100 slots against decoding its JPEG, and
four 1280x720 cameras at 5 fps through the real integration on this machine.

    python bench/occupancy.py [--seconds 20] [--repeat 200]

Prints one JSON object:
- `decode_ms`: median cv2.imdecode of the frame's JPEG (quality 90): the floor any method pays.
- `classify_100_ms`: median time to classify all 100 slots of that frame from scratch
  (grey, sampling, frame texture, features, model); `classify_vs_decode` is the ratio
  (target under 0.5). `hub_all_100_ms`: the same in a running lot, which re-measures the
  view's texture only every 10 s (`tracker.py`), with every slot classified again (motion
  gating off). `gated_100_ms`: the steady-state cost when nothing moved.
- `calibrated`: the same frame classified by a lot calibrated on LABELLED_FRAMES labelled
  frames, with either second stage (`calibration.py`): `memory` (each slot compared with
  up to 24 labelled looks) and `references` (one averaged empty look per slot).
- `cameras`: 4 lots of 100 slots (with `--calibrated`, each with the memory-calibrated
  model above) fed 5 fps each for `--seconds` (a wall-clock loop decoding
  each JPEG in the executor, as a camera worker would, then handing it to the lot). Frames
  offered, processed, dropped (a frame arriving while its lot's previous one is still being
  classified), how far the feeders fell behind their schedule, and CPU use.
- `peak_rss_mb`.
Frames are synthetic lots (tests/integrations/occupancy/scenes.py) with cars arriving and
leaving and sensor noise, so motion gating sees realistic change.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import peak_rss_mb  # noqa: E402
from hub.config import HubConfig  # noqa: E402
from hub.core.hub import Hub  # noqa: E402
from hub.integrations.occupancy import CONFIG_SCHEMA, async_setup  # noqa: E402
from hub.integrations.occupancy.calibration import fit_second_stage  # noqa: E402
from hub.integrations.occupancy.classifier import SlotClassifier  # noqa: E402
from hub.integrations.occupancy.samples import LabelledSamples  # noqa: E402
from tests.integrations.occupancy.scenes import draw_lot  # noqa: E402

CAMERAS, FPS = 4, 5.0
LABELLED_FRAMES = 30  # enough for every slot to keep its most labelled looks


def grid_slots() -> list[list[tuple[int, int]]]:
    """100 slots (10 x 10) of 110 x 62 px over a 1280x720 frame."""
    return [
        [(x, y), (x + 110, y), (x + 110, y + 62), (x, y + 62)]
        for y in range(20, 700, 68)
        for x in range(40, 1240, 120)
    ][:100]


def make_jpegs(slots: list[list[tuple[int, int]]], count: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    taken = rng.random(len(slots)) < 0.6
    jpegs = []
    for index in range(count):
        flip = rng.random(len(slots)) < 0.02  # a few cars come and go
        taken = taken ^ flip
        image = draw_lot(list(taken), slots, seed=seed * 1000 + index)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        jpegs.append(data.tobytes())
    return jpegs


def median_ms(func, repeat: int) -> float:  # type: ignore[no-untyped-def]
    func()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 3)


def single_frame(slots: list[list[tuple[int, int]]], repeat: int) -> dict[str, float]:
    jpeg = make_jpegs(slots, 1, seed=1)[0]
    buffer = np.frombuffer(jpeg, np.uint8)
    frame = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    classifier = SlotClassifier(slots)
    decode = median_ms(lambda: cv2.imdecode(buffer, cv2.IMREAD_COLOR), repeat)
    classify = median_ms(lambda: classifier.probabilities(frame), repeat)
    from hub.integrations.occupancy.tracker import LotWorker

    worker = LotWorker(slots, classifier.model, 4.0)
    settled = np.zeros(len(slots), bool)
    worker.process(frame, 0.0, settled)
    gated = median_ms(lambda: worker.process(frame, 1.0, settled), repeat)
    every = np.ones(len(slots), bool)
    hub_all = median_ms(lambda: worker.process(frame, 2.0, every), repeat)
    return {
        "decode_ms": decode,
        "classify_100_ms": classify,
        "classify_vs_decode": round(classify / decode, 3),
        "hub_all_100_ms": hub_all,
        "hub_all_vs_decode": round(hub_all / decode, 3),
        "gated_100_ms": gated,
    }


def calibrated(
    slots: list[list[tuple[int, int]]], repeat: int, memory_file: Path
) -> dict[str, object]:
    """Classifying the bench frame in a calibrated lot, with each second stage; the
    memory-calibrated model is saved to `memory_file` for `--calibrated` camera runs."""
    rng = np.random.default_rng(7)
    frame = cv2.imdecode(np.frombuffer(make_jpegs(slots, 1, seed=1)[0], np.uint8), 1)
    shared = SlotClassifier(slots)
    parts = []
    for index in range(LABELLED_FRAMES):
        taken = rng.random(len(slots)) < 0.5
        image = draw_lot(list(taken), slots, seed=500 + index)
        parts.append(LabelledSamples.of_image(shared, image, taken))
    samples = LabelledSamples.concatenate(parts)
    result: dict[str, object] = {"labelled_frames": LABELLED_FRAMES}
    for kind in ("memory", "references"):
        model = fit_second_stage(samples, kind)
        assert model is not None
        assert (model.memory if kind == "memory" else model.head) is not None
        classifier = SlotClassifier(slots, model)
        classify = classifier.probabilities
        result[f"{kind}_100_ms"] = median_ms(lambda c=classify: c(frame), repeat)
        if model.memory is not None:
            model.save(memory_file)
            looks = [
                len(model.memory.empty.get(k, ())) + len(model.memory.cars.get(k, ()))
                for k in classifier.keys
            ]
            result["memory_looks_per_slot"] = max(looks)
    return result


async def cameras(
    slots: list[list[tuple[int, int]]], seconds: float, model: Path | None = None
) -> dict[str, object]:
    streams = [make_jpegs(slots, 25, seed=10 + camera) for camera in range(CAMERAS)]
    with tempfile.TemporaryDirectory() as folder:
        hub = Hub(HubConfig(), config_dir=Path(folder), data_dir=Path(folder))
        await hub.async_start()
        polygons = [[list(point) for point in slot] for slot in slots]
        config = CONFIG_SCHEMA(
            {
                "lots": {
                    f"cam{c}": {
                        "camera": f"camera.cam{c}",
                        "fps": FPS,
                        "slots": [{"id": i + 1, "polygon": p} for i, p in enumerate(polygons)],
                        **({"model": str(model)} if model is not None else {}),
                    }
                    for c in range(CAMERAS)
                }
            }
        )
        await async_setup(hub, config)
        lots = list(hub.data["occupancy"].lots.values())
        offered = [0] * CAMERAS
        lag: list[float] = []
        tasks: set[asyncio.Task[bool]] = set()

        async def feed(camera: int) -> None:
            start = time.perf_counter()
            lot, stream = lots[camera], streams[camera]
            for index in range(int(seconds * FPS)):
                due = start + index / FPS
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                lag.append(time.perf_counter() - due)
                data = np.frombuffer(stream[index % len(stream)], np.uint8)
                image = await hub.async_add_executor_job(cv2.imdecode, data, cv2.IMREAD_COLOR)
                offered[camera] += 1
                task = asyncio.create_task(lot.async_process_frame(image))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.perf_counter()
        await asyncio.gather(*(feed(camera) for camera in range(CAMERAS)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - wall
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
            cpu_after.ru_stime - cpu_before.ru_stime
        )
        processed = sum(lot.frames for lot in lots)
        classified = sum(lot.classified_slots for lot in lots)
        result = {
            "cameras": CAMERAS,
            "fps_each": FPS,
            "seconds": round(wall, 2),
            "frames_offered": sum(offered),
            "frames_processed": processed,
            "frames_dropped": sum(lot.dropped for lot in lots),
            "slots_classified_per_frame": round(classified / max(processed, 1), 1),
            "feeder_lag_ms_median": round(statistics.median(lag) * 1000, 2),
            "feeder_lag_ms_max": round(max(lag) * 1000, 2),
            "cpu_cores_used": round(cpu / wall, 2),
            "cpu_cores_available": os.cpu_count(),
        }
        await hub.async_stop()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--calibrated", action="store_true", help="camera run with memory-calibrated lots"
    )
    args = parser.parse_args()
    slots = grid_slots()
    result: dict[str, object] = {"slots": len(slots), "frame": "1280x720"}
    result.update(single_frame(slots, args.repeat))
    with tempfile.TemporaryDirectory() as folder:
        memory_file = Path(folder) / "calibrated.json"
        result["calibrated"] = calibrated(slots, args.repeat, memory_file)
        decode = float(result["decode_ms"])  # type: ignore[arg-type]
        for kind in ("memory", "references"):
            ms = float(result["calibrated"][f"{kind}_100_ms"])  # type: ignore[index]
            result["calibrated"][f"{kind}_vs_decode"] = round(ms / decode, 3)  # type: ignore[index]
        model = memory_file if args.calibrated else None
        result["camera_run"] = asyncio.run(cameras(slots, args.seconds, model))
        result["camera_run"]["calibrated"] = args.calibrated  # type: ignore[index]
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
