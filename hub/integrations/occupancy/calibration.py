"""A lot's own model: the shipped one refitted to slots an operator labelled.

Two things are fitted. The shipped model's logit gets a scale and an offset (Platt), which
corrects a camera it is biased on. And every slot labelled empty at least once gets a
reference of its empty look (`references.py`), with a small head that weighs the shared
logit against how far a patch is from that reference; this is what lifts a fixed camera
above what texture alone can do.

Kept as JSON at `<data dir>/occupancy/<lot>.json`, beside the labelled samples it was fitted
on (`<lot>.samples.npz`), so labelling one more frame later adds to what was labelled
before instead of replacing it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hub.core.files import write_atomically

from .classifier import shipped_model
from .const import CALIBRATION_DIR
from .features import FEATURES_VERSION
from .model import ModelError, SlotModel, StaleModelError, fit_logistic
from .references import (
    LotHead,
    build_references,
    leave_one_out_references,
    reference_features,
)

__all__ = [
    "CalibrationError",
    "add_samples_and_fit",
    "fit_lot_model",
    "lot_model",
    "model_path",
]

_LOGGER = logging.getLogger(__name__)

# How hard the lot's scale and offset are pulled towards the shipped model's (1, 0).
REFIT_STRENGTH = 10.0
# Labels of one kind only say nothing about where the boundary lies (a frame of an empty
# lot at night would teach "everything is empty"): the lot's model is fitted once at least
# this many slots of each kind were labelled; until then the samples are only kept.
MIN_PER_CLASS = 5
# L2 penalty of the lot's head (5 inputs, standardised): a few hundred labelled slots
# should not make it trust one of them blindly.
HEAD_L2 = 1.0


class CalibrationError(Exception):
    """Labels that cannot calibrate a lot (the message says why)."""


def model_path(data_dir: Path, lot: str) -> Path:
    return data_dir / CALIBRATION_DIR / f"{lot}.json"


def _samples_path(data_dir: Path, lot: str) -> Path:
    return data_dir / CALIBRATION_DIR / f"{lot}.samples.npz"


def lot_model(data_dir: Path, lot: str, configured: Path | None = None) -> SlotModel:
    """The lot's calibration from the data directory if it has one, else the model file
    its config names, else the shipped model.

    Raises ModelError for a model file that cannot be used (or is named but missing); a
    calibration made for older features is skipped with a warning.
    """
    path = model_path(data_dir, lot)
    if path.exists():
        try:
            return SlotModel.load(path)
        except StaleModelError as err:
            # Calibrated by an older version: the lot keeps working on the configured or
            # shipped model until an operator labels frames again.
            _LOGGER.warning("occupancy lot %r: %s; using the uncalibrated model", lot, err)
    return SlotModel.load(configured) if configured is not None else shipped_model()


def fit_lot_model(
    features: npt.NDArray[np.floating[Any]],
    occupied: npt.NDArray[np.bool_],
    patches: npt.NDArray[np.uint8],
    keys: Sequence[str],
    source: str = "",
    strength: float = REFIT_STRENGTH,
) -> SlotModel | None:
    """The shipped model calibrated on these labelled slots, or None while either kind
    has fewer than MIN_PER_CLASS of them.

    `patches` and `keys` (`references.polygon_key` of each sample's slot) give the slots'
    empty references; the head that uses them is fitted only when at least MIN_PER_CLASS
    samples of each kind have a reference made without them (see
    `leave_one_out_references`), else the lot keeps the Platt-scaled model alone.
    """
    full = int(occupied.sum())
    if min(full, len(occupied) - full) < MIN_PER_CLASS:
        return None
    base = shipped_model().refit(features.astype(np.float64), occupied, strength, source)
    looks, known = leave_one_out_references(patches, keys, occupied)
    if min(int(occupied[known].sum()), int((~occupied[known]).sum())) < MIN_PER_CLASS:
        return base
    x = np.column_stack(
        [
            base.logits(features[known].astype(np.float64)),
            reference_features(patches[known], looks[known]),
        ]
    ).astype(np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    weights, bias = fit_logistic((x - mean) / scale, occupied[known], l2=HEAD_L2)
    return replace(
        base,
        head=LotHead(mean, scale, weights, bias),
        references=build_references(patches, keys, occupied),
    )


def add_samples_and_fit(
    data_dir: Path,
    lot: str,
    features: npt.NDArray[np.float32],
    occupied: npt.NDArray[np.bool_],
    patches: npt.NDArray[np.uint8],
    keys: Sequence[str],
) -> tuple[SlotModel | None, int]:
    """Store labelled slots (features, patches, slot keys) for `lot`, refit its model on all
    of them, save it.

    Returns the model (None while the labels are all of one kind, see MIN_PER_CLASS)
    and how many labelled slots are stored. Blocking: run it in the executor.
    """
    samples = _samples_path(data_dir, lot)
    key_array = np.asarray(list(keys), dtype=str)
    if samples.exists():
        try:
            with np.load(samples) as stored:
                # Samples measured by an older version of the features would mislead the
                # fit: they are dropped and the lot is calibrated on the new labels alone.
                version = int(stored["version"]) if "version" in stored.files else 1
                if version == FEATURES_VERSION:
                    features = np.concatenate([stored["features"], features])
                    occupied = np.concatenate([stored["occupied"], occupied])
                    patches = np.concatenate([stored["patches"], patches])
                    key_array = np.concatenate([stored["keys"], key_array])
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"{samples}: unreadable calibration samples ({err})") from None
    if not len(occupied):
        raise CalibrationError(f"lot {lot!r}: no labelled slots to calibrate on")
    model = fit_lot_model(
        features, occupied, patches, list(key_array), f"calibrated on {len(occupied)} slots"
    )
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        features=features,
        occupied=occupied,
        patches=patches,
        keys=key_array,
        version=np.int32(FEATURES_VERSION),
    )
    write_atomically(samples, buffer.getvalue())
    if model is not None:
        model.save(model_path(data_dir, lot))
    return model, len(occupied)
