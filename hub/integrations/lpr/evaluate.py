"""`parkhub eval lpr`: score the plate reader on labelled photos or crops, side by side
with the baseline (plain RapidOCR over the whole image).

Timing covers the method alone (not decoding the file), on one core: onnxruntime with one
intra-op thread and OpenCV with one thread.

An image that cannot be decoded (a JPEG cut short: OpenCV decodes none of it; a file that
is no image at all) does not stop the run: it is counted and named under `unreadable`
and left out of the scores, which are over the images read.

`--lists` adds what decides the barrier (`lists_eval.py`): with an allow list of the set's
true plates plus 1,000 other plates, how often the right entry matches and how often a
wrong one does, at the allow list's fuzzy-match distance.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from .const import DEFAULT_ENGINE

METHOD_READER: Final = "reader"
METHOD_BASELINE: Final = "baseline"
METHODS: Final = (METHOD_READER, METHOD_BASELINE)
# `engines.ENGINES`, spelled out so the CLI starts without importing numpy.
ENGINE_NAMES: Final = ("rapidocr", "easyocr", "platenet")
# `--lists`: the edit distance the shipped config.yaml's residents list allows.
DEFAULT_MAX_DISTANCE: Final = 1

# The IoU a reported box needs with the labelled one to count as found.
DETECTION_IOU: Final = 0.4
# Look-alikes the eu labels themselves mix: counted as one character by the lenient score.
_LENIENT: Final = str.maketrans({"O": "0", "I": "1"})

__all__ = ["METHODS", "add_arguments", "evaluate", "run"]


def add_arguments(evaluation: argparse.ArgumentParser) -> None:
    """Add `lpr` to the `eval` command's kinds (next to `occupancy`)."""
    kinds = next(a for a in evaluation._actions if isinstance(a, argparse._SubParsersAction))
    lpr = kinds.add_parser("lpr", help="plate reading on openalpr-format photos or crops")
    lpr.add_argument("--dataset", type=Path, required=True, help="NAME.jpg + NAME.txt, or crops")
    lpr.add_argument("--method", choices=METHODS, default=METHOD_READER)
    lpr.add_argument("--crops", action="store_true", help="labelled crops (CSV or file names)")
    lpr.add_argument("--engine", choices=ENGINE_NAMES, default=DEFAULT_ENGINE)
    lpr.add_argument("--model-dir", help="easyocr: its weights; platenet: another platenet.onnx")
    lpr.add_argument("--formats", default="any", help="comma-separated plate formats")
    lpr.add_argument("--limit", type=int, help="only the first N labelled images (by name)")
    lpr.add_argument(
        "--lists", action="store_true", help="also score allow-list matching (resident recall)"
    )
    lpr.add_argument(
        "--max-distance",
        type=int,
        default=DEFAULT_MAX_DISTANCE,
        help="the allow list's fuzzy match for --lists (default: the shipped residents list's)",
    )


def run(args: argparse.Namespace) -> int:
    from hub.core.exceptions import HubError

    try:
        result = evaluate(
            args.dataset,
            method=args.method,
            crops=args.crops,
            engine=args.engine,
            model_dir=args.model_dir,
            formats=[name for name in args.formats.split(",") if name],
            limit=args.limit,
            lists=args.lists,
            max_distance=args.max_distance,
        )
    except HubError as err:
        print(f"parkhub eval lpr: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def evaluate(
    dataset: Path,
    *,
    method: str = METHOD_READER,
    crops: bool = False,
    engine: str = DEFAULT_ENGINE,
    model_dir: str | None = None,
    formats: list[str] | None = None,
    limit: int | None = None,
    lists: bool = False,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> dict[str, Any]:
    """Accuracy, detection recall and speed of `method` on `dataset`; with `lists`, the
    allow-list figures too. Blocks."""
    import cv2

    from .dataset import DatasetError, find_crops, find_photos
    from .engines import create_engine
    from .formats import PlateFormats

    if method not in METHODS:
        raise DatasetError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    labelled = find_crops(dataset) if crops else find_photos(dataset)
    if limit is not None:
        labelled = labelled[: max(1, limit)]
    cv2.setNumThreads(1)
    ocr = create_engine(engine, model_dir)
    plate_formats = PlateFormats.from_config(formats or ["any"])
    predict = _method(method, ocr, plate_formats, crops)
    exact = lenient = found = 0
    times: list[float] = []
    reads: list[tuple[str, str]] = []  # (true plate, read) per image read
    unreadable: list[str] = []
    for item in labelled:
        image = _decode(item.image)
        if image is None:
            unreadable.append(item.image.name)
            continue
        started = time.perf_counter()
        text, box = predict(image)
        times.append(time.perf_counter() - started)
        reads.append((item.plate, text))
        exact += text == item.plate
        lenient += text.translate(_LENIENT) == item.plate.translate(_LENIENT)
        if item.box is not None and box is not None:
            found += _iou(box, item.box) > DETECTION_IOU
    count = len(reads)
    if not count:
        raise DatasetError(f"{dataset}: none of the {len(labelled)} labelled images is readable")
    result: dict[str, Any] = {
        "dataset": str(dataset),
        "images": count,
        "exact_accuracy": round(exact / count, 4),
        "lenient_accuracy": round(lenient / count, 4),
        "detection_recall": None if crops else round(found / count, 4),
        "ms_per_image_median": round(1000 * statistics.median(times), 1),
        "engine": engine,
        "method": method,
        "unreadable": len(unreadable),
        "unreadable_files": unreadable,
    }
    if lists:
        from .lists_eval import list_figures

        result["lists"] = list_figures(reads, max_distance)
    return result


def _decode(path: Path) -> Any:
    """The image in BGR, or None when the file cannot be read or decoded."""
    import cv2
    import numpy as np

    try:
        data = np.fromfile(path, np.uint8)
    except OSError:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None


Box = tuple[int, int, int, int]


def _method(
    name: str, ocr: Any, formats: Any, crops: bool
) -> Callable[[Any], tuple[str, Box | None]]:
    from .reader import PlateReader

    if name == METHOD_BASELINE:
        return lambda image: baseline_read(ocr, image)
    reader = PlateReader(ocr, formats)
    if crops:

        def read_crop(image: Any) -> tuple[str, Box | None]:
            read = reader.read_crop(image)
            return (read.text, read.box) if read else ("", None)

        return read_crop

    def read(image: Any) -> tuple[str, Box | None]:
        reads = reader.read(image)
        return (reads[0].text, reads[0].box) if reads else ("", None)

    return read


def baseline_read(ocr: Any, image: Any) -> tuple[str, Box | None]:
    """Plain RapidOCR over the whole image: the best-scoring 5-8 character line with a digit."""
    import cv2
    import numpy as np

    from hub.plates import normalize_plate

    best: tuple[float, str, Box | None] = (-1.0, "", None)
    for line in ocr.detect_and_read(image):
        text = normalize_plate(line.text)
        if 5 <= len(text) <= 8 and any(c.isdigit() for c in text) and line.score > best[0]:
            x, y, w, h = cv2.boundingRect(np.asarray(line.points, np.int32))
            best = (line.score, text, (x, y, w, h))
    return best[1], best[2]


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0
