"""Turn the two video datasets into PKLot-format folders (frame images + XML) for
`parkhub eval occupancy` and the training script. Writes only under --out (never into the
repository); reads /work/shared/datasets by default.

    python scripts/occupancy/make_datasets.py --out /tmp/occupancy-data

aerial-lot: frames of samples/parking_aerial_1280x720.mp4 at the frame numbers in
  frame_slot_labels.csv, with the labelled slots of each frame (coordinates given for
  1920x1080, scaled by 2/3).
carpark: frame 0 of video/carpark/carPark.mp4 with the 69 slots of slots.json, labelled
  by hand for this project (EMPTY_IN_FRAME_0 below; the drone drifts later, so only the
  first frames match the slot rectangles).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import quoteattr

import cv2

DATASETS = Path("/work/shared/datasets")
# Hand labels for carPark.mp4 frame 0: the slots that are free (all others hold a car).
EMPTY_IN_FRAME_0 = {2, 4, 6, 19, 21, 25, 26, 31, 35, 51, 58, 64, 67}


def _xml(lot: str, spaces: list[tuple[str, list[tuple[int, int]], bool]]) -> str:
    lines = [f"<parking id={quoteattr(lot)}>"]
    for space_id, points, occupied in spaces:
        lines.append(f'  <space id={quoteattr(space_id)} occupied="{int(occupied)}">')
        lines.append("    <contour>")
        lines.extend(f'      <point x="{x}" y="{y}" />' for x, y in points)
        lines.append("    </contour>")
        lines.append("  </space>")
    lines.append("</parking>")
    return "\n".join(lines) + "\n"


def _rect(x: float, y: float, w: float, h: float) -> list[tuple[int, int]]:
    x0, y0, x1, y1 = round(x), round(y), round(x + w), round(y + h)
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def aerial(source: Path, out: Path) -> None:
    by_frame: dict[int, list[tuple[str, list[tuple[int, int]], bool]]] = defaultdict(list)
    with (source / "frame_slot_labels.csv").open() as file:
        for row in csv.DictReader(file):
            scale = 2 / 3
            box = [float(row[k]) * scale for k in ("x1920", "y1920", "w1920", "h1920")]
            by_frame[int(row["frame"])].append((row["slot"], _rect(*box), row["occupied"] == "1"))
    out.mkdir(parents=True, exist_ok=True)
    video = cv2.VideoCapture(str(source / "samples" / "parking_aerial_1280x720.mp4"))
    index = 0
    while by_frame:
        ok, frame = video.read()
        if not ok:
            break
        if index in by_frame:
            name = out / f"frame_{index:04d}"
            cv2.imwrite(f"{name}.jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
            Path(f"{name}.xml").write_text(_xml("aerial", by_frame.pop(index)))
        index += 1


def carpark(source: Path, out: Path) -> None:
    slots = json.loads((source / "slots.json").read_text())["slots"]
    ok, frame = cv2.VideoCapture(str(source / "carPark.mp4")).read()
    if not ok:
        raise SystemExit(f"{source}: cannot read carPark.mp4")
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / "frame_0000.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
    spaces = [
        (str(s["id"]), _rect(s["x"], s["y"], s["w"], s["h"]), s["id"] not in EMPTY_IN_FRAME_0)
        for s in slots
    ]
    (out / "frame_0000.xml").write_text(_xml("carpark", spaces))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    args = parser.parse_args()
    aerial(args.datasets / "occupancy" / "aerial-lot", args.out / "aerial")
    carpark(args.datasets / "video" / "carpark", args.out / "carpark")


if __name__ == "__main__":
    main()
