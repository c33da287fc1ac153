"""How the plate reader copes with pictures unlike the ones it was tuned on: labelled
photos turned, shrunk, set small in a large picture, blurred, compressed or darkened,
read by the reader and (with
`--baseline`) by plain RapidOCR, side by side in one run.

    python bench/lpr_variants.py [--dataset DIR] [--variants rotate7,half] [--baseline]

There are no photos of other countries' plates here; these variants stand in for the
ways another camera's pictures differ (a camera's roll, a far plate, focus, a cheap
encoder, dusk). Each is one OpenCV call on the photo. Prints one JSON object: per
variant the lenient accuracy (as `parkhub eval lpr`: O/0 and I/1 counted as one) of the
reader and the baseline, and the reader's median ms per photo; peak RSS.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import peak_rss_mb  # noqa: E402
from hub.integrations.lpr.dataset import find_photos  # noqa: E402
from hub.integrations.lpr.engines import create_engine  # noqa: E402
from hub.integrations.lpr.evaluate import baseline_read  # noqa: E402
from hub.integrations.lpr.formats import PlateFormats  # noqa: E402
from hub.integrations.lpr.reader import PlateReader  # noqa: E402

DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "lpr" / "openalpr-eu"
LENIENT = str.maketrans({"O": "0", "I": "1"})


def _turned(degrees: float) -> Callable[[np.ndarray], np.ndarray]:
    def turn(image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
        return cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)

    return turn


def _in_large(image: np.ndarray) -> np.ndarray:
    """The photo in the middle of a picture three times its size (a blurred copy around
    it): the same plate, small in a large frame."""
    height, width = image.shape[:2]
    around = cv2.resize(cv2.GaussianBlur(image, (0, 0), 6), (3 * width, 3 * height))
    around[height : 2 * height, width : 2 * width] = image
    return around


def _jpeg(image: np.ndarray) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 25])[1], 1)


VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as_is": lambda image: image,
    "rotate7": _turned(7),
    "rotate-7": _turned(-7),
    "rotate12": _turned(12),
    "half": lambda image: cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
    "in_large": _in_large,
    "blur": lambda image: cv2.GaussianBlur(image, (0, 0), 1.5),
    "jpeg25": _jpeg,
    "dark": lambda image: cv2.convertScaleAbs(image, alpha=0.45),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--baseline", action="store_true", help="also plain RapidOCR (slow)")
    args = parser.parse_args()
    names = [name for name in args.variants.split(",") if name]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; expected some of {', '.join(VARIANTS)}")
    cv2.setNumThreads(1)
    engine = create_engine("rapidocr")
    reader = PlateReader(engine, PlateFormats.from_config(["any"]))
    photos = find_photos(args.dataset)
    right = {name: [0, 0] for name in names}
    times: dict[str, list[float]] = {name: [] for name in names}
    for item in photos:
        photo = cv2.imdecode(np.fromfile(item.image, np.uint8), cv2.IMREAD_COLOR)
        truth = item.plate.translate(LENIENT)
        for name in names:
            image = VARIANTS[name](photo)
            started = time.perf_counter()
            reads = reader.read(image)
            times[name].append(time.perf_counter() - started)
            right[name][0] += bool(reads) and reads[0].text.translate(LENIENT) == truth
            if args.baseline:
                text, _ = baseline_read(engine, image)
                right[name][1] += text.translate(LENIENT) == truth
    count = len(photos)
    print(
        json.dumps(
            {
                "dataset": str(args.dataset),
                "images": count,
                "variants": {
                    name: {
                        "reader_lenient": round(right[name][0] / count, 4),
                        "baseline_lenient": (
                            round(right[name][1] / count, 4) if args.baseline else None
                        ),
                        "reader_ms_median": round(1000 * statistics.median(times[name]), 1),
                    }
                    for name in names
                },
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
