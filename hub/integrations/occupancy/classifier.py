"""One lot's slots and model, ready to classify frames (pure CPU work, run in the executor)."""

from __future__ import annotations

from collections.abc import Sequence
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


class SlotClassifier:
    """Features and probabilities for a fixed set of slot polygons."""

    def __init__(self, polygons: Sequence[Polygon], model: SlotModel | None = None) -> None:
        self.sampler = SlotSampler(polygons)
        self.keys = [polygon_key(polygon) for polygon in polygons]
        self.set_model(model or shipped_model())

    def set_model(self, model: SlotModel) -> None:
        """Use `model`, and the labelled looks it has for these slots (if calibrated)."""
        self.model = model
        if model.memory is not None:
            self._bank, self._kinds = model.memory.bank(self.keys)
        else:
            self._bank = np.zeros((len(self.keys), 0, 2, PATCH_H * PATCH_W), np.uint8)
            self._kinds = np.zeros((len(self.keys), 0), np.int8)
        self._has_reference = np.array([key in model.references for key in self.keys], bool)
        self._references = np.zeros((len(self.keys), 2, PATCH_H, PATCH_W), np.float32)
        for index, key in enumerate(self.keys):
            if key in model.references:
                self._references[index] = model.references[key]

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
        whole = indices is None
        chosen = patches if indices is None else patches[indices]
        if indices is None:
            indices = np.arange(len(patches))
        memory, head = self.model.memory, self.model.head
        if memory is None and head is None:
            return sigmoid(self.model.logits(slot_features(chosen, texture)))
        features, gradients = slot_measures(chosen, texture)
        logits = self.model.logits(features)
        if memory is not None:
            bank, kinds = (
                (self._bank, self._kinds) if whole else (self._bank[indices], self._kinds[indices])
            )
            known, nearest = memory.nearest(chosen, gradients, bank, kinds)
            if known.any():
                logits[known] = memory.head.logits(logits[known], nearest)
        elif head is not None:  # a lot calibrated before memory.py
            known = self._has_reference[indices]
            if known.any():
                compared = reference_features(
                    chosen[known], gradients[known], self._references[indices[known]]
                )
                logits[known] = head.logits(logits[known], compared)
        return sigmoid(logits)

    def probabilities(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """P(occupied) for every slot, in the order of the polygons."""
        return self.classify(*self.sample(frame))
