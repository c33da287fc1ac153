"""Slot identity, and the second stage of lots calibrated before `memory.py`.

Slots are keyed by their outline (`polygon_key`): a slot drawn again elsewhere has no
calibrated looks until it is labelled again, and falls back to the shared model.

The empty reference: per slot, the average of its empty looks (its pattern with
brightness and contrast taken out, and its gradient map), and a head over four numbers
comparing a patch with it (`REF_FEATURE_NAMES`). Averaging takes out what changes from one
frame to the next (noise, grain), so it carries over to frames unlike any labelled one
better than `memory.py`'s nearest looks, but it is blind to the light it was learned in
and has no gate: on UFPR05 days it was not labelled in it fell far below the shipped
model. New calibrations fit the memory (`calibration.fit_lot_model`); lots calibrated by
earlier versions keep these as fitted, and the demo's bundled calibration is fitted with
them (its seeds draw different asphalt grain in one unchanging light, where averaging
wins: `scripts/occupancy/calibrate_demo.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .const import PATCH_H, PATCH_W
from .memory import pattern
from .sampler import Polygon

__all__ = [
    "REF_FEATURE_NAMES",
    "LotHead",
    "fit_references",
    "polygon_key",
    "reference_features",
]

REF_FEATURE_NAMES = ("ncc", "diff", "grad_diff", "grad_excess")
# L2 penalty of the head (5 inputs, standardised): a few hundred labelled slots should
# not make it trust one of them blindly.
HEAD_L2 = 1.0
FloatArray = npt.NDArray[np.float64]


def polygon_key(polygon: Polygon) -> str:
    """A slot's identity for its calibrated looks: its outline, to a tenth of a pixel."""
    return ";".join(f"{float(x):.1f},{float(y):.1f}" for x, y in polygon)


def _per_patch_mean(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Mean of each row of an (N, H*W) array, as a matrix-vector product (BLAS): much
    faster than numpy reducing over two axes of an (N, H, W) array."""
    return np.asarray(values @ np.full(values.shape[1], 1.0 / values.shape[1], np.float32))


def reference_features(
    patches: npt.NDArray[np.uint8],
    gradients: npt.NDArray[np.float32],
    references: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32]:
    """(N, H, W) patches, their relative gradient maps (`features.slot_measures`) and
    their slots' (N, 2, H, W) empty references -> (N, 4)."""
    n = len(patches)
    normalised = pattern(patches)
    empty_pattern = references[:, 0].reshape(n, -1)
    change = gradients.reshape(n, -1) - references[:, 1].reshape(n, -1)
    return np.stack(
        [
            _per_patch_mean(normalised * empty_pattern),
            _per_patch_mean(np.abs(normalised - empty_pattern)),
            _per_patch_mean(np.abs(change)),
            _per_patch_mean(np.maximum(change, 0)),
        ],
        axis=1,
    ).astype(np.float32)


def _references(
    looks: npt.NDArray[np.float32], keys: Sequence[str], occupied: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """Each slot's reference from all its empty samples (K, 2, H*W) for the sorted slot
    keys that have one, and for every sample its slot's reference made without it
    (N, 2, H*W) and whether there is one (the slot has another empty sample): an empty
    sample compared with a reference that contains itself would look far more like it
    than any new frame will."""
    key_array = np.asarray(list(keys))
    sums = np.zeros_like(looks)
    counts = np.zeros(len(key_array))
    for key in set(key_array):
        same = key_array == key
        empty = same & ~occupied
        sums[same] = looks[empty].sum(axis=0)
        counts[same] = empty.sum()
    full = _finish(sums.copy(), counts)
    sums[~occupied] -= looks[~occupied]
    counts[~occupied] -= 1
    return full, _finish(sums, counts), counts > 0


def _finish(sums: npt.NDArray[np.float32], counts: npt.NDArray[np.float64]) -> Any:
    looks = sums / np.maximum(counts, 1)[:, None, None].astype(np.float32)
    average = looks[:, 0]
    average /= np.sqrt((average * average).mean(axis=1, keepdims=True)) + 1e-6
    return looks


def fit_references(
    base_logits: FloatArray,
    patches: npt.NDArray[np.uint8],
    gradients: npt.NDArray[np.float32],
    keys: Sequence[str],
    occupied: npt.NDArray[np.bool_],
    min_per_class: int,
) -> tuple[LotHead, dict[str, npt.NDArray[np.float32]]] | None:
    """The empty references and their head from labelled samples, or None while fewer
    than `min_per_class` samples of each kind have a reference made without them."""
    from .model import fit_logistic  # model.py imports this module

    n = len(patches)
    looks = np.stack([pattern(patches), gradients.reshape(n, -1)], axis=1)
    full, without, known = _references(looks, keys, occupied)
    if min(int(occupied[known].sum()), int((~occupied[known]).sum())) < min_per_class:
        return None
    shaped = without[known].reshape(-1, 2, PATCH_H, PATCH_W)
    x = np.column_stack(
        [base_logits[known], reference_features(patches[known], gradients[known], shaped)]
    ).astype(np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    weights, bias = fit_logistic((x - mean) / scale, occupied[known], l2=HEAD_L2)
    key_array = np.asarray(list(keys))
    references = {
        str(key): full[np.flatnonzero((key_array == key) & ~occupied)[0]].reshape(
            2, PATCH_H, PATCH_W
        )
        for key in sorted(set(key_array[~occupied]))
    }
    return LotHead(mean, scale, weights, bias), references


@dataclass(frozen=True)
class LotHead:
    """A lot's second stage: logistic regression over (shared logit, reference features)."""

    mean: FloatArray
    scale: FloatArray
    weights: FloatArray
    bias: float

    def logits(self, base: FloatArray, compared: npt.NDArray[np.float32]) -> FloatArray:
        x = np.column_stack([base, compared])
        return np.asarray(((x - self.mean) / self.scale) @ self.weights + self.bias, np.float64)

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": ["logit", *REF_FEATURE_NAMES],
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "weights": self.weights.round(6).tolist(),
            "bias": round(self.bias, 6),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LotHead:
        if data.get("inputs") != ["logit", *REF_FEATURE_NAMES]:
            raise ValueError("head made for other inputs")
        return cls(
            np.asarray(data["mean"], np.float64),
            np.asarray(data["scale"], np.float64),
            np.asarray(data["weights"], np.float64),
            float(data["bias"]),
        )
