"""A lot's own model: the shipped one refitted to slots an operator labelled.

Kept as JSON at `<data dir>/occupancy/<lot>.json`, beside the labelled samples it was fitted
on (`<lot>.samples.npz`), so labelling one more frame later adds to what was labelled
before instead of replacing it.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hub.core.files import write_atomically

from .classifier import shipped_model
from .const import CALIBRATION_DIR
from .model import ModelError, SlotModel

__all__ = ["CalibrationError", "add_samples_and_fit", "lot_model", "model_path"]

# How hard the refit is pulled towards the shipped weights: a few labelled frames move
# the decision boundary for this camera without unlearning what holds everywhere.
REFIT_STRENGTH = 10.0


class CalibrationError(Exception):
    """Labels that cannot calibrate a lot (the message says why)."""


def model_path(data_dir: Path, lot: str) -> Path:
    return data_dir / CALIBRATION_DIR / f"{lot}.json"


def _samples_path(data_dir: Path, lot: str) -> Path:
    return data_dir / CALIBRATION_DIR / f"{lot}.samples.npz"


def lot_model(data_dir: Path, lot: str) -> SlotModel:
    """The lot's calibrated model if it has one, else the shipped model.

    Raises ModelError for a calibration file that exists but cannot be used.
    """
    path = model_path(data_dir, lot)
    return SlotModel.load(path) if path.exists() else shipped_model()


def add_samples_and_fit(
    data_dir: Path,
    lot: str,
    features: npt.NDArray[np.float32],
    occupied: npt.NDArray[np.bool_],
) -> tuple[SlotModel, int]:
    """Store labelled slots for `lot`, refit its model on all of them, save it.

    Returns the model and how many labelled slots it was fitted on. Blocking: run it in
    the executor.
    """
    samples = _samples_path(data_dir, lot)
    if samples.exists():
        try:
            with np.load(samples) as stored:
                features = np.concatenate([stored["features"], features])
                occupied = np.concatenate([stored["occupied"], occupied])
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"{samples}: unreadable calibration samples ({err})") from None
    if not len(occupied):
        raise CalibrationError(f"lot {lot!r}: no labelled slots to calibrate on")
    model = shipped_model().refit(
        features.astype(np.float64),
        occupied,
        REFIT_STRENGTH,
        f"calibrated on {len(occupied)} slots",
    )
    buffer = io.BytesIO()
    np.savez_compressed(buffer, features=features, occupied=occupied)
    samples.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(samples, buffer.getvalue())
    model.save(model_path(data_dir, lot))
    return model, len(occupied)
