"""The demo lot's seeded timetable: which car comes when, where it parks, when it leaves.

Everything is a pure function of the seed and the simulated time, so any frame and any
ground-truth question can be answered for any moment, in any order, from any thread, and
two runs with the same seed agree. Visits are made lazily in arrival order (the random
draws happen in that order only, so how far ahead someone looked never changes them).

One visit, in simulated seconds (`lane` = real seconds x time scale, see const.py):

    arrive - approach  ... entry lane: the car comes into view and drives to the barrier
    arrive             ... waits at the entry barrier (its front plate in full view)
    arrive + wait      ... passes the barrier, then drives along the aisle
    park               ... stands in its space (the occupancy ground truth)
    leave              ... drives out along the aisle
    leave + drive      ... exit lane: approaches, waits at the exit barrier, passes
"""

from __future__ import annotations

import bisect
import math
import random
import string
import threading
from dataclasses import dataclass

from .const import (
    APPROACH_SECONDS,
    DRIVE_SECONDS,
    INITIAL_OCCUPANCY,
    MAX_STAY,
    MIN_STAY,
    PASS_SECONDS,
    WAIT_SECONDS,
)
from .layout import SLOTS

__all__ = ["Car", "Schedule", "Visit"]

# Letters that OCR does not confuse with digits (no I, O, Q), as many plate systems do.
PLATE_LETTERS = "".join(c for c in string.ascii_uppercase if c not in "IOQ")
# Body colours (BGR) in roughly the shares cars have: white, black, greys, then colours.
COLOURS: tuple[tuple[int, int, int], ...] = (
    (235, 235, 235),
    (240, 240, 245),
    (30, 30, 32),
    (45, 42, 40),
    (140, 140, 140),
    (175, 178, 180),
    (100, 100, 105),
    (35, 35, 160),
    (150, 60, 20),
    (60, 90, 30),
    (30, 120, 200),
    (120, 40, 40),
    (20, 190, 230),
)
KINDS = ("sedan", "hatchback", "suv", "van")
PRUNE_AFTER = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Car:
    plate: str
    colour: tuple[int, int, int]
    kind: str
    # Per-car variety for the renderer (0..1): size, tint, angle and offset in its space.
    variety: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Visit:
    number: int
    car: Car
    slot: str
    arrive: float  # stops at the entry barrier (simulated seconds since the demo started)
    park: float
    leave: float
    nose_in: bool

    def entry_window(self, lane: float) -> tuple[float, float]:
        return (
            self.arrive - APPROACH_SECONDS * lane,
            self.arrive + (WAIT_SECONDS + PASS_SECONDS) * lane,
        )

    def exit_window(self, lane: float) -> tuple[float, float]:
        start = self.leave + DRIVE_SECONDS * lane
        return (start, start + (APPROACH_SECONDS + WAIT_SECONDS + PASS_SECONDS) * lane)


class Schedule:
    """Visits made on demand from a seed; thread-safe (camera threads ask concurrently)."""

    def __init__(
        self,
        seed: int,
        lane: float,
        arrivals_per_hour: float,
        mean_stay: float,
        known_plates: tuple[str, ...] = (),
        returning_share: float = 0.0,
    ) -> None:
        self.lane = lane
        self._rng = random.Random(seed)
        self._mean_gap = 3600.0 / arrivals_per_hour
        self._mean_stay = mean_stay
        self._known = known_plates
        self._returning = returning_share if known_plates else 0.0
        self._lock = threading.Lock()
        self._visits: list[Visit] = []
        self._slot_free_at = dict.fromkeys((slot.id for slot in SLOTS), -math.inf)
        self._exit_starts: list[float] = []  # sorted starts of booked exit-lane windows
        self._exit_length = (APPROACH_SECONDS + WAIT_SECONDS + PASS_SECONDS) * lane
        self._next_arrival = 0.0
        # When each plate is out of the lot again (a returning car cannot come in twice).
        self._plate_free_at: dict[str, float] = {}
        self._seed_initial_cars()

    # -- questions ------------------------------------------------------------------------

    def visits_around(self, t: float) -> list[Visit]:
        """Every visit that may be visible at simulated time `t` (in a lane, aisle or space)."""
        self._extend(t)
        return [
            v
            for v in self._visits
            if v.entry_window(self.lane)[0] <= t <= v.exit_window(self.lane)[1]
        ]

    def parked(self, t: float) -> dict[str, Visit]:
        """Slot id -> the visit standing in it at `t`."""
        return {v.slot: v for v in self.visits_around(t) if v.park <= t < v.leave}

    def driving(self, t: float) -> list[Visit]:
        """Visits whose car is in the aisle at `t`, driving to its space or away from it."""
        drive = DRIVE_SECONDS * self.lane
        return [
            v
            for v in self.visits_around(t)
            if v.park - drive <= t < v.park or v.leave <= t < v.leave + drive
        ]

    def in_lane(self, lane: str, t: float) -> Visit | None:
        for visit in self.visits_around(t):
            start, end = (
                visit.entry_window(self.lane) if lane == "entry" else visit.exit_window(self.lane)
            )
            if start <= t < end:
                return visit
        return None

    def visits_until(self, t: float) -> list[Visit]:
        """All visits that arrived by `t` (for tests and reports)."""
        self._extend(t)
        return [v for v in self._visits if v.arrive <= t]

    # -- making visits --------------------------------------------------------------------

    def _seed_initial_cars(self) -> None:
        """Half the lot is full when the demo starts; those cars came in before time 0."""
        rng = self._rng
        for slot in SLOTS:
            if rng.random() >= INITIAL_OCCUPANCY:
                continue
            car = self._new_car(0.0)
            leave = self._book_exit(rng.uniform(60.0, 2 * self._mean_stay))
            nose_in = rng.random() < 0.7
            self._add(Visit(len(self._visits), car, slot.id, -math.inf, -math.inf, leave, nose_in))
        self._next_arrival = rng.expovariate(1.0 / self._mean_gap)

    def _extend(self, t: float) -> None:
        with self._lock:
            self._prune(t)
            # A car is visible from APPROACH before it arrives: make every visit that has started.
            while self._next_arrival - APPROACH_SECONDS * self.lane <= t:
                self._make_visit(self._next_arrival)
                spacing = (APPROACH_SECONDS + WAIT_SECONDS + PASS_SECONDS) * self.lane
                self._next_arrival += spacing + self._rng.expovariate(1.0 / self._mean_gap)

    def _prune(self, t: float) -> None:
        """Forget visits that ended over a simulated day before `t`; a long run stays small."""
        lane = self.lane
        if self._visits and self._visits[0].exit_window(lane)[1] < t - PRUNE_AFTER:
            self._visits = [v for v in self._visits if v.exit_window(lane)[1] >= t - PRUNE_AFTER]
            horizon = t - PRUNE_AFTER
            self._exit_starts = [s for s in self._exit_starts if s >= horizon]

    def _make_visit(self, arrive: float) -> None:
        rng = self._rng
        park = arrive + (WAIT_SECONDS + PASS_SECONDS + DRIVE_SECONDS) * self.lane
        car = self._new_car(arrive)
        stay = min(MAX_STAY, max(MIN_STAY, rng.lognormvariate(math.log(self._mean_stay), 0.6)))
        nose_in = rng.random() < 0.7
        free = [slot for slot, free_at in self._slot_free_at.items() if free_at < park]
        if not free:  # the lot is full: this car does not come in
            self._plate_free_at[car.plate] = arrive
            return
        slot = free[rng.randrange(len(free))]
        leave = self._book_exit(park + stay)
        self._add(Visit(len(self._visits), car, slot, arrive, park, leave, nose_in))

    def _add(self, visit: Visit) -> None:
        self._visits.append(visit)
        self._slot_free_at[visit.slot] = visit.leave + DRIVE_SECONDS * self.lane
        self._plate_free_at[visit.car.plate] = visit.exit_window(self.lane)[1]

    def _book_exit(self, leave: float) -> float:
        """The first leave time from `leave` on whose exit-lane window is free."""
        length, drive = self._exit_length, DRIVE_SECONDS * self.lane
        start = leave + drive
        starts = self._exit_starts
        index = bisect.bisect_left(starts, start)
        while True:
            if index > 0 and starts[index - 1] + length > start:
                start = starts[index - 1] + length
            if index < len(starts) and start + length > starts[index]:
                start = starts[index] + length
                index += 1
                continue
            break
        bisect.insort(starts, start)
        return start - drive

    def _new_car(self, arrive: float) -> Car:
        rng = self._rng
        plate = ""
        if self._known and rng.random() < self._returning:
            out = self._plate_free_at
            choices = [p for p in self._known if out.get(p, -math.inf) < arrive]
            if choices:
                plate = choices[rng.randrange(len(choices))]
        while not plate:
            letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(5))
            plate = f"{letters[:2]}{rng.randrange(10, 100)}{letters[2:]}"
            if plate in self._plate_free_at:
                plate = ""
        self._plate_free_at[plate] = math.inf
        return Car(
            plate=plate,
            colour=COLOURS[rng.randrange(len(COLOURS))],
            kind=KINDS[rng.randrange(len(KINDS))],
            variety=(rng.random(), rng.random(), rng.random(), rng.random()),
        )
