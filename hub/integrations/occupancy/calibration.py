"""A lot's own model: the shipped one with a second stage fitted to slots an operator
labelled.

Every slot keeps its labelled looks, empty and occupied, with a small head that weighs the
shared logit against how near a patch is to the slot's nearest empty and nearest car
look, for patches near one of them (`memory.py`); this is what lifts a fixed camera above
what texture alone can do. Everything else keeps the shipped model's answer as it is.
Earlier calibrations also rescaled the shared logit to the lot (Platt); measured on
UFPR05 that made days the operator did not label worse (a dawn day alone: 96.6% with it,
99.0% without; docs/occupancy-method.md), and it never helped the memory's splits, so
the memory does without it. `fit_second_stage` still fits it with the averaged empty references of
earlier calibrations (`references.py`), for the demo's calibration and the bench.

Kept as JSON at `<data dir>/occupancy/<lot>.json`, beside the labelled samples it was fitted
on (`<lot>.samples.npz`), so labelling one more frame later adds to what was labelled
before instead of replacing it.
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from hub.core.files import write_atomically

from .classifier import shipped_model
from .const import CALIBRATION_DIR
from .features import FEATURES_VERSION, gradient_maps
from .memory import fit_memory
from .model import ModelError, SlotModel, StaleModelError
from .references import fit_references
from .samples import LabelledSamples

__all__ = [
    "CalibrationError",
    "add_samples_and_fit",
    "fit_lot_model",
    "fit_second_stage",
    "lot_model",
    "model_path",
]

_LOGGER = logging.getLogger(__name__)

# With the averaged references: how hard the lot's logit scale and offset are pulled
# towards the shipped model's (1, 0).
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


def fit_second_stage(
    samples: LabelledSamples, kind: str, source: str = "", strength: float = REFIT_STRENGTH
) -> SlotModel | None:
    """The shipped model with the second stage `kind` fitted on these samples: "memory"
    (`memory.py`), or "references" (`references.py`, on the shipped logit Platt-scaled
    with `strength`, as earlier calibrations were). Without the second stage while it
    cannot be fitted yet; None while either kind of label has fewer than MIN_PER_CLASS
    samples."""
    occupied = samples.occupied
    full = int(occupied.sum())
    if min(full, len(occupied) - full) < MIN_PER_CLASS:
        return None
    features = samples.features.astype(np.float64)
    patches = samples.patches
    gradients = gradient_maps(patches)
    if kind == "memory":
        base = replace(shipped_model(), source=source)
        memory = fit_memory(
            base.logits(features), patches, gradients, samples.keys, occupied, MIN_PER_CLASS
        )
        return base if memory is None else replace(base, memory=memory)
    base = shipped_model().refit(features, occupied, strength, source)
    fitted = fit_references(
        base.logits(features), patches, gradients, samples.keys, occupied, MIN_PER_CLASS
    )
    return base if fitted is None else replace(base, head=fitted[0], references=fitted[1])


def fit_lot_model(samples: LabelledSamples, source: str = "") -> SlotModel | None:
    """The shipped model calibrated on these labelled slots, or None while either kind
    has fewer than MIN_PER_CLASS of them.

    The slots' labelled looks and their head (`memory.py`) are added once they can be
    fitted (a slot needs two frames labelled free); until then the lot keeps the shipped
    model. (The averaged empty references of `references.py`, the other second stage,
    scored lower on every UFPR05 split and fell far below the shipped model on days they
    were not labelled in.)
    """
    return fit_second_stage(samples, "memory", source)


def add_samples_and_fit(
    data_dir: Path, lot: str, samples: LabelledSamples
) -> tuple[SlotModel | None, int]:
    """Store labelled slots for `lot` after those labelled before, refit its model on all
    of them, save it.

    Returns the model (None while the labels are all of one kind, see MIN_PER_CLASS)
    and how many labelled slots are stored. Blocking: run it in the executor.
    """
    path = _samples_path(data_dir, lot)
    if path.exists():
        try:
            with np.load(path) as stored:
                # Samples measured by an older version of the features would mislead the
                # fit: they are dropped and the lot is calibrated on the new labels alone.
                version = int(stored["version"]) if "version" in stored.files else 1
                if version == FEATURES_VERSION:
                    earlier = LabelledSamples(
                        stored["features"],
                        stored["occupied"],
                        stored["patches"],
                        [str(key) for key in stored["keys"]],
                    )
                    samples = LabelledSamples.concatenate([earlier, samples])
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"{path}: unreadable calibration samples ({err})") from None
    if not len(samples):
        raise CalibrationError(f"lot {lot!r}: no labelled slots to calibrate on")
    model = fit_lot_model(samples, f"calibrated on {len(samples)} slots")
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        features=samples.features,
        occupied=samples.occupied,
        patches=samples.patches,
        keys=np.asarray(samples.keys, dtype=str),
        version=np.int32(FEATURES_VERSION),
    )
    write_atomically(path, buffer.getvalue())
    if model is not None:
        model.save(model_path(data_dir, lot))
    return model, len(samples)
