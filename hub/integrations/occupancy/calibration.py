"""A lot's own model: the shipped one refitted to slots an operator labelled.

Kept as JSON at `<data dir>/occupancy/<lot>.json`, beside the labelled samples it was fitted
on (`<lot>.samples.npz`), so labelling one more frame later adds to what was labelled
before instead of replacing it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hub.core.files import write_atomically

from .classifier import shipped_model
from .const import CALIBRATION_DIR
from .features import FEATURES_VERSION
from .model import ModelError, SlotModel

__all__ = [
    "CalibrationError",
    "add_samples_and_fit",
    "fit_lot_model",
    "lot_model",
    "model_path",
]

# How hard the lot's scale and offset are pulled towards the shipped model's (1, 0).
REFIT_STRENGTH = 10.0
# Labels of one kind only say nothing about where the boundary lies (a frame of an empty
# lot at night would teach "everything is empty"): the lot's model is fitted once at least
# this many slots of each kind were labelled; until then the samples are only kept.
MIN_PER_CLASS = 5


class CalibrationError(Exception):
    """Labels that cannot calibrate a lot (the message says why)."""


def model_path(data_dir: Path, lot: str) -> Path:
    return data_dir / CALIBRATION_DIR / f"{lot}.json"


def _samples_path(data_dir: Path, lot: str) -> Path:
    return data_dir / CALIBRATION_DIR / f"{lot}.samples.npz"


def lot_model(data_dir: Path, lot: str, configured: Path | None = None) -> SlotModel:
    """The lot's calibration from the data directory if it has one, else the model file
    its config names, else the shipped model.

    Raises ModelError for a model file that cannot be used (or is named but missing).
    """
    path = model_path(data_dir, lot)
    if path.exists():
        return SlotModel.load(path)
    return SlotModel.load(configured) if configured is not None else shipped_model()


def fit_lot_model(
    features: npt.NDArray[np.floating[Any]], occupied: npt.NDArray[np.bool_], source: str = ""
) -> SlotModel | None:
    """The shipped model calibrated on these labelled slots, or None while either kind
    has fewer than MIN_PER_CLASS of them."""
    full = int(occupied.sum())
    if min(full, len(occupied) - full) < MIN_PER_CLASS:
        return None
    return shipped_model().refit(features.astype(np.float64), occupied, REFIT_STRENGTH, source)


def add_samples_and_fit(
    data_dir: Path,
    lot: str,
    features: npt.NDArray[np.float32],
    occupied: npt.NDArray[np.bool_],
) -> tuple[SlotModel | None, int]:
    """Store labelled slots for `lot`, refit its model on all of them, save it.

    Returns the model (None while the labels are all of one kind, see MIN_PER_CLASS)
    and how many labelled slots are stored. Blocking: run it in the executor.
    """
    samples = _samples_path(data_dir, lot)
    if samples.exists():
        try:
            with np.load(samples) as stored:
                # Samples measured by an older version of the features would mislead the
                # fit: they are dropped and the lot is calibrated on the new labels alone.
                version = int(stored["version"]) if "version" in stored.files else 1
                if version == FEATURES_VERSION:
                    features = np.concatenate([stored["features"], features])
                    occupied = np.concatenate([stored["occupied"], occupied])
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"{samples}: unreadable calibration samples ({err})") from None
    if not len(occupied):
        raise CalibrationError(f"lot {lot!r}: no labelled slots to calibrate on")
    model = fit_lot_model(features, occupied, f"calibrated on {len(occupied)} slots")
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, features=features, occupied=occupied, version=np.int32(FEATURES_VERSION)
    )
    samples.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(samples, buffer.getvalue())
    if model is not None:
        model.save(model_path(data_dir, lot))
    return model, len(occupied)
