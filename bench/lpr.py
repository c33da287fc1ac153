"""Plate reading speed: the reader with the project's plate recogniser (`platenet`), today's
reader (RapidOCR's recogniser) and the baseline (plain RapidOCR over the whole frame), side
by side in one run, on one core.

    python bench/lpr.py [--photos DIR] [--frames 20]

Frames are 1280x720: openalpr-format photos (default: the Brazilian set under
../shared/datasets/lpr/openalpr-br, when present) scaled and padded to 1280x720, else the
demo lot's entry-lane frames padded to 1280x720, so the bench runs without any dataset.
onnxruntime runs one intra-op thread and OpenCV one thread.

Prints one JSON object:
- `net_ms_median` / `reader_ms_median` / `baseline_ms_median` (and p90): per 1280x720
  frame (target <= 150): the reader with platenet, with RapidOCR, the baseline.
- `net_correct` / `reader_correct` / `baseline_correct`: frames whose best read equals
  the label.
- `net_crop_ms_median`: the network alone on one plate crop (target <= 10);
  `net_read_crop_ms_median`: `PlateReader.read_crop` with platenet.
- `crop_rec_ms_median`: one recognition call on a plate crop as the reader makes it
  (48 px high, padded to 4.5:1; target <= 20);
  `read_crop_ms_median`: `PlateReader.read_crop` (the whole crop; its best band only
  when that read fits no format).
- `net_rss_mb`: resident memory once the platenet reader's models (the network and
  RapidOCR's detector) are loaded and warm, measured first; `reader_rss_mb` after today's
  reader's too (the hub's own budget is 400 MB); `peak_rss_mb` at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import peak_rss_mb  # noqa: E402
from hub.integrations.demo import DemoLot  # noqa: E402
from hub.integrations.lpr.dataset import DatasetError, find_photos  # noqa: E402
from hub.integrations.lpr.engines import (  # noqa: E402
    EngineUnavailable,
    PlateNetEngine,
    RapidOcrEngine,
)
from hub.integrations.lpr.evaluate import baseline_read  # noqa: E402
from hub.integrations.lpr.formats import PlateFormats  # noqa: E402
from hub.integrations.lpr.reader import PlateReader, prepared_line  # noqa: E402

FRAME = (1280, 720)
DEFAULT_PHOTOS = ROOT.parent / "shared" / "datasets" / "lpr" / "openalpr-br"

Labelled = tuple[np.ndarray, str, tuple[int, int, int, int]]


def _fit(image: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, tuple[int, ...]]:
    """Scale to fit 1280x720 and pad with grey; the box follows."""
    height, width = image.shape[:2]
    scale = min(FRAME[0] / width, FRAME[1] / height)
    size = (round(width * scale), round(height * scale))
    resized = cv2.resize(
        image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    frame = np.full((FRAME[1], FRAME[0], 3), 110, np.uint8)
    frame[: size[1], : size[0]] = resized
    return frame, tuple(round(v * scale) for v in box)


def photo_frames(folder: Path, count: int) -> list[Labelled]:
    frames = []
    for item in find_photos(folder)[:count]:
        image = cv2.imread(str(item.image))
        assert item.box is not None
        assert image is not None
        frame, box = _fit(image, item.box)
        frames.append((frame, item.plate, (box[0], box[1], box[2], box[3])))
    return frames


def demo_frames(count: int) -> list[Labelled]:
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()
    lot = DemoLot(
        seed=2, time_scale=10, arrivals_per_hour=40, mean_stay=2700, known_plates=(),
        returning_share=0.0, gates={}, start=start, clock=lambda: start,
        gate_state=lambda _entity: None, time_zone=UTC,
    )  # fmt: skip
    frames: list[Labelled] = []
    for second in range(0, 6 * 3600, 2):
        car = lot.lane_car("entry", start + second)
        if car is None or car.plate_box is None or any(car.plate == f[1] for f in frames):
            continue
        frame, box = _fit(lot.render("entry", start + second), car.plate_box)
        frames.append((frame, car.plate, (box[0], box[1], box[2], box[3])))
        if len(frames) == count:
            break
    return frames


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _ms(values: list[float], share: float = 0.5) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def _median_ms(values: list[float], digits: int = 1) -> float | None:
    return round(1000 * statistics.median(values), digits) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--model-dir", help="a folder with another platenet.onnx")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    try:
        frames, source = photo_frames(args.photos, args.frames), str(args.photos)
    except DatasetError:
        frames, source = demo_frames(args.frames), "demo entry lane"
    formats = PlateFormats.from_config(["any"])
    try:
        net_engine: PlateNetEngine | None = PlateNetEngine(args.model_dir)
    except EngineUnavailable as err:  # no network shipped or given: today's reader only
        print(f"bench/lpr.py: platenet left out: {err}", file=sys.stderr)
        net_engine = None
    net = PlateReader(net_engine, formats) if net_engine else None
    if net is not None:
        net.read(frames[0][0])
        net.read(np.full((720, 1280, 3), 110, np.uint8))
    net_rss = rss_mb() if net is not None else None
    engine = RapidOcrEngine(threads=1)
    reader = PlateReader(engine, formats)
    reader.read(frames[0][0])  # load the models the reader uses
    reader.read(np.full((720, 1280, 3), 110, np.uint8))  # and the detector fallback
    reader_rss = rss_mb()

    reader_times, baseline_times, crop_times, read_crop_times = [], [], [], []
    net_times, net_crop_times, net_read_crop_times = [], [], []
    reader_correct = baseline_correct = net_correct = 0
    for frame, plate, (x, y, w, h) in frames:
        if net is not None:
            started = time.perf_counter()
            reads = net.read(frame)
            net_times.append(time.perf_counter() - started)
            net_correct += bool(reads) and reads[0].text == plate
        started = time.perf_counter()
        reads = reader.read(frame)
        reader_times.append(time.perf_counter() - started)
        reader_correct += bool(reads) and reads[0].text == plate
        started = time.perf_counter()
        text, _ = baseline_read(engine, frame)
        baseline_times.append(time.perf_counter() - started)
        baseline_correct += text == plate
        crop = frame[y : y + h, x : x + w]
        started = time.perf_counter()
        engine.read_lines([prepared_line(crop)])
        crop_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        reader.read_crop(crop)
        read_crop_times.append(time.perf_counter() - started)
        if net is not None and net_engine is not None:
            started = time.perf_counter()
            net_engine.read_lines([crop])
            net_crop_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            net.read_crop(crop)
            net_read_crop_times.append(time.perf_counter() - started)

    print(
        json.dumps(
            {
                "frames": len(frames),
                "source": source,
                "frame_size": list(FRAME),
                "net_ms_median": _median_ms(net_times),
                "net_ms_p90": _ms(net_times, 0.9) if net_times else None,
                "reader_ms_median": round(1000 * statistics.median(reader_times), 1),
                "reader_ms_p90": _ms(reader_times, 0.9),
                "baseline_ms_median": round(1000 * statistics.median(baseline_times), 1),
                "baseline_ms_p90": _ms(baseline_times, 0.9),
                "net_correct": net_correct,
                "reader_correct": reader_correct,
                "baseline_correct": baseline_correct,
                "crop_rec_ms_median": round(1000 * statistics.median(crop_times), 1),
                "read_crop_ms_median": round(1000 * statistics.median(read_crop_times), 1),
                "net_crop_ms_median": _median_ms(net_crop_times, 2),
                "net_read_crop_ms_median": _median_ms(net_read_crop_times),
                "net_rss_mb": net_rss,
                "reader_rss_mb": reader_rss,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
