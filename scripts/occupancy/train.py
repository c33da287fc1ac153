"""Train the shipped slot model and report how it does on lots it was not trained on.

    python scripts/occupancy/make_datasets.py --out /tmp/occupancy-data
    python scripts/occupancy/train.py --data /tmp/occupancy-data \
        --pklot /work/shared/datasets/occupancy/pklot-ufpr05 --write

Data (read where it lies, never copied into the repository):
- PKLot UFPR05 (30 frames, 6 days, 40 spaces each): Almeida et al., "PKLot - A robust
  dataset for parking lot classification", Expert Systems with Applications, 2015.
- aerial-lot: computervisioneng/parking-space-counter (MIT), 140 frames of a drone video,
  6090 labelled slots, converted by make_datasets.py.
- carpark: frame 0 of the CVZone carPark.mp4 with 69 slots, labelled by hand here.

Prints one JSON object: leave-one-lot-out (train on the other lots, test on this one),
leave-one-day-out on UFPR05, and the same for the baseline. With --write, fits on all
three lots and writes hub/integrations/occupancy/model.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hub.integrations.occupancy.dataset import find_frames
from hub.integrations.occupancy.features import FEATURES_VERSION
from hub.integrations.occupancy.model import SlotModel, fit_logistic
from hub.integrations.occupancy.samples import read_samples

L2 = 10.0
MODEL_PATH = Path(__file__).resolve().parents[2] / "hub/integrations/occupancy/model.json"


def extract(directory: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and a group per slot (the frame's parent folder: a PKLot day)."""
    frames = [frame for frame in find_frames(directory) if frame.spaces]
    samples = read_samples(frames)
    groups = [frame.image.parent.parent.name for frame in frames for _ in frame.spaces]
    return samples.features, samples.occupied, np.array(groups)


def train(parts: list[tuple[np.ndarray, np.ndarray]]) -> SlotModel:
    """Each lot weighs the same, however many slots it has."""
    x = np.concatenate([p[0] for p in parts]).astype(np.float64)
    y = np.concatenate([p[1] for p in parts]).astype(bool)
    weight = np.concatenate([np.full(len(p[1]), 1.0 / len(p[1])) for p in parts])
    weight *= len(y) / weight.sum()
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    weights, bias = fit_logistic((x - mean) / scale, y, l2=L2, sample_weight=weight)
    return SlotModel(mean, scale, weights, bias)


def score(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    truth = truth.astype(bool)
    return {
        "slots": len(truth),
        "accuracy": round(float((predicted == truth).mean()), 4),
        "recall_occupied": round(float(predicted[truth].mean()), 4) if truth.any() else None,
        "recall_empty": round(float((~predicted[~truth]).mean()), 4) if (~truth).any() else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="make_datasets.py output")
    parser.add_argument("--pklot", type=Path, required=True, help="PKLot UFPR05 folder")
    parser.add_argument("--write", action="store_true", help="write the shipped model")
    args = parser.parse_args()
    lots = {
        "ufpr05": extract(args.pklot),
        "aerial": extract(args.data / "aerial"),
        "carpark": extract(args.data / "carpark"),
    }
    report: dict[str, object] = {"l2": L2, "leave_one_lot_out": {}, "ufpr05_leave_one_day_out": {}}
    for test, (x, y, _) in lots.items():
        model = train([(lx, ly) for name, (lx, ly, _) in lots.items() if name != test])
        report["leave_one_lot_out"][test] = score(model.predict(x), y)  # type: ignore[index]
    x, y, days = lots["ufpr05"]
    predicted = np.zeros(len(y), bool)
    for day in np.unique(days):
        held = days == day
        others = [(lx, ly) for name, (lx, ly, _) in lots.items() if name != "ufpr05"]
        model = train([(x[~held], y[~held]), *others])
        predicted[held] = model.predict(x[held])
        report["ufpr05_leave_one_day_out"][str(day)] = score(predicted[held], y[held])  # type: ignore[index]
    report["ufpr05_leave_one_day_out"]["all"] = score(predicted, y)  # type: ignore[index]
    if args.write:
        model = train([(lx, ly) for lx, ly, _ in lots.values()])
        model = SlotModel(
            model.mean,
            model.scale,
            model.weights,
            model.bias,
            0.5,
            f"scripts/occupancy/train.py (features v{FEATURES_VERSION}, L2 {L2}) on "
            + ", ".join(f"{name} ({len(ly)} slots)" for name, (_, ly, _) in lots.items())
            + f": {args.pklot.name} (PKLot, Almeida et al. 2015), aerial-lot and carpark"
            " converted by make_datasets.py",
        )
        model.save(MODEL_PATH)
        report["trained_on_all"] = {
            n: score(model.predict(lx), ly) for n, (lx, ly, _) in lots.items()
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
