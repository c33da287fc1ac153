"""Labelled slots as the model sees them: features, patch and slot key of every slot an
operator (or a dataset) said is occupied or free.

One place turns labelled frames into samples, for `occupancy.calibrate`, `parkhub
calibrate`, `parkhub eval --calibrate-on`, the training script and the demo's
calibration, so each of them measures a frame exactly as a running lot does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from .classifier import SlotClassifier, shipped_model
from .const import PATCH_H, PATCH_W
from .dataset import DatasetError, LabelledFrame
from .features import FEATURE_NAMES, slot_features
from .model import SlotModel

__all__ = ["LabelledSamples", "SlotClassifiers", "decode", "read_samples"]


@dataclass(frozen=True)
class LabelledSamples:
    """(N, F) features, (N,) labels, (N, H, W) grey patches and N slot keys, in the
    order they were labelled."""

    features: npt.NDArray[np.float32]
    occupied: npt.NDArray[np.bool_]
    patches: npt.NDArray[np.uint8]
    keys: list[str]

    def __len__(self) -> int:
        return len(self.occupied)

    @classmethod
    def empty(cls) -> LabelledSamples:
        return cls(
            np.zeros((0, len(FEATURE_NAMES)), np.float32),
            np.zeros(0, bool),
            np.zeros((0, PATCH_H, PATCH_W), np.uint8),
            [],
        )

    @classmethod
    def of_image(
        cls,
        classifier: SlotClassifier,
        image: npt.NDArray[np.uint8],
        occupied: Sequence[bool] | npt.NDArray[np.bool_],
        keep: npt.NDArray[np.bool_] | None = None,
    ) -> LabelledSamples:
        """One frame's slots with their labels (one per slot of `classifier`), leaving
        out the slots `keep` says no to."""
        patches, texture = classifier.sample(image)
        labels = np.asarray(occupied, bool)
        chosen = np.ones(len(labels), bool) if keep is None else np.asarray(keep, bool)
        return cls(
            slot_features(patches[chosen], texture),
            labels[chosen],
            patches[chosen],
            [key for key, kept in zip(classifier.keys, chosen, strict=True) if kept],
        )

    @classmethod
    def concatenate(cls, parts: Iterable[LabelledSamples]) -> LabelledSamples:
        parts = [cls.empty(), *parts]
        return cls(
            np.concatenate([p.features for p in parts]),
            np.concatenate([p.occupied for p in parts]),
            np.concatenate([p.patches for p in parts]),
            [key for p in parts for key in p.keys],
        )


class SlotClassifiers:
    """Classifiers per slot layout (fixed per camera), built once: their sampling maps
    take a moment."""

    def __init__(self, model: SlotModel | None = None) -> None:
        self.model = model or shipped_model()
        self._built: dict[tuple[Any, ...], SlotClassifier] = {}

    def for_frame(self, frame: LabelledFrame) -> SlotClassifier:
        key = tuple(tuple(map(tuple, space.polygon)) for space in frame.spaces)
        if key not in self._built:
            self._built[key] = SlotClassifier([s.polygon for s in frame.spaces], self.model)
        return self._built[key]


def decode(frame: LabelledFrame) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(frame.image), cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetError(f"{frame.image}: not a readable image")
    return np.asarray(image, np.uint8)


def read_samples(
    frames: Iterable[LabelledFrame], classifiers: SlotClassifiers | None = None
) -> LabelledSamples:
    """Every labelled slot of these frames, in order. Raises DatasetError for an image
    that cannot be read."""
    classifiers = classifiers or SlotClassifiers()
    return LabelledSamples.concatenate(
        LabelledSamples.of_image(
            classifiers.for_frame(frame), decode(frame), [s.occupied for s in frame.spaces]
        )
        for frame in frames
        if frame.spaces
    )
