"""Slot identity, and the second stage of lots calibrated before `memory.py`.

Slots are keyed by their outline (`polygon_key`): a slot drawn again elsewhere has no
calibrated looks until it is labelled again, and falls back to the shared model.

Lots calibrated by earlier versions (and the demo's bundled calibration) carry, per slot,
the average of its empty looks (its pattern with brightness and contrast taken out, and
its gradient map) and a head over four numbers comparing a patch with it
(`REF_FEATURE_NAMES`). They keep working as they were fitted; a new calibration fits the
memory instead, which keeps every labelled look, empty and occupied, and answers only for
patches near one of them (it scored higher on every UFPR05 split, README).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .memory import pattern
from .sampler import Polygon

__all__ = ["REF_FEATURE_NAMES", "LotHead", "polygon_key", "reference_features"]

REF_FEATURE_NAMES = ("ncc", "diff", "grad_diff", "grad_excess")
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
