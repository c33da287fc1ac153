"""From frames to settled slot states: motion gating (worker side) and smoothing (loop side).

`LotWorker.process` runs in the executor, one call at a time per lot. It cuts out every
slot (cheap), compares each with how it looked when it was last classified, and runs the
classifier only on slots that changed, that are still settling, or that have not been
looked at for RECHECK_SECONDS. `SlotSmoother` runs on the loop: a slot takes a new state
only once every reading for `stable_seconds` agreed, so a car driving across a space or a
person walking past does not flip it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from .classifier import SlotClassifier
from .const import RECHECK_SECONDS
from .features import frame_texture, to_grey
from .model import SlotModel
from .sampler import Polygon

__all__ = ["LotWorker", "Readings", "SlotSmoother"]

# The frame's texture level is a property of the camera and the weather; it is measured
# again at most this often.
TEXTURE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Readings:
    """What one frame said: slot indices that were classified and their P(occupied)."""

    indices: npt.NDArray[np.intp]
    probabilities: npt.NDArray[np.float64]
    timestamp: float


class LotWorker:
    """The executor half of a lot: sampler, model and per-slot motion references."""

    def __init__(self, polygons: Sequence[Polygon], model: SlotModel, motion: float) -> None:
        self.classifier = SlotClassifier(polygons, model)
        self.motion_threshold = motion
        count = len(polygons)
        self._reference: npt.NDArray[np.uint8] | None = None
        self._checked_at = np.full(count, -np.inf)
        self._texture: tuple[float, float] = (0.0, 0.0)
        self._texture_at = -np.inf

    def set_model(self, model: SlotModel) -> None:
        """A new (calibrated) model; every slot is classified again on the next frame."""
        self.classifier.set_model(model)
        self._checked_at[:] = -np.inf

    def process(
        self, image: npt.NDArray[np.uint8], timestamp: float, unsettled: npt.NDArray[np.bool_]
    ) -> Readings:
        grey = to_grey(image)
        patches = self.classifier.sampler.patches(grey)
        count = len(patches)
        due = timestamp - self._checked_at >= RECHECK_SECONDS
        if self._reference is None:
            todo = np.ones(count, bool)
            self._reference = patches.copy()
        else:
            # Mean absolute grey change per slot: OpenCV's saturating difference of the
            # uint8 patches, summed per row of the (N, H*W) view.
            change = cv2.absdiff(patches.reshape(count, -1), self._reference.reshape(count, -1))
            motion = change.sum(axis=1, dtype=np.uint32) / np.float32(change.shape[1])
            todo = (motion > self.motion_threshold) | due | unsettled
        indices = np.flatnonzero(todo)
        if not len(indices):
            return Readings(indices, np.zeros(0), timestamp)
        if timestamp - self._texture_at >= TEXTURE_SECONDS:
            self._texture, self._texture_at = frame_texture(grey), timestamp
        if len(indices) == count:  # every slot: no copies of the patches
            probabilities = self.classifier.classify(patches, self._texture)
            self._reference[:] = patches
        else:
            probabilities = self.classifier.classify(patches, self._texture, indices)
            self._reference[indices] = patches[indices]
        self._checked_at[indices] = timestamp
        return Readings(indices, probabilities, timestamp)


class SlotSmoother:
    """One slot's settled state and the change it is waiting to confirm."""

    __slots__ = ("confidence", "occupied", "pending", "pending_since", "since")

    def __init__(self) -> None:
        self.occupied: bool | None = None
        self.confidence = 0.0
        self.since: float | None = None
        self.pending: bool | None = None
        self.pending_since = 0.0

    @property
    def unsettled(self) -> bool:
        return self.pending is not None

    def observe(self, probability: float, timestamp: float, stable_seconds: float) -> bool:
        """Take one reading; True when the settled state changed."""
        reading = probability >= 0.5
        confidence = probability if reading else 1.0 - probability
        if self.occupied is None:  # first look: nothing to smooth against
            self.occupied, self.since, self.confidence = reading, timestamp, confidence
            return True
        if reading == self.occupied:
            self.pending = None
            self.confidence = confidence
            return False
        if self.pending != reading:
            self.pending, self.pending_since = reading, timestamp
        if timestamp - self.pending_since < stable_seconds:
            return False
        self.occupied, self.since, self.confidence = reading, timestamp, confidence
        self.pending = None
        return True
