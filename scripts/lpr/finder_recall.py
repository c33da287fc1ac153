"""Plate-finding recall of the reader's cheap finder, per set, text or no text.

    nice -n 10 python scripts/lpr/finder_recall.py [--candidates 4]

For each photo: do the finder's first N bands (`finder.find_candidates`, searched at 640
px, then at 1280 px for a larger photo as the reader does), widened to the plate around
them as the reader does, overlap a labelled plate box with IoU > 0.4? The ealpr-boxes
set has boxes but Arabic text (no reading truth), so this is the only figure there.
The finder was tuned on neither ealpr nor any photo outside openalpr-eu/br.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hub.integrations.lpr.dataset import find_photos  # noqa: E402
from hub.integrations.lpr.evaluate import DETECTION_IOU, _iou  # noqa: E402
from hub.integrations.lpr.finder import SEARCH_WIDTH, find_candidates  # noqa: E402
from hub.integrations.lpr.reader import FINE_SEARCH_WIDTH, _plate_box  # noqa: E402

DATASETS = ROOT.parent.parent / "shared" / "datasets" / "lpr"
Box = tuple[int, int, int, int]


def ealpr(folder: Path) -> list[tuple[Path, list[Box]]]:
    items = []
    for label in sorted((folder / "labels").glob("*.txt")):
        image = folder / "images" / f"{label.stem}.jpg"
        if not image.is_file():
            continue
        size = cv2.imread(str(image)).shape
        boxes = []
        for line in label.read_text().split("\n"):
            fields = line.split()
            if len(fields) == 5:
                cx, cy, w, h = (float(v) for v in fields[1:])
                boxes.append(
                    (
                        round((cx - w / 2) * size[1]),
                        round((cy - h / 2) * size[0]),
                        round(w * size[1]),
                        round(h * size[0]),
                    )
                )
        items.append((image, boxes))
    return items


def found(image: np.ndarray, truth: list[Box], limit: int) -> bool:
    bands = find_candidates(image, limit)
    if image.shape[1] > SEARCH_WIDTH:
        bands += find_candidates(image, limit, FINE_SEARCH_WIDTH)
    boxes = [_plate_box(band.box, image.shape) for band in bands]
    return any(_iou(box, t) > DETECTION_IOU for box in boxes for t in truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=4)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    sets = {
        "ealpr": ealpr(DATASETS / "ealpr-boxes"),
        "eu": [(i.image, [i.box]) for i in find_photos(DATASETS / "openalpr-eu") if i.box],
        "br": [(i.image, [i.box]) for i in find_photos(DATASETS / "openalpr-br") if i.box],
    }
    result = {}
    for name, items in sets.items():
        hits = 0
        for path, truth in items:
            image = cv2.imread(str(path))
            hits += image is not None and bool(truth) and found(image, truth, args.candidates)
        result[name] = {"photos": len(items), "finder_recall": round(hits / len(items), 4)}
    print(json.dumps({"candidates": args.candidates, **result}))


if __name__ == "__main__":
    main()
