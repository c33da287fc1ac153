"""Cut the labelled slots of every view into 64x64 colour patches for training the slot
network, one `.npz` per view under --out (never into the repository).

    python scripts/occupancy/make_datasets.py --out /tmp/occupancy-data
    python scripts/occupancy/patches.py --converted /tmp/occupancy-data --out /tmp/occupancy-patches

Views (a view is one camera: the unit left out of training in leave-one-view-out):
- `ufpr05`: PKLot UFPR05, 30 frames, 40 slots (groups: the 6 days).
- `aerial`: the drone clip of aerial-lot, 140 frames (converted by make_datasets.py).
- `carpark`: frame 0 of the CVZone carPark clip, 69 slots labelled here.
- `cnr-a`, `cnr-b`: the two cameras of cnrpark-patches (96x96 square crops around a
  slot, not outlines: resized to 64x64; groups: the day).

Slots with outlines are cut the way `sampler.py` cuts a running lot's grey patches, in
colour and square (the outline stretched over a 64x64 patch, long side across,
point-sampled at twice that size and box-filtered down), at twice the network's input
size so training can scale and warp them before shrinking. Each
`.npz` holds `patches` (N, 64, 64, 3) BGR uint8, `occupied` (N,), `groups` (N,) and
`names` (N,) saying where each patch came from; unreadable files are counted and named
on stderr, never fatal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hub.integrations.occupancy.dataset import find_frames
from hub.integrations.occupancy.sampler import Polygon, slot_quad

DATASETS = Path("/work/shared/datasets/occupancy")
SIZE = 64


def cut(image: np.ndarray, polygons: list[Polygon], size: int = SIZE) -> np.ndarray:
    """(N, size, size, 3) colour patches of these slot outlines."""
    side = 2 * size
    target = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32) + 0.5
    grid = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size, np.float32)])
    map_x = np.empty((len(polygons) * side, side), np.float32)
    map_y = np.empty_like(map_x)
    for index, polygon in enumerate(polygons):
        source = cv2.getPerspectiveTransform(target, slot_quad(polygon)) @ grid
        rows = slice(index * side, (index + 1) * side)
        map_x[rows] = (source[0] / source[2]).reshape(side, side) - 0.5
        map_y[rows] = (source[1] / source[2]).reshape(side, side) - 0.5
    big = cv2.remap(image, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
    small = cv2.resize(big, (size, size * len(polygons)), interpolation=cv2.INTER_AREA)
    return np.asarray(small, np.uint8).reshape(len(polygons), size, size, 3)


def _outlined(directory: Path) -> dict[str, np.ndarray]:
    patches, occupied, groups, names = [], [], [], []
    skipped = []
    for frame in find_frames(directory, skipped):
        if not frame.spaces:
            continue
        image = cv2.imread(str(frame.image), cv2.IMREAD_COLOR)
        if image is None:
            skipped.append(f"{frame.image}: not a readable image")
            continue
        patches.append(cut(np.asarray(image, np.uint8), [s.polygon for s in frame.spaces]))
        occupied += [s.occupied for s in frame.spaces]
        group = frame.image.parent.parent.name if frame.lot == "ufpr05" else frame.lot
        groups += [group] * len(frame.spaces)
        names += [f"{frame.image.name}#{s.id}" for s in frame.spaces]
    for message in skipped:
        print(f"skipped {message}", file=sys.stderr)
    return {
        "patches": np.concatenate(patches),
        "occupied": np.asarray(occupied, bool),
        "groups": np.asarray(groups),
        "names": np.asarray(names),
    }


def _cnr(camera: Path) -> dict[str, np.ndarray]:
    patches, occupied, groups, names = [], [], [], []
    for kind in ("busy", "free"):
        for path in sorted((camera / kind).glob("*.jpg")):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                print(f"skipped {path}: not a readable image", file=sys.stderr)
                continue
            patches.append(cv2.resize(image, (SIZE, SIZE), interpolation=cv2.INTER_AREA))
            occupied.append(kind == "busy")
            groups.append(path.name[:8])
            names.append(f"{camera.name}/{kind}/{path.name}")
    return {
        "patches": np.stack(patches),
        "occupied": np.asarray(occupied, bool),
        "groups": np.asarray(groups),
        "names": np.asarray(names),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--converted", type=Path, required=True, help="make_datasets.py --out")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    views = {
        "ufpr05": lambda: _outlined(args.datasets / "pklot-ufpr05"),
        "aerial": lambda: _outlined(args.converted / "aerial"),
        "carpark": lambda: _outlined(args.converted / "carpark"),
        "cnr-a": lambda: _cnr(args.datasets / "cnrpark-patches" / "A"),
        "cnr-b": lambda: _cnr(args.datasets / "cnrpark-patches" / "B"),
    }
    report = {}
    for name, read in views.items():
        data = read()
        np.savez_compressed(args.out / f"{name}.npz", **data)
        report[name] = {"slots": len(data["occupied"]), "occupied": int(data["occupied"].sum())}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
