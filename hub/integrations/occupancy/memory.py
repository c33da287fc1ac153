"""A calibrated lot's memory: every labelled look of each slot, and a small head that asks
"which of this slot's own labelled looks is this patch nearest to?".

A fixed camera sees the same empty space every day (its painted lines, stains, the shadow
of its tree) and, for hours at a time, the same parked car. When an operator labels
frames (`calibration.py`), each slot keeps its labelled patches, empty and occupied (up to
MAX_LOOKS of each: the most recent, then the most different, see `_keep`). A new patch is
compared with every one of them: its pattern with brightness and contrast taken out, and
its gradient map relative to its brightness (both mean absolute differences); the nearest
empty look and the nearest car look give four distances, and the lot's head weighs them
with the shared model's logit.

The head speaks only for a patch that looks like something the slot was labelled with:
its nearest look (empty or car) must be as close as GATE_QUANTILE of the labelled looks
were to their own nearest other one. A patch unlike every labelled look (another time of
day, a car never seen, a dawn the operator never labelled) keeps the (Platt-scaled)
shared model's answer, so the memory cannot make a light it never saw worse. The head is
fitted leave-one-out: each labelled sample is compared with the looks its slot keeps,
other than itself, as a new frame will be.

Looks are keyed by the slot's outline (`references.polygon_key`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from .const import PATCH_H, PATCH_W
from .features import gradient_maps

__all__ = [
    "MEMORY_INPUTS",
    "MemoryHead",
    "SlotMemory",
    "fit_memory",
    "pattern",
    "slot_looks",
]

MEMORY_INPUTS = ("logit", "empty_pattern", "empty_gradient", "car_pattern", "car_gradient")
# Labelled patches kept per slot and kind (empty, car): the most recent ones.
MAX_LOOKS = 12
# How close the nearest labelled look must be for the head to answer: this quantile of
# the labelled samples' own nearest-other-look distances.
GATE_QUANTILE = 0.9
# L2 penalty of the head (5 standardised inputs).
HEAD_L2 = 1.0
_PIXELS = PATCH_H * PATCH_W
_EMPTY, _CAR, _NONE = 0, 1, -1
# Looks are kept as 8-bit images, so comparing a patch with two dozen looks is one
# saturating OpenCV difference and one row sum: the pattern in steps of 1/32 of its
# contrast around 128, the relative gradient in steps of 1/48 (a few percent of a
# typical value; the distances average 512 pixels).
_SCALES = np.array([32.0, 48.0])

FloatArray = npt.NDArray[np.float64]
Looks = npt.NDArray[np.uint8]


def pattern(patches: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(N, H, W) -> (N, H*W): brightness and contrast taken out (zero mean, unit
    contrast; the +4 keeps a flat patch's noise small), so light matters less."""
    n = len(patches)
    values = patches.reshape(n, -1).astype(np.float32)
    values -= values.mean(axis=1, keepdims=True)
    values /= np.sqrt((values * values).mean(axis=1, keepdims=True)) + 4.0
    return values


def slot_looks(patches: npt.NDArray[np.uint8], gradients: npt.NDArray[np.float32]) -> Looks:
    """(N, H, W) patches and their relative gradient maps -> (N, 2, H*W) 8-bit looks:
    the `pattern` and the gradient map."""
    n = len(patches)
    looks = np.stack(
        [128.0 + _SCALES[0] * pattern(patches), _SCALES[1] * gradients.reshape(n, -1)], axis=1
    )
    return np.asarray(np.clip(np.rint(looks), 0, 255), np.uint8)


def _nearest(query: Looks, bank: Looks, kinds: npt.NDArray[np.int8]) -> FloatArray:
    """(n, 2, D) looks against each one's (n, K, 2, D) labelled looks of kinds (n, K) ->
    (n, 4): nearest empty pattern and gradient distance, nearest car pattern and gradient
    distance (mean absolute differences; inf where the slot has no look of that kind)."""
    n, k = kinds.shape
    out = np.full((n, 4), np.inf)
    if not k:
        return out
    repeated = np.repeat(query.reshape(n, 2 * _PIXELS), k, axis=0)
    change = cv2.absdiff(np.ascontiguousarray(bank).reshape(n * k, 2 * _PIXELS), repeated)
    sums = cv2.reduce(change.reshape(n * k * 2, _PIXELS), 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S)
    distances = sums.reshape(n, k, 2) / (_PIXELS * _SCALES)
    for column, kind in ((0, _EMPTY), (2, _CAR)):
        chosen = np.where((kinds == kind)[:, :, None], distances, np.inf)
        out[:, column : column + 2] = chosen.min(axis=1)
    return out


@dataclass(frozen=True)
class MemoryHead:
    """Logistic regression over (shared logit, the four nearest-look distances), used
    only where the nearest look is within `gate`. `car_fill` stands in for the car
    distances of a slot never labelled occupied."""

    mean: FloatArray
    scale: FloatArray
    weights: FloatArray
    bias: float
    gate: float
    car_fill: FloatArray

    def filled(self, nearest: FloatArray) -> FloatArray:
        """`nearest` with the car distances of slots that have no car look filled in."""
        nearest = nearest.copy()
        nearest[~np.isfinite(nearest[:, 2]), 2:] = self.car_fill
        return nearest

    def logits(self, base: FloatArray, nearest: FloatArray) -> FloatArray:
        """`base` logits changed where the head answers; `nearest` as `filled` returns."""
        familiar = np.minimum(nearest[:, 0], nearest[:, 2]) <= self.gate
        x = np.column_stack([base, nearest])
        out = base.astype(np.float64).copy()
        out[familiar] = ((x[familiar] - self.mean) / self.scale) @ self.weights + self.bias
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": list(MEMORY_INPUTS),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "weights": self.weights.round(6).tolist(),
            "bias": round(self.bias, 6),
            "gate": round(self.gate, 6),
            "car_fill": self.car_fill.round(6).tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemoryHead:
        if data.get("inputs") != list(MEMORY_INPUTS):
            raise ValueError("memory head made for other inputs")
        return cls(
            np.asarray(data["mean"], np.float64),
            np.asarray(data["scale"], np.float64),
            np.asarray(data["weights"], np.float64),
            float(data["bias"]),
            float(data["gate"]),
            np.asarray(data["car_fill"], np.float64),
        )


@dataclass(frozen=True)
class SlotMemory:
    """The labelled patches of each slot, empty and occupied, and the head."""

    head: MemoryHead
    empty: dict[str, npt.NDArray[np.uint8]]
    cars: dict[str, npt.NDArray[np.uint8]]

    def bank(self, keys: Sequence[str]) -> tuple[Looks, npt.NDArray[np.int8]]:
        """Looks of these slots' labelled patches, (N, K, 2, D), and their kinds (N, K):
        empty, car, or none (padding). Built once per camera (`SlotClassifier`)."""
        counts = [len(self.empty.get(k, ())) + len(self.cars.get(k, ())) for k in keys]
        width = max(counts, default=0)
        bank = np.zeros((len(keys), width, 2, _PIXELS), np.uint8)
        kinds = np.full((len(keys), width), _NONE, np.int8)
        for row, key in enumerate(keys):
            empty = self.empty.get(key, np.zeros((0, PATCH_H, PATCH_W), np.uint8))
            cars = self.cars.get(key, np.zeros((0, PATCH_H, PATCH_W), np.uint8))
            patches = np.concatenate([empty, cars])
            if len(patches):
                bank[row, : len(patches)] = slot_looks(patches, gradient_maps(patches))
                kinds[row, : len(empty)] = _EMPTY
                kinds[row, len(empty) : len(patches)] = _CAR
        return bank, kinds

    def nearest(
        self,
        patches: npt.NDArray[np.uint8],
        gradients: npt.NDArray[np.float32],
        bank: Looks,
        kinds: npt.NDArray[np.int8],
    ) -> tuple[npt.NDArray[np.bool_], FloatArray]:
        """Which of these slots have an empty look (the head can answer for them), and
        their four nearest-look distances, car distances filled in (`MemoryHead.filled`)."""
        known = (kinds == _EMPTY).any(axis=1)
        if not known.all():
            patches, gradients, bank, kinds = (
                patches[known],
                gradients[known],
                bank[known],
                kinds[known],
            )
        return known, self.head.filled(_nearest(slot_looks(patches, gradients), bank, kinds))

    def as_dict(self) -> dict[str, Any]:
        return {
            "head": self.head.as_dict(),
            "empty": {k: _encode(v) for k, v in self.empty.items()},
            "cars": {k: _encode(v) for k, v in self.cars.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlotMemory:
        return cls(
            MemoryHead.from_dict(data["head"]),
            {str(k): _decode(v) for k, v in data["empty"].items()},
            {str(k): _decode(v) for k, v in data["cars"].items()},
        )


def _encode(patches: npt.NDArray[np.uint8]) -> str:
    return base64.b64encode(np.ascontiguousarray(patches, np.uint8).tobytes()).decode("ascii")


def _decode(text: str) -> npt.NDArray[np.uint8]:
    raw = np.frombuffer(base64.b64decode(text, validate=True), np.uint8)
    return raw.reshape(-1, PATCH_H, PATCH_W).copy()


def _distances(looks: npt.NDArray[np.int16], look: npt.NDArray[np.int16]) -> FloatArray:
    """(m, 2, D) looks against one (2, D) look -> (m, 2) pattern and gradient distances."""
    return np.asarray(np.abs(looks - look).mean(axis=2) / _SCALES, np.float64)


def _keep(looks: npt.NDArray[np.int16]) -> npt.NDArray[np.intp]:
    """Which of one slot's labelled looks of one kind to keep (at most MAX_LOOKS): the
    most recent, then each time the one farthest from those kept, so a slot labelled by
    day and by night, or with several cars, keeps some of each."""
    if len(looks) <= MAX_LOOKS:
        return np.arange(len(looks))
    kept = [len(looks) - 1]
    nearest = _distances(looks, looks[-1]).sum(axis=1)
    while len(kept) < MAX_LOOKS:
        farthest = int(np.argmax(nearest))
        kept.append(farthest)
        nearest = np.minimum(nearest, _distances(looks, looks[farthest]).sum(axis=1))
    return np.sort(np.asarray(kept))


def _against_kept(
    looks: npt.NDArray[np.int16], occupied: npt.NDArray[np.bool_]
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """One slot's samples -> the looks it keeps (indices), and each sample against the
    kept looks other than itself, (m, 4) as `_nearest`: what a new frame will be compared
    with. A kept look identical to the sample (the same frame labelled twice) does not
    count."""
    kept = np.concatenate(
        [np.flatnonzero(kind)[_keep(looks[kind])] for kind in (~occupied, occupied)]
    )
    out = np.full((len(looks), 4), np.inf)
    for index in range(len(looks)):
        distances = _distances(looks[kept], looks[index])
        others = (distances[:, 0] > 0) & (kept != index)
        for column, kind in ((0, ~occupied[kept]), (2, occupied[kept])):
            chosen = others & kind
            if chosen.any():
                out[index, column : column + 2] = distances[chosen].min(axis=0)
    return out, kept


def fit_memory(
    base_logits: FloatArray,
    patches: npt.NDArray[np.uint8],
    gradients: npt.NDArray[np.float32],
    keys: Sequence[str],
    occupied: npt.NDArray[np.bool_],
    min_per_class: int,
) -> SlotMemory | None:
    """The lot's memory from labelled samples (in the order they were labelled), or None
    while fewer than `min_per_class` samples of each kind are near enough another look of
    their slot to fit the head on."""
    from .model import fit_logistic  # model.py imports this module

    looks = slot_looks(patches, gradients).astype(np.int16)
    key_array = np.asarray(list(keys))
    nearest = np.full((len(key_array), 4), np.inf)
    empty: dict[str, npt.NDArray[np.uint8]] = {}
    cars: dict[str, npt.NDArray[np.uint8]] = {}
    for key in sorted(set(key_array)):
        same = np.flatnonzero(key_array == key)
        nearest[same], kept = _against_kept(looks[same], occupied[same])
        for store, kind in ((empty, False), (cars, True)):
            chosen = same[kept][occupied[same][kept] == kind]
            if len(chosen):
                store[str(key)] = np.ascontiguousarray(patches[chosen], np.uint8)
    usable = np.isfinite(nearest[:, 0])  # the slot keeps an empty look other than this one
    if not usable.any():
        return None
    # A slot never labelled occupied: its car distances are taken as the farthest seen
    # (no car looks like this patch), or as the farthest empty distances if no slot has
    # a second car look.
    known_car = usable & np.isfinite(nearest[:, 2])
    if known_car.any():
        car_fill = nearest[known_car, 2:].max(axis=0)
    else:
        car_fill = nearest[usable, :2].max(axis=0)
    nearest[usable & ~known_car, 2:] = car_fill
    closest = np.minimum(nearest[:, 0], nearest[:, 2])
    gate = float(np.quantile(closest[usable], GATE_QUANTILE))
    chosen = usable & (closest <= gate)
    labels = occupied[chosen]
    if min(int(labels.sum()), int((~labels).sum())) < min_per_class:
        return None
    x = np.column_stack([base_logits[chosen], nearest[chosen]])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    weights, bias = fit_logistic((x - mean) / scale, labels, l2=HEAD_L2)
    return SlotMemory(MemoryHead(mean, scale, weights, bias, gate, car_fill), empty, cars)
