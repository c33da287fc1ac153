"""Make calibration/evaluation splits of PKLot UFPR05 for `parkhub eval occupancy
--calibrate-on`, as folders of symbolic links (no dataset file is copied):

    python scripts/occupancy/split_ufpr05.py --out /tmp/ufpr05-splits
    parkhub eval occupancy --dataset /tmp/ufpr05-splits/frames-024/test \\
        --calibrate-on /tmp/ufpr05-splits/frames-024/cal

Each split has `cal/` and `test/` with no frame in both. UFPR05 here is 6 sequences (one
day each) of 5 frames; a frame is named by its position in its sequence (0-4, in time
order), a day by its sequence number.

- frames-024: frames 0, 2, 4 of every day to calibrate, frames 1 and 3 to evaluate.
- frames-04: frames 0 and 4 / frames 1, 2, 3.
- frames-13: frames 1 and 3 / frames 0, 2, 4.
- days-025: days 0, 2, 5 / days 1, 3, 4 (two dawns never labelled).
- days-0145: days 0, 1, 4, 5 / days 2, 3.
- day-N (N = 0..5): that day alone / the other five.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DEFAULT = Path("/work/shared/datasets/occupancy/pklot-ufpr05/ParkingLot_dataset")
FRAME_SPLITS = {"frames-024": {0, 2, 4}, "frames-04": {0, 4}, "frames-13": {1, 3}}
DAY_SPLITS = {"days-025": {0, 2, 5}, "days-0145": {0, 1, 4, 5}} | {
    f"day-{n}": {n} for n in range(6)
}


def _link(out: Path, sequence: Path, image: Path) -> None:
    """`out/<sequence>/frames/<image>` and its XML in `bounding_boxes/`, as links."""
    xml = sequence / "bounding_boxes" / f"{image.stem}.xml"
    for source, folder in ((image, "frames"), (xml, "bounding_boxes")):
        target = out / sequence.name / folder / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source.resolve())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT, help="UFPR05 sequences")
    parser.add_argument("--out", type=Path, required=True, help="folder for the splits")
    args = parser.parse_args()
    sequences = sorted(args.data.glob("sequence*"), key=lambda p: int(p.name[8:]))
    made = {}
    for name in [*FRAME_SPLITS, *DAY_SPLITS]:
        counts = {"cal": 0, "test": 0}
        for day, sequence in enumerate(sequences):
            for position, image in enumerate(sorted((sequence / "frames").iterdir())):
                if name in FRAME_SPLITS:
                    part = "cal" if position in FRAME_SPLITS[name] else "test"
                else:
                    part = "cal" if day in DAY_SPLITS[name] else "test"
                _link(args.out / name / part, sequence, image)
                counts[part] += 1
        made[name] = counts
    print(json.dumps(made))


if __name__ == "__main__":
    main()
