"""The motion check that decides whether a frame is worth reading."""

from __future__ import annotations

import numpy as np

from hub.integrations.lpr.motion import MotionDetector

ZONE = np.array([[100, 100], [300, 100], [300, 200], [100, 200]], np.int32)


def _frame(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = np.full((240, 400, 3), 120, np.uint8)
    noise = rng.normal(0, 3, image.shape)  # camera grain, different every frame
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def test_grain_is_not_motion_but_a_car_in_the_zone_is() -> None:
    motion = MotionDetector(12, ZONE)
    assert motion.update(_frame(0)) is False  # the first frame is the reference
    assert motion.update(_frame(1)) is False
    car = _frame(2)
    car[120:190, 150:260] = 30
    assert motion.update(car) is True
    assert motion.update(car) is False  # it stands still


def test_changes_outside_the_zone_are_ignored() -> None:
    motion = MotionDetector(12, ZONE)
    motion.update(_frame(0))
    clock = _frame(1)
    clock[210:235, 10:200] = 255  # the timestamp burnt in at the bottom
    assert motion.update(clock) is False
    whole = MotionDetector(12, None)
    whole.update(_frame(0))
    assert whole.update(clock) is True
