"""The slot classifier: logistic regression over the slot features, numpy only.

A linear model on light-normalised texture features is deliberately small: it has little
room to memorise one camera, so it carries over to views it never saw (measured by
leave-one-lot-out, see docs/occupancy-method.md; a small MLP on the same features did
worse there), it is trained in a second, and a lot's calibration adjusts it from a few
labelled frames without forgetting what it learned (see `refit`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .const import PATCH_H, PATCH_W
from .features import FEATURE_NAMES, FEATURES_VERSION, gradient_maps
from .memory import SlotMemory
from .references import LotHead, reference_features

if TYPE_CHECKING:
    from .samples import LabelledSamples

__all__ = ["ModelError", "SlotModel", "StaleModelError", "fit_logistic", "sigmoid"]

FloatArray = npt.NDArray[np.float64]
MAX_STEP = 2.0


class ModelError(Exception):
    """A model file that cannot be used; the message names the file."""


class StaleModelError(ModelError):
    """A model made for other features (an older version of this code)."""


@dataclass(frozen=True)
class SlotModel:
    """Standardise, weigh, squash: `P(occupied) = sigmoid(w . (x - mean) / scale + b)`.

    A calibrated lot's model also carries its slots' labelled looks and the head that
    uses them (`memory.py`; lots calibrated before it have an empty reference per slot
    and their own head instead, `references.py`); `SlotClassifier` applies them to the
    slots they belong to.
    """

    mean: FloatArray
    scale: FloatArray
    weights: FloatArray
    bias: float
    threshold: float = 0.5
    source: str = ""
    head: LotHead | None = None
    references: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict)
    memory: SlotMemory | None = None

    def logits(self, features: npt.NDArray[np.floating[Any]]) -> FloatArray:
        return np.asarray(((features - self.mean) / self.scale) @ self.weights + self.bias)

    def probabilities(self, features: npt.NDArray[np.floating[Any]]) -> FloatArray:
        return sigmoid(self.logits(features))

    def sample_logits(self, samples: LabelledSamples) -> FloatArray:
        """Logits of labelled samples, with the lot's second stage for those whose slot
        has calibrated looks (`SlotClassifier.classify` does the same for a camera's
        slots, looks cached)."""
        logits = self.logits(samples.features)
        patches, keys = samples.patches, samples.keys
        if self.memory is not None:
            bank, kinds = self.memory.bank(keys)
            known, nearest = self.memory.nearest(patches, gradient_maps(patches), bank, kinds)
            logits[known] = self.memory.head.logits(logits[known], nearest)
            return logits
        known = np.array([key in self.references for key in keys], bool)
        if self.head is not None and known.any():
            looks = np.stack([self.references[k] for k, ok in zip(keys, known, strict=True) if ok])
            chosen = patches[known]
            logits[known] = self.head.logits(
                logits[known], reference_features(chosen, gradient_maps(chosen), looks)
            )
        return logits

    def predict(self, features: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.bool_]:
        return self.probabilities(features) >= self.threshold

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "logistic",
            "features": list(FEATURE_NAMES),
            "features_version": FEATURES_VERSION,
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "weights": self.weights.round(6).tolist(),
            "bias": round(self.bias, 6),
            "threshold": self.threshold,
            "source": self.source,
            **({"head": self.head.as_dict()} if self.head is not None else {}),
            **(
                {"references": {k: _encode(v) for k, v in self.references.items()}}
                if self.references
                else {}
            ),
            **({"memory": self.memory.as_dict()} if self.memory is not None else {}),
        }

    def save(self, path: Path) -> None:
        from hub.core.files import write_atomically

        write_atomically(path, (json.dumps(self.as_dict(), indent=1) + "\n").encode())

    @classmethod
    def load(cls, path: Path) -> SlotModel:
        try:
            data = json.loads(path.read_text())
            if (
                data.get("features") != list(FEATURE_NAMES)
                or data.get("features_version", 1) != FEATURES_VERSION
            ):
                raise StaleModelError(f"{path}: made for other features; recalibrate the lot")
            return cls(
                mean=np.asarray(data["mean"], np.float64),
                scale=np.asarray(data["scale"], np.float64),
                weights=np.asarray(data["weights"], np.float64),
                bias=float(data["bias"]),
                threshold=float(data.get("threshold", 0.5)),
                source=str(data.get("source", "")),
                head=LotHead.from_dict(data["head"]) if "head" in data else None,
                references={
                    str(key): _decode(look) for key, look in data.get("references", {}).items()
                },
                memory=SlotMemory.from_dict(data["memory"]) if "memory" in data else None,
            )
        except (OSError, ValueError, KeyError, TypeError) as err:  # base64 errors are ValueErrors
            raise ModelError(f"{path}: not a slot model ({err})") from None

    def refit(
        self,
        features: npt.NDArray[np.floating[Any]],
        occupied: npt.NDArray[np.bool_],
        strength: float = 1.0,
        source: str = "",
    ) -> SlotModel:
        """This model adjusted to a lot's labelled slots (Platt scaling).

        Only two numbers are fitted, a scale and an offset of the model's logit, pulled
        towards (1, 0) by `strength`: a few labelled frames can shift and sharpen the
        decision for this camera, but cannot unlearn what holds on every camera.
        """
        logit = ((features - self.mean) / self.scale) @ self.weights + self.bias
        (scale,), offset = fit_logistic(
            logit[:, None], occupied, l2=strength, prior=(np.ones(1), 0.0)
        )
        return SlotModel(
            self.mean, self.scale, self.weights * scale, self.bias * scale + offset, 0.5, source
        )


def _encode(look: npt.NDArray[np.float32]) -> str:
    """A slot reference as base64 of little-endian float16 (3 significant digits are
    plenty for a picture; a lot of 100 slots stays near 300 kB instead of megabytes)."""
    return base64.b64encode(look.astype("<f2").tobytes()).decode("ascii")


def _decode(text: str) -> npt.NDArray[np.float32]:
    raw = np.frombuffer(base64.b64decode(text, validate=True), "<f2")
    return raw.astype(np.float32).reshape(2, PATCH_H, PATCH_W)


def sigmoid(z: FloatArray) -> FloatArray:
    """The logistic function, without overflow."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)), np.float64)


def fit_logistic(
    x: FloatArray,
    y: npt.NDArray[np.bool_],
    *,
    l2: float = 1.0,
    sample_weight: FloatArray | None = None,
    prior: tuple[FloatArray, float] | None = None,
    iterations: int = 100,
) -> tuple[FloatArray, float]:
    """Weighted, L2-regularised logistic regression by Newton's method (IRLS).

    The penalty pulls the weights towards `prior` (zero when absent). Without a prior
    the bias is free; with one it is pulled too, so a lot calibrated on frames that are
    all empty (or all full) does not learn "everything is empty".
    """
    n, d = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    target = y.astype(np.float64)
    weight = np.ones(n) if sample_weight is None else sample_weight
    centre = np.zeros(d + 1)
    if prior is not None:
        centre[:d], centre[d] = prior[0], prior[1]
    penalty = np.full(d + 1, l2)
    if prior is None:
        penalty[d] = 0.0
    beta = centre.copy()
    for _ in range(iterations):
        p = 0.5 * (1.0 + np.tanh(0.5 * (design @ beta)))  # the logistic, without overflow
        gradient = design.T @ (weight * (p - target)) + penalty * (beta - centre)
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        # Damped: on nearly separable labels a full Newton step can overshoot wildly.
        largest = np.abs(step).max()
        if largest > MAX_STEP:
            step *= MAX_STEP / largest
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:d], float(beta[d])
