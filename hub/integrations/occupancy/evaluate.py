"""`parkhub eval occupancy`: score a method on PKLot-format data, side by side with the
seeds' baseline. Timing separates decoding a frame (the floor any method pays) from
classifying its slots. An image or label file that cannot be read is counted and named
in the result (`skipped`, `skipped_files`), and the rest is scored."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .baseline import DEFAULT_BASELINE_THRESHOLD, baseline_ratios
from .calibration import MIN_PER_CLASS, fit_lot_model
from .dataset import DatasetError, LabelledFrame, find_frames
from .samples import SlotClassifiers, decode, read_samples

__all__ = ["METHODS", "evaluate"]

from .cli import METHODS


def _truth(frame: LabelledFrame) -> npt.NDArray[np.bool_]:
    return np.array([space.occupied for space in frame.spaces], bool)


class _Texture:
    """The shipped classifier, or the lot's calibration of it."""

    def __init__(self) -> None:
        self.classifiers = SlotClassifiers()  # per slot layout (fixed per camera)

    def prepare(self, frame: LabelledFrame) -> None:
        self.classifiers.for_frame(frame)

    def predict(self, frame: LabelledFrame, image: npt.NDArray[np.uint8]) -> Any:
        classifier = self.classifiers.for_frame(frame)
        return classifier.probabilities(image) >= classifier.model.threshold

    def calibrate(self, frames: Iterable[LabelledFrame]) -> None:
        model = fit_lot_model(read_samples(frames, self.classifiers))
        if model is None:
            raise DatasetError(
                f"calibration needs at least {MIN_PER_CLASS} occupied and {MIN_PER_CLASS} "
                "empty labelled slots"
            )
        self.classifiers = SlotClassifiers(model)

    def second_stage(self) -> str:
        """What the calibration added to the Platt-scaled model (see calibration.py)."""
        model = self.classifiers.model
        if model.memory is not None:
            return "memory"
        return "references" if model.head is not None else "none"


class _Baseline:
    def __init__(self) -> None:
        self.threshold = DEFAULT_BASELINE_THRESHOLD

    def prepare(self, frame: LabelledFrame) -> None:
        pass

    def predict(self, frame: LabelledFrame, image: npt.NDArray[np.uint8]) -> Any:
        return baseline_ratios(image, [s.polygon for s in frame.spaces]) > self.threshold

    def calibrate(self, frames: Iterable[LabelledFrame]) -> None:
        """The threshold that scores best on the labelled frames."""
        ratios, labels = [], []
        for frame in frames:
            ratios.append(baseline_ratios(decode(frame), [s.polygon for s in frame.spaces]))
            labels.append(_truth(frame))
        if ratios:
            r, y = np.concatenate(ratios), np.concatenate(labels)
            candidates = np.linspace(0.0, 0.6, 121)
            scores = [float(((r > t) == y).mean()) for t in candidates]
            self.threshold = float(candidates[int(np.argmax(scores))])


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def evaluate(
    dataset: Path, method: str = "texture", calibrate_on: Path | None = None
) -> dict[str, Any]:
    """Score `method` on every labelled frame under `dataset`."""
    runner: _Texture | _Baseline = _Texture() if method == "texture" else _Baseline()
    skipped: list[str] = []
    if calibrate_on is not None:
        runner.calibrate(find_frames(calibrate_on))
    totals = {"tp": 0, "tn": 0, "fp": 0, "fn": 0}
    per_lot: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    frames = 0
    decode_s = classify_s = 0.0
    for frame in find_frames(dataset, skipped):
        if not frame.spaces:
            continue
        started = time.perf_counter()
        try:
            image = decode(frame)
        except DatasetError as err:
            skipped.append(str(err))
            continue
        decoded = time.perf_counter()
        runner.prepare(frame)  # per-camera set-up, done once in a running hub
        prepared = time.perf_counter()
        predicted = runner.predict(frame, image)
        classify_s += time.perf_counter() - prepared
        decode_s += decoded - started
        truth = _truth(frame)
        totals["tp"] += int((predicted & truth).sum())
        totals["tn"] += int((~predicted & ~truth).sum())
        totals["fp"] += int((predicted & ~truth).sum())
        totals["fn"] += int((~predicted & truth).sum())
        per_lot[frame.lot][0] += int((predicted == truth).sum())
        per_lot[frame.lot][1] += len(truth)
        frames += 1
    if not frames:
        reason = f" ({len(skipped)} unreadable: {skipped[0]})" if skipped else ""
        raise DatasetError(f"{dataset}: no images with PKLot XML labels found{reason}")
    tp, tn, fp, fn = totals["tp"], totals["tn"], totals["fp"], totals["fn"]
    slots = tp + tn + fp + fn
    result: dict[str, Any] = {
        "method": method,
        "frames": frames,
        "slots": slots,
        "accuracy": _ratio(tp + tn, slots),
        "f1_occupied": _ratio(2 * tp, 2 * tp + fp + fn),
        "recall_occupied": _ratio(tp, tp + fn),
        "recall_empty": _ratio(tn, tn + fp),
        "per_lot_accuracy": {lot: _ratio(*counts) for lot, counts in sorted(per_lot.items())},
        "ms_per_frame": round(1000 * classify_s / frames, 3),
        "decode_ms_per_frame": round(1000 * decode_s / frames, 3),
        "skipped": len(skipped),
        "skipped_files": skipped,
    }
    if isinstance(runner, _Baseline):
        result["threshold"] = runner.threshold
    if calibrate_on is not None:
        result["calibrated_on"] = str(calibrate_on)
    if isinstance(runner, _Texture) and calibrate_on is not None:
        result["second_stage"] = runner.second_stage()
    return result
