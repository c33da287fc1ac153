"""The entry and exit lane cameras: a car's front with its plate, and the barrier.

Each camera stands on a pole just past its barrier and looks back down the lane at the
cars coming to it, as plate cameras at a gate are mounted: a car drives in at the top of
the picture front bumper (and so plate) first, grows as it comes closer, stops before
the barrier with its plate large and square to the camera, and drives on under the
lifted arm and out at the bottom. The barrier's arm is drawn at the angle its gate's
state says (closed, opening, open, closing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, tzinfo

import cv2
import numpy as np

from .const import APPROACH_SECONDS, LANE_SIZE, PASS_SECONDS, WAIT_SECONDS
from .drawing import Image, SensorNoise, Sprite, blend, rounded_rect, shade
from .schedule import Car, Visit

__all__ = ["LaneCar", "LaneRenderer", "barrier_angle", "car_sprite_front"]

# The horizon, far above the picture (the camera looks down): a car's size grows with its
# distance below it (scale 1.0 where it waits, about 0.64 as it comes into view).
HORIZON_Y = -700
WAIT_BOTTOM = 400  # where a waiting car's wheels touch the image (scale 1.0)
LEAVE_BOTTOM = 1200  # a passing car is out of view below the picture by here
BARRIER_Y = 470  # the barrier's foot: a car lower than this is in front of the arm
POST_X = 790
ARM_Y = 430
ARM_LENGTH = 480
# The lane's edge lines: x at the top and at the bottom of the picture.
LANE_TOP = (250, 710)
LANE_BOTTOM = (40, 920)
STOP_LINE_Y = 420
CAR_WIDTH = 380
PLATE_SIZE = (200, 48)
PLATE_WHITE = (245, 245, 245)
PLATE_YELLOW = (40, 200, 250)
# How much darker the lane is at the darkest hour (its lamp keeps plates readable).
NIGHT_DIMMING = 0.45
# Arm angle (degrees above horizontal) by gate state.
ANGLES = {"closed": 0.0, "closing": 40.0, "opening": 40.0, "open": 82.0}


@dataclass(frozen=True, slots=True)
class LaneCar:
    """Ground truth for a lane: the car in view, where it is in its passage, and its plate."""

    plate: str
    phase: str  # approaching, waiting, passing
    plate_box: tuple[int, int, int, int] | None  # x, y, w, h in the lane image, if in view


def barrier_angle(state: str | None) -> float:
    return ANGLES.get(state or "closed", 0.0)


def car_sprite_front(car: Car) -> tuple[Sprite, tuple[int, int, int, int]]:
    """A car seen from the front and a little above at scale 1, and its plate's box within
    the sprite. The plate sits low in the bumper: the first thing of the car in view."""
    factor = {"sedan": 1.0, "hatchback": 0.95, "suv": 1.05, "van": 1.08}[car.kind]
    width = int(CAR_WIDTH * factor)
    height = int(width * {"sedan": 0.62, "hatchback": 0.68, "suv": 0.76, "van": 0.86}[car.kind])
    shadow_pad = 8
    canvas = np.zeros((height + shadow_pad, width + 20, 3), np.float32)
    mask = np.zeros(canvas.shape[:2], np.float32)
    left, right = 10, 10 + width
    paint = shade(car.colour, 0.9 + 0.2 * car.variety[1])
    # Shadow on the road under the car.
    shadow = np.zeros_like(mask)
    cv2.ellipse(shadow, ((left + right) // 2, height), (width // 2 + 8, 10), 0, 0, 360, 0.7, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 4)
    # Wheels below the body's sides, then the body over them.
    for x0 in (left + int(width * 0.05), left + int(width * 0.81)):
        cv2.rectangle(canvas, (x0, height - 36), (x0 + int(width * 0.14), height), (25, 25, 25), -1)
        cv2.rectangle(mask, (x0, height - 36), (x0 + int(width * 0.14), height), 1.0, -1)
    body_top = int(height * 0.40)
    rounded_rect(canvas, (left, body_top), (right, height - 12), 22, paint)
    rounded_rect(mask, (left, body_top), (right, height - 12), 22, 1.0)
    # Roof and windscreen, seen over the bonnet.
    roof_top = int(height * 0.02)
    inset_top, inset_bottom = int(width * 0.17), int(width * 0.05)
    cabin = np.array(
        [
            [left + inset_bottom, body_top + 4],
            [right - inset_bottom, body_top + 4],
            [right - inset_top, roof_top],
            [left + inset_top, roof_top],
        ],
        np.int32,
    )
    cv2.fillPoly(canvas, [cabin], shade(paint, 0.95), cv2.LINE_AA)
    cv2.fillPoly(mask, [cabin], 1.0, cv2.LINE_AA)
    glass = cabin + np.array([[16, -10], [-16, -10], [-12, 14], [12, 14]], np.int32)
    cv2.fillPoly(canvas, [glass], (70, 60, 52), cv2.LINE_AA)
    cv2.line(
        canvas,
        tuple(glass[3] + [24, 10]),
        tuple(glass[0] + [70, -14]),
        (130, 125, 120),
        3,
        cv2.LINE_AA,
    )
    # Light from above: the bonnet and roof brighter than the bumper.
    rows = np.linspace(1.12, 0.8, canvas.shape[0], dtype=np.float32)[:, None, None]
    canvas *= rows
    # Headlights at the corners, the grille between them, the bumper under them.
    light_top, light_bottom = int(height * 0.50), int(height * 0.60)
    light_w = int(width * 0.2)
    for x0 in (left + 10, right - 10 - light_w):
        cv2.rectangle(canvas, (x0, light_top), (x0 + light_w, light_bottom), (150, 150, 150), -1)
        cv2.rectangle(
            canvas,
            (x0 + 5, light_top + 4),
            (x0 + light_w - 5, light_bottom - 4),
            (225, 240, 245),
            -1,
        )
    grille = (left + int(width * 0.32), right - int(width * 0.32))
    cv2.rectangle(canvas, (grille[0], light_top), (grille[1], light_bottom + 6), (35, 35, 38), -1)
    for y in range(light_top + 6, light_bottom + 4, 7):
        cv2.line(canvas, (grille[0] + 4, y), (grille[1] - 4, y), (70, 70, 75), 2)
    cv2.circle(canvas, ((left + right) // 2, light_top - 10), 8, (190, 190, 195), -1, cv2.LINE_AA)
    bumper_top = light_bottom + 12
    cv2.rectangle(canvas, (left + 6, bumper_top), (right - 6, height - 14), shade(paint, 0.55), -1)
    # The plate: plain, high-contrast, fixed pixel size so a reader gets the same glyphs.
    plate_w, plate_h = PLATE_SIZE
    px = (left + right) // 2 - plate_w // 2
    py = height - 20 - plate_h
    background = PLATE_YELLOW if car.variety[1] > 0.65 else PLATE_WHITE
    cv2.rectangle(canvas, (px, py), (px + plate_w, py + plate_h), background, -1)
    cv2.rectangle(canvas, (px, py), (px + plate_w, py + plate_h), (20, 20, 20), 2)
    font = cv2.FONT_HERSHEY_SIMPLEX
    (text_w, text_h), _ = cv2.getTextSize(car.plate, font, 1.0, 3)
    scale = min((plate_w - 22) / text_w, (plate_h - 14) / text_h)
    (text_w, text_h), _ = cv2.getTextSize(car.plate, font, scale, 3)
    origin = (px + (plate_w - text_w) // 2, py + (plate_h + text_h) // 2)
    cv2.putText(canvas, car.plate, origin, font, scale, (15, 15, 15), 3, cv2.LINE_AA)
    alpha = np.maximum(mask, shadow * (1 - mask))
    sprite = Sprite.from_float(canvas * mask[..., None], alpha)
    return sprite, (px, py, plate_w, plate_h)


def _lane_x(y: float, side: int) -> float:
    """The x of the lane's left (side 0) or right (side 1) edge line at image row y."""
    return LANE_TOP[side] + (LANE_BOTTOM[side] - LANE_TOP[side]) * y / LANE_SIZE[1]


def _background(seed: int, exit_lane: bool) -> Image:
    """The lane seen from the pole: tarmac towards the lot's gate, verges beside it, the
    stop line, the barrier's post and a sign naming the lane."""
    rng = np.random.default_rng(seed + (1 if exit_lane else 0))
    width, height = LANE_SIZE
    patches = rng.normal(0, 1, (6, 12)).astype(np.float32)
    ground = (
        100
        + 6 * cv2.resize(patches, (width, height), interpolation=cv2.INTER_CUBIC)
        + rng.normal(0, 6, (height, width)).astype(np.float32)
    )
    # Darker tyre tracks where every car drives, brighter towards the camera.
    for offset in (-120, 120):
        top, bottom = width // 2 + offset * 2 // 3, width // 2 + offset
        cv2.line(ground, (bottom, height), (top, 0), 88.0, 60)
    ground = (
        cv2.GaussianBlur(ground, (0, 0), 2)
        * np.linspace(0.92, 1.08, height, dtype=np.float32)[:, None]
    )
    scene = ground[..., None] * np.array((1.03, 1.0, 0.97), np.float32)
    verge = (70, 125, 95) if exit_lane else (75, 130, 85)
    kerb = (-34, 34)
    for side, (edge, outer) in enumerate(((0, 0), (width, width))):
        lines = [(int(_lane_x(y, side)) + kerb[side], y) for y in (0, height)]
        polygon = np.array([*lines, (outer, height), (edge, 0)], np.int32)
        cv2.fillPoly(scene, [polygon], verge)
        cv2.line(scene, lines[0], lines[1], (175, 180, 185), 12, cv2.LINE_AA)
    for side in (0, 1):
        far, near = (int(_lane_x(0, side)), 0), (int(_lane_x(height, side)), height)
        cv2.line(scene, far, near, (215, 220, 225), 6, cv2.LINE_AA)
    stop = [int(_lane_x(STOP_LINE_Y, side)) for side in (0, 1)]
    cv2.line(scene, (stop[0], STOP_LINE_Y), (stop[1], STOP_LINE_Y), (200, 205, 210), 8)
    # The barrier's post and control box at the right of the lane.
    cv2.rectangle(scene, (POST_X - 14, ARM_Y - 20), (POST_X + 14, BARRIER_Y), (40, 160, 215), -1)
    cv2.rectangle(scene, (POST_X + 14, BARRIER_Y - 70), (POST_X + 52, BARRIER_Y), (60, 60, 60), -1)
    # The lane's sign on the right verge.
    cv2.rectangle(scene, (812, 18), (944, 62), (140, 80, 30), -1)
    cv2.rectangle(scene, (812, 18), (944, 62), (235, 235, 235), 2)
    text = "EXIT" if exit_lane else "ENTRY"
    cv2.putText(
        scene, text, (826, 52), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (245, 245, 245), 2, cv2.LINE_AA
    )
    picture: Image = np.clip(scene, 0, 255).astype(np.uint8)
    return picture


class LaneRenderer:
    """Draws one lane; the car sprites are cached per visit."""

    def __init__(self, seed: int, lane: float, exit_lane: bool, time_zone: tzinfo) -> None:
        self._lane = lane
        self._exit = exit_lane
        self._scene = _background(seed, exit_lane)
        self._noise = SensorNoise(3.0, seed + 3)
        self._tz = time_zone
        self._sprites: dict[int, tuple[Sprite, tuple[int, int, int, int]]] = {}

    def _sprite(self, visit: Visit) -> tuple[Sprite, tuple[int, int, int, int]]:
        found = self._sprites.get(visit.number)
        if found is None:
            if len(self._sprites) > 4:
                self._sprites.clear()
            found = self._sprites[visit.number] = car_sprite_front(visit.car)
        return found

    def window_start(self, visit: Visit) -> float:
        """When the car comes into this lane's view (simulated seconds)."""
        lane = self._lane
        return visit.exit_window(lane)[0] if self._exit else visit.entry_window(lane)[0]

    def locate(
        self, visit: Visit, t: float, release: float | None = None
    ) -> tuple[str, float, int, int] | None:
        """Phase, scale and bottom-centre of the car at `t`, or None when out of view.

        `release` is when (simulated seconds) the barrier let the car go; it drives on at
        the latest WAIT_SECONDS after reaching it, and is out of view once it has passed.
        """
        lane = self._lane
        start = self.window_start(visit)
        elapsed = (t - start) / lane  # real seconds into the passage
        x = 480 + int((visit.car.variety[3] - 0.5) * 40)
        if elapsed < 0:
            return None
        if elapsed < APPROACH_SECONDS:
            # Braking from its lane speed to a stop: quickest as it comes into view.
            eased = 1 - (1 - elapsed / APPROACH_SECONDS) ** 4
            bottom = WAIT_BOTTOM * eased
            return ("approaching", self._scale(bottom), x, int(bottom))
        elapsed -= APPROACH_SECONDS
        waited = WAIT_SECONDS
        if release is not None:
            waited = min(WAIT_SECONDS, max(0.0, (release - start) / lane - APPROACH_SECONDS))
        if elapsed < waited:
            return ("waiting", 1.0, x, WAIT_BOTTOM)
        elapsed -= waited
        if elapsed < PASS_SECONDS:
            step = (elapsed / PASS_SECONDS) ** 1.5
            bottom = WAIT_BOTTOM + (LEAVE_BOTTOM - WAIT_BOTTOM) * step
            return ("passing", self._scale(bottom), x, int(bottom))
        return None

    @staticmethod
    def _scale(bottom: float) -> float:
        return (bottom - HORIZON_Y) / (WAIT_BOTTOM - HORIZON_Y)

    def car_in_view(
        self, visit: Visit | None, t: float, release: float | None = None
    ) -> LaneCar | None:
        if visit is None or (where := self.locate(visit, t, release)) is None:
            return None
        phase, scale, x, bottom = where
        sprite, (px, py, pw, ph) = self._sprite(visit)
        width, height = sprite.size
        left, top = x - int(width * scale) // 2, bottom - int(height * scale)
        box = (left + int(px * scale), top + int(py * scale), int(pw * scale), int(ph * scale))
        frame_w, frame_h = LANE_SIZE
        visible = (
            box[0] >= 0
            and box[1] >= 0
            and box[0] + box[2] <= frame_w
            and box[1] + box[3] <= frame_h
        )
        return LaneCar(visit.car.plate, phase, box if visible else None)

    def render(
        self,
        t: float,
        timestamp: float,
        visit: Visit | None,
        gate_state: str | None,
        darkness: float = 0.0,
        release: float | None = None,
    ) -> Image:
        """The lane at simulated time `t`; at night a lamp over the barrier keeps the
        plate readable, at lower contrast."""
        frame = self._scene.copy()
        where = self.locate(visit, t, release) if visit is not None else None
        behind_barrier = where is not None and where[3] < BARRIER_Y
        if where is not None and visit is not None and behind_barrier:
            self._paste(frame, visit, where)
        if gate_state is None:  # no gate entity: the arm lifts while the car passes
            gate_state = "open" if where is not None and where[0] == "passing" else "closed"
        self._draw_arm(frame, barrier_angle(gate_state))
        if where is not None and visit is not None and not behind_barrier:
            self._paste(frame, visit, where)
        if darkness > 0.01:
            cv2.convertScaleAbs(frame, dst=frame, alpha=1.0 - NIGHT_DIMMING * darkness)
        self._noise.apply(frame, int(t))
        stamp = datetime.fromtimestamp(timestamp, self._tz).strftime("%Y-%m-%d %H:%M:%S")
        label = f"{'EXIT' if self._exit else 'ENTRY'} {stamp}"
        cv2.putText(
            frame,
            label,
            (12, LANE_SIZE[1] - 14),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.55,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
        return frame

    def _paste(self, frame: Image, visit: Visit, where: tuple[str, float, int, int]) -> None:
        _, scale, x, bottom = where
        sprite, _ = self._sprite(visit)
        if abs(scale - 1.0) > 1e-3:
            sprite = sprite.scaled(scale)
        width, height = sprite.size
        blend(frame, sprite, x - width // 2, bottom - height)

    @staticmethod
    def _draw_arm(frame: Image, angle: float) -> None:
        radians = math.radians(angle)
        end = (
            int(POST_X - ARM_LENGTH * math.cos(radians)),
            int(ARM_Y - ARM_LENGTH * math.sin(radians)),
        )
        stripes = 8
        for index in range(stripes):
            a, b = index / stripes, (index + 1) / stripes
            p0 = (int(POST_X + (end[0] - POST_X) * a), int(ARM_Y + (end[1] - ARM_Y) * a))
            p1 = (int(POST_X + (end[0] - POST_X) * b), int(ARM_Y + (end[1] - ARM_Y) * b))
            colour = (40, 40, 220) if index % 2 == 0 else (240, 240, 240)
            cv2.line(frame, p0, p1, colour, 10, cv2.LINE_AA)
        cv2.circle(frame, (POST_X, ARM_Y), 10, (50, 50, 50), -1, cv2.LINE_AA)
