"""Each slot's own empty look, learned from a lot's calibration, and how far a patch is
from it.

A fixed camera sees the same empty space every day: its painted lines, stains and kerb.
A car covers them. Texture alone cannot tell a dull car in soft morning light from a
stained space; "this is not what the empty space looks like" can. When an operator labels
frames (`calibration.py`), the empty samples of each slot are averaged into its reference:
the patch with its brightness and contrast taken out (so the time of day matters less),
and its gradient map. Four numbers then compare a new patch with it (`REF_FEATURE_NAMES`),
and the lot's small head (`LotHead`) weighs them together with the shared model's logit.

References are keyed by the slot's outline (`polygon_key`): a slot drawn again elsewhere
has no reference until it is labelled again, and falls back to the shared model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from .sampler import Polygon

__all__ = [
    "REF_FEATURE_NAMES",
    "LotHead",
    "build_references",
    "leave_one_out_references",
    "polygon_key",
    "reference_features",
]

REF_FEATURE_NAMES = ("ncc", "diff", "grad_diff", "grad_excess")
FloatArray = npt.NDArray[np.float64]


def polygon_key(polygon: Polygon) -> str:
    """A slot's identity for its reference: its outline, to a tenth of a pixel."""
    return ";".join(f"{float(x):.1f},{float(y):.1f}" for x, y in polygon)


def _per_patch_mean(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Mean of each row of an (N, H*W) array, as a matrix-vector product (BLAS): much
    faster than numpy reducing over two axes of an (N, H, W) array."""
    return np.asarray(values @ np.full(values.shape[1], 1.0 / values.shape[1], np.float32))


def _normalised(patches: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Brightness and contrast taken out; the +4 keeps a flat patch's noise small."""
    n = len(patches)
    g = patches.reshape(n, -1).astype(np.float32)
    g -= _per_patch_mean(g)[:, None]
    g /= (np.sqrt(_per_patch_mean(g * g)) + 4.0)[:, None]
    return g.reshape(patches.shape)


def _gradients(patches: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Gradient magnitude relative to the patch's brightness (as features.py measures it)."""
    n, h, w = patches.shape
    wide = np.ascontiguousarray(patches.transpose(1, 0, 2)).reshape(h, n * w)
    gx = np.asarray(cv2.Sobel(wide, cv2.CV_32F, 1, 0, ksize=1), np.float32)
    gy = np.asarray(cv2.Sobel(wide, cv2.CV_32F, 0, 1, ksize=1), np.float32)
    mag = np.asarray(cv2.magnitude(gx, gy), np.float32).reshape(h, n, w).transpose(1, 0, 2)
    mag = np.ascontiguousarray(mag)
    mag[:, :, 0] = 0  # the columns where two patches met
    mag[:, :, -1] = 0
    level = _per_patch_mean(patches.reshape(n, -1).astype(np.float32)) + 8.0
    return np.asarray(mag / level[:, None, None], np.float32)


def _looks(patches: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(N, 2, H, W): normalised patch and gradient map of each patch."""
    return np.stack([_normalised(patches), _gradients(patches)], axis=1)


def _finish(sums: npt.NDArray[np.float32], counts: npt.NDArray[np.float64]) -> Any:
    looks = sums / np.maximum(counts, 1)[:, None, None, None].astype(np.float32)
    pattern = looks[:, 0]
    pattern /= np.sqrt((pattern * pattern).mean(axis=(1, 2), keepdims=True)) + 1e-6
    return looks


def build_references(
    patches: npt.NDArray[np.uint8], keys: Sequence[str], occupied: npt.NDArray[np.bool_]
) -> dict[str, npt.NDArray[np.float32]]:
    """Each slot's reference (2, H, W), from its samples labelled empty."""
    looks = _looks(patches)
    references: dict[str, npt.NDArray[np.float32]] = {}
    key_array = np.asarray(keys)
    for key in sorted(set(key_array[~occupied])):
        chosen = (key_array == key) & ~occupied
        references[key] = _finish(looks[chosen].sum(axis=0)[None], np.ones(1) * chosen.sum())[0]
    return references


def leave_one_out_references(
    patches: npt.NDArray[np.uint8], keys: Sequence[str], occupied: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """For every labelled sample, its slot's reference made without that sample.

    This is what the lot's head is fitted on: an empty sample compared with a reference
    that contains itself would look far more like it than any new frame will. Returns the
    references (N, 2, H, W) and which samples have one (a slot needs another empty sample).
    """
    looks = _looks(patches)
    key_array = np.asarray(keys)
    sums = np.zeros_like(looks)
    counts = np.zeros(len(keys))
    for key in set(key_array):
        same = key_array == key
        empty = same & ~occupied
        sums[same] = looks[empty].sum(axis=0)
        counts[same] = empty.sum()
    sums[~occupied] -= looks[~occupied]
    counts[~occupied] -= 1
    return _finish(sums, counts), counts > 0


def reference_features(
    patches: npt.NDArray[np.uint8], references: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """(N, H, W) patches against their slots' (N, 2, H, W) references -> (N, 4)."""
    n = len(patches)
    pattern = _normalised(patches).reshape(n, -1)
    gradient = _gradients(patches).reshape(n, -1)
    empty_pattern = references[:, 0].reshape(n, -1)
    change = gradient - references[:, 1].reshape(n, -1)
    return np.stack(
        [
            _per_patch_mean(pattern * empty_pattern),
            _per_patch_mean(np.abs(pattern - empty_pattern)),
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
