"""One lot's slots and model, ready to classify frames (pure CPU work, run in the executor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .const import MODEL_FILE, PATCH_H, PATCH_W
from .features import frame_texture, slot_features, slot_measures, to_grey
from .model import SlotModel, sigmoid
from .references import polygon_key, reference_features
from .sampler import Polygon, SlotSampler

__all__ = ["SlotClassifier", "shipped_model"]


@cache
def shipped_model() -> SlotModel:
    """The model trained by scripts/occupancy/train.py and shipped beside this module."""
    return SlotModel.load(Path(__file__).with_name(MODEL_FILE))


@dataclass(frozen=True)
class _Calibrated:
    """A calibrated model's looks for one classifier's slots, in slot order."""

    model: SlotModel
    bank: npt.NDArray[np.uint8]  # memory looks (N, K, 2, H*W), memory.SlotMemory.bank
    kinds: npt.NDArray[np.int8]
    has_reference: npt.NDArray[np.bool_]  # averaged empty references of earlier calibrations
    references: npt.NDArray[np.float32]

    @classmethod
    def build(cls, model: SlotModel, keys: Sequence[str]) -> _Calibrated:
        if model.memory is not None:
            bank, kinds = model.memory.bank(keys)
        else:
            bank = np.zeros((len(keys), 0, 2, PATCH_H * PATCH_W), np.uint8)
            kinds = np.zeros((len(keys), 0), np.int8)
        references = np.zeros((len(keys), 2, PATCH_H, PATCH_W), np.float32)
        for index, key in enumerate(keys):
            if key in model.references:
                references[index] = model.references[key]
        has_reference = np.array([key in model.references for key in keys], bool)
        return cls(model, bank, kinds, has_reference, references)


class SlotClassifier:
    """Features and probabilities for a fixed set of slot polygons."""

    def __init__(self, polygons: Sequence[Polygon], model: SlotModel | None = None) -> None:
        self.sampler = SlotSampler(polygons)
        self.keys = [polygon_key(polygon) for polygon in polygons]
        self._calibrated: _Calibrated | None = None
        self.set_model(model or shipped_model())

    def set_model(self, model: SlotModel) -> None:
        """Use `model` from the next classification on. A calibrated model's looks for
        these slots are prepared by that classification, so in a running lot the work
        happens in the executor, and a frame being classified meanwhile finishes with the
        model it started with."""
        self.model = model

    def _looks(self, model: SlotModel) -> _Calibrated:
        calibrated = self._calibrated
        if calibrated is None or calibrated.model is not model:
            calibrated = self._calibrated = _Calibrated.build(model, self.keys)
        return calibrated

    def sample(
        self, frame: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.uint8], tuple[float, float]]:
        """Every slot's patch, and the view's texture level."""
        grey = to_grey(frame)
        return self.sampler.patches(grey), frame_texture(grey)

    def features(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        patches, texture = self.sample(frame)
        return slot_features(patches, texture)

    def classify(
        self,
        patches: npt.NDArray[np.uint8],
        texture: tuple[float, float],
        indices: npt.NDArray[np.intp] | None = None,
    ) -> npt.NDArray[np.float64]:
        """P(occupied) of the slots `indices` (all when None), from their patches."""
        model = self.model  # one model for the whole call (set_model may run meanwhile)
        whole = indices is None
        chosen = patches if indices is None else patches[indices]
        if indices is None:
            indices = np.arange(len(patches))
        memory, head = model.memory, model.head
        if memory is None and head is None:
            return sigmoid(model.logits(slot_features(chosen, texture)))
        looks = self._looks(model)
        features, gradients = slot_measures(chosen, texture)
        logits = model.logits(features)
        if memory is not None:
            bank, kinds = (
                (looks.bank, looks.kinds) if whole else (looks.bank[indices], looks.kinds[indices])
            )
            known, nearest = memory.nearest(chosen, gradients, bank, kinds)
            if known.any():
                logits[known] = memory.head.logits(logits[known], nearest)
        elif head is not None:  # a lot calibrated before memory.py
            known = looks.has_reference[indices]
            if known.any():
                compared = reference_features(
                    chosen[known], gradients[known], looks.references[indices[known]]
                )
                logits[known] = head.logits(logits[known], compared)
        return sigmoid(logits)

    def probabilities(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """P(occupied) for every slot, in the order of the polygons."""
        return self.classify(*self.sample(frame))
