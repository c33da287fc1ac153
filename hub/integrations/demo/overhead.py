"""The overhead camera: the lot seen from above, with asphalt, paint, trees and cars.

The static scene (asphalt texture, worn paint, oil stains, grass, tree crowns and their
shadows) is drawn once. Each car's sprite, with its soft shadow, is drawn once per visit
and cached. A frame is then: copy the scene, paste the cars, dim it for the time of day,
drift a cloud shadow over it, and add sensor grain: a few milliseconds at 1280x720.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

from .const import DRIVE_SECONDS, OVERHEAD_SIZE
from .drawing import FloatImage, Image, SensorNoise, Sprite, blend, rounded_rect, shade
from .layout import AISLE, ENTRANCE_Y, SLOT_DEPTH, SLOTS, Slot
from .schedule import Car, Visit

__all__ = ["OverheadRenderer", "car_sprite_top"]

PAINT = (215, 222, 225)
# Simulated seconds per day-light cycle and per cloud crossing.
LIGHT_PERIOD = 2 * 3600.0
CLOUD_PERIOD = 1200.0
# Light left at the darkest hour, away from the lamps.
NIGHT_AMBIENT = 0.18
CAR_SIZES = {"sedan": (64, 134), "hatchback": (62, 118), "suv": (68, 140), "van": (70, 146)}


def _noise_field(
    rng: np.random.Generator, size: tuple[int, int], cells: tuple[int, int]
) -> FloatImage:
    small = rng.normal(0.0, 1.0, (cells[1], cells[0])).astype(np.float32)
    return cv2.resize(small, size, interpolation=cv2.INTER_CUBIC)


def _background(seed: int) -> Image:
    rng = np.random.default_rng(seed)
    width, height = OVERHEAD_SIZE
    size = (width, height)
    grey = (
        96
        + 7 * _noise_field(rng, size, (12, 7))
        + 4 * _noise_field(rng, size, (128, 72))
        + rng.normal(0, 5, (height, width)).astype(np.float32)
    )
    scene = np.dstack([grey * 1.03, grey, grey * 0.96])
    # Grass outside the paved area, with its own texture.
    paved = np.zeros((height, width), np.uint8)
    x_end = AISLE[2]
    cv2.rectangle(paved, (130, SLOTS[0].y - 25), (x_end, SLOTS[-1].y + SLOT_DEPTH + 25), 255, -1)
    cv2.rectangle(paved, (0, AISLE[1] + 20), (140, AISLE[3] - 20), 255, -1)
    grass_tone = (
        1
        + 0.15 * _noise_field(rng, size, (40, 22))
        + rng.normal(0, 0.08, (height, width)).astype(np.float32)
    )
    grass = np.dstack([40 * grass_tone, 105 * grass_tone, 70 * grass_tone])
    grass_mask = (paved == 0)[..., None]
    scene = np.where(grass_mask, grass, scene)
    # Kerbs along the paved edge.
    edges = cv2.morphologyEx(paved, cv2.MORPH_GRADIENT, np.ones((7, 7), np.uint8)) > 0
    scene[edges] = (175, 178, 180)
    # Oil stains and patched cracks.
    stains: FloatImage = np.zeros((height, width), np.float32)
    for slot in SLOTS:
        if rng.random() < 0.6:
            cx, cy = slot.center
            axes = (int(rng.integers(10, 22)), int(rng.integers(14, 34)))
            cv2.ellipse(
                stains,
                (cx + int(rng.integers(-8, 9)), cy + int(rng.integers(-20, 21))),
                axes,
                0,
                0,
                360,
                float(rng.uniform(0.15, 0.35)),
                -1,
            )
    for _ in range(14):
        points = [(int(rng.integers(140, x_end)), int(rng.integers(80, 640)))]
        for _ in range(6):
            x, y = points[-1]
            points.append((x + int(rng.integers(-40, 41)), y + int(rng.integers(-40, 41))))
        cv2.polylines(stains, [np.array(points, np.int32)], False, 0.35, 2, cv2.LINE_AA)
    stains = cv2.GaussianBlur(stains, (0, 0), 3)
    scene *= (1 - stains)[..., None]
    # Worn white paint: space lines, the back line of each row, labels and aisle arrows.
    paint: FloatImage = np.zeros((height, width), np.float32)
    for slot in SLOTS:
        x, y, w, h = slot.x, slot.y, slot.width, slot.height
        cv2.line(paint, (x, y), (x, y + h), 1.0, 4)
        cv2.line(paint, (x + w, y), (x + w, y + h), 1.0, 4)
        back_y = y if slot.aisle_below else y + h
        cv2.line(paint, (x, back_y), (x + w, back_y), 1.0, 4)
        label_y = y + h - 10 if slot.aisle_below else y + 22
        cv2.putText(
            paint,
            slot.id.upper(),
            (x + 20, label_y),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5,
            1.0,
            1,
            cv2.LINE_AA,
        )
    for arrow_x in (300, 640, 980):
        cv2.arrowedLine(
            paint, (arrow_x - 40, ENTRANCE_Y), (arrow_x + 40, ENTRANCE_Y), 1.0, 5, tipLength=0.4
        )
    wear = np.clip(0.65 + 0.5 * _noise_field(rng, size, (160, 90)), 0.2, 1.0)
    paint = cv2.GaussianBlur(paint, (3, 3), 0) * wear
    scene = scene * (1 - paint[..., None]) + np.array(PAINT, np.float32) * paint[..., None]
    # Trees on the grass, sun from the upper left: shadows fall down and right, into spaces.
    shadow: FloatImage = np.zeros((height, width), np.float32)
    crowns: list[tuple[int, int, int]] = []
    for band_y in (40, 680):
        for tree_x in range(190, x_end, 230):
            cx, cy, r = (
                tree_x + int(rng.integers(-50, 51)),
                band_y + int(rng.integers(-12, 13)),
                int(rng.integers(34, 52)),
            )
            crowns.append((cx, cy, r))
            if band_y < 100:  # only the top row's trees throw shade into the lot
                cv2.ellipse(shadow, (cx + 60, cy + 100), (r + 22, r), 25, 0, 360, 0.5, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 12)
    scene *= (1 - shadow)[..., None]
    for cx, cy, r in crowns:
        for ring in range(r, 0, -6):
            tone = 0.55 + 0.45 * (1 - ring / r)
            offset = (r - ring) // 3
            cv2.circle(
                scene,
                (cx - offset, cy - offset),
                ring,
                (30 * tone, 90 * tone, 45 * tone),
                -1,
                cv2.LINE_AA,
            )
    image: Image = np.clip(scene, 0, 255).astype(np.uint8)
    return image


def car_sprite_top(car: Car) -> Sprite:
    """A car from above, front at the top, with its shadow (down and right), as a sprite."""
    base_w, base_l = CAR_SIZES[car.kind]
    width = base_w + int(4 * car.variety[0])
    length = base_l + int(8 * car.variety[0])
    pad = 18
    canvas_w, canvas_l = width + 2 * pad, length + 2 * pad
    colour = np.zeros((canvas_l, canvas_w, 3), np.float32)
    body = np.zeros((canvas_l, canvas_w), np.float32)
    x0, y0, x1, y1 = pad, pad, pad + width, pad + length
    rounded_rect(body, (x0, y0), (x1, y1), 14, 1.0)
    shadow: FloatImage = np.zeros_like(body)
    rounded_rect(shadow, (x0 + 7, y0 + 9), (x1 + 7, y1 + 9), 14, 0.55)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 4)
    tint = 0.9 + 0.2 * car.variety[1]
    paint = shade(car.colour, tint)
    rounded_rect(colour, (x0, y0), (x1, y1), 14, paint)
    # Curved panels: darker at the sides, a highlight along the middle.
    across = np.linspace(-1, 1, canvas_w, dtype=np.float32)
    profile = 0.78 + 0.3 * (1 - across**2)
    colour *= profile[None, :, None]
    glass = (62, 52, 46)
    hood = {"van": 0.12, "suv": 0.24, "sedan": 0.28, "hatchback": 0.26}[car.kind]
    rear = {"van": 0.06, "suv": 0.12, "sedan": 0.2, "hatchback": 0.08}[car.kind]
    shield_top = y0 + int(length * hood)
    shield = np.array(
        [
            [x0 + 6, shield_top + 18],
            [x1 - 6, shield_top + 18],
            [x1 - 11, shield_top],
            [x0 + 11, shield_top],
        ],
        np.int32,
    )
    cv2.fillPoly(colour, [shield], glass, cv2.LINE_AA)
    cv2.line(
        colour,
        (x0 + 14, shield_top + 4),
        (x1 - 20, shield_top + 12),
        (150, 140, 130),
        2,
        cv2.LINE_AA,
    )
    back = y1 - int(length * rear)
    cv2.fillPoly(
        colour,
        [
            np.array(
                [[x0 + 8, back - 14], [x1 - 8, back - 14], [x1 - 12, back], [x0 + 12, back]],
                np.int32,
            )
        ],
        glass,
        cv2.LINE_AA,
    )
    roof = shade(paint, 0.92 if car.variety[2] > 0.3 else 0.35)
    cv2.rectangle(colour, (x0 + 9, shield_top + 19), (x1 - 9, back - 15), roof, -1)
    if car.kind in ("suv", "van"):
        for rail_x in (x0 + 12, x1 - 12):
            cv2.line(colour, (rail_x, shield_top + 24), (rail_x, back - 20), (40, 40, 40), 2)
    for mirror_x in (x0 - 5, x1):
        cv2.rectangle(
            colour,
            (mirror_x, shield_top + 4),
            (mirror_x + 5, shield_top + 12),
            shade(paint, 0.7),
            -1,
        )
        cv2.rectangle(body, (mirror_x, shield_top + 4), (mirror_x + 5, shield_top + 12), 1.0, -1)
    for light_x in (x0 + 4, x1 - 14):
        cv2.rectangle(colour, (light_x, y0 + 2), (light_x + 10, y0 + 6), (200, 235, 245), -1)
        cv2.rectangle(colour, (light_x, y1 - 6), (light_x + 10, y1 - 2), (30, 30, 170), -1)
    alpha = np.maximum(body, shadow * (1 - body))
    return Sprite.from_float(colour * body[..., None], alpha)


def _tilt(sprite: Sprite, degrees: float) -> Sprite:
    if abs(degrees) < 0.5:
        return sprite
    width, height = sprite.size
    return sprite.transformed(cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0))


class OverheadRenderer:
    """Draws the overhead view; one per lot, used from camera threads."""

    def __init__(self, seed: int, lane: float) -> None:
        self._lane = lane
        self._scene = _background(seed)
        self._noise = SensorNoise(3.0, seed)
        self._sprites: dict[tuple[int, int], Sprite] = {}
        self._slots = {slot.id: slot for slot in SLOTS}
        cloud = np.zeros((360, 520), np.float32)
        cv2.ellipse(cloud, (260, 180), (200, 120), 0, 0, 360, 0.28, -1)
        self._cloud = 1 - cv2.GaussianBlur(cloud, (0, 0), 40)[..., None]
        self._lamps = _lamp_pools()

    def _cached(self, key: tuple[int, int], make: Callable[[], Sprite]) -> Sprite:
        """Drawing a car costs shading and a blur: once per visit and pose, not per frame."""
        sprite = self._sprites.get(key)
        if sprite is None:
            sprite = make()
            if len(self._sprites) > 96:
                self._sprites.clear()
            self._sprites[key] = sprite
        return sprite

    def _sprite(self, visit: Visit) -> Sprite:
        """The car as it stands in (and turns into) its space."""

        def make() -> Sprite:
            slot = self._slots[visit.slot]
            # Front to the aisle unless parked nose in; the bottom row faces the other way.
            faces_up = visit.nose_in == slot.aisle_below
            sprite = car_sprite_top(visit.car)
            sprite = sprite if faces_up else sprite.rotated90(2)
            return _tilt(sprite, (visit.car.variety[2] - 0.5) * 8)

        return self._cached((visit.number, 0), make)

    def _driving_sprite(self, visit: Visit, leaving: bool) -> Sprite:
        """The car along the aisle: facing out when leaving, in when arriving."""
        turns = 1 if leaving else 3
        return self._cached(
            (visit.number, turns), lambda: car_sprite_top(visit.car).rotated90(turns)
        )

    def render(self, t: float, visits: list[Visit], darkness: float = 0.0) -> Image:
        """The lot at simulated time `t`; `darkness` 0 (day) to 1 (night: lamps only)."""
        frame = self._scene.copy()
        drive = DRIVE_SECONDS * self._lane
        for visit in visits:
            slot = self._slots[visit.slot]
            if visit.park <= t < visit.leave:
                self._paste_parked(frame, visit, slot)
            elif visit.park - drive <= t < visit.park:
                self._paste_moving(frame, visit, slot, (t - (visit.park - drive)) / drive, False)
            elif visit.leave <= t < visit.leave + drive:
                self._paste_moving(frame, visit, slot, (t - visit.leave) / drive, True)
        self._light(frame, t, darkness)
        self._noise.apply(frame, int(t))
        return frame

    def _paste_parked(self, frame: Image, visit: Visit, slot: Slot) -> None:
        sprite = self._sprite(visit)
        width, height = sprite.size
        cx, cy = slot.center
        dx = int((visit.car.variety[3] - 0.5) * 12)
        dy = int((visit.car.variety[1] - 0.5) * 10)
        blend(frame, sprite, cx - width // 2 + dx, cy - height // 2 + dy)

    def _paste_moving(
        self, frame: Image, visit: Visit, slot: Slot, progress: float, leaving: bool
    ) -> None:
        """In along the lower half of the aisle, out along the upper half; the last (or first)
        third of the way is the turn into (or out of) the space."""
        if leaving:
            progress = 1 - progress
        cx, cy = slot.center
        lane_y = ENTRANCE_Y + (-45 if leaving else 45)
        if progress < 0.7:
            sprite = self._driving_sprite(visit, leaving)
            x = -120 + (cx + 120) * progress / 0.7
            width, height = sprite.size
            blend(frame, sprite, int(x - width / 2), int(lane_y - height / 2))
            return
        sprite = self._sprite(visit)
        width, height = sprite.size
        step = (progress - 0.7) / 0.3
        y = lane_y + (cy - lane_y) * step
        blend(frame, sprite, cx - width // 2, int(y - height / 2))

    def _light(self, frame: Image, t: float, darkness: float) -> None:
        brightness = 0.93 + 0.1 * math.sin(2 * math.pi * t / LIGHT_PERIOD)
        if darkness > 0.01:
            # Night: a dim ambient light, plus pools of light under the lamp posts.
            ambient = 1.0 - (1.0 - NIGHT_AMBIENT) * darkness
            gain = (ambient + (1.0 - ambient) * self._lamps) * brightness
            cv2.multiply(frame, cv2.merge([gain, gain, gain]), dst=frame, dtype=cv2.CV_8U)
        else:
            cv2.convertScaleAbs(frame, dst=frame, alpha=brightness)
            self._cloud_shadow(frame, t)

    def _cloud_shadow(self, frame: Image, t: float) -> None:
        """A cloud's shadow drifting across the lot, left to right (daytime only)."""
        height, width = frame.shape[:2]
        ch, cw = self._cloud.shape[:2]
        x = int(((t % CLOUD_PERIOD) / CLOUD_PERIOD) * (width + cw)) - cw
        y = int(height * 0.25 + 120 * math.sin(t / CLOUD_PERIOD))
        x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + cw), min(height, y + ch)
        if x0 < x1 and y0 < y1:
            roi = frame[y0:y1, x0:x1]
            roi[:] = (roi * self._cloud[y0 - y : y1 - y, x0 - x : x1 - x]).astype(np.uint8)


def _lamp_pools() -> FloatImage:
    """How much of the lamps' light reaches each pixel at night (0..1)."""
    width, height = OVERHEAD_SIZE
    pools: FloatImage = np.zeros((height, width), np.float32)
    for x in (330, 650, 970):
        for y in (AISLE[1] + 12, AISLE[3] - 12):
            cv2.circle(pools, (x + (40 if y > ENTRANCE_Y else -40), y), 100, 1.0, -1)
    pools = cv2.GaussianBlur(pools, (0, 0), 50)
    result: FloatImage = np.clip(pools / pools.max(), 0, 1) * 0.9
    return result
