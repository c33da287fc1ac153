"""One lot's slots and model, ready to classify frames (pure CPU work, run in the executor)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .const import MODEL_FILE
from .features import frame_texture, slot_features, to_grey
from .model import SlotModel
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
        self.model = model or shipped_model()

    def features(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        grey = to_grey(frame)
        return slot_features(self.sampler.patches(grey), frame_texture(grey))

    def probabilities(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """P(occupied) for every slot, in the order of the polygons."""
        return self.model.probabilities(self.features(frame))
