"""The demo lot: its timetable, its three views, and the ground truth behind them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, tzinfo

from .const import (
    APPROACH_SECONDS,
    LANES,
    UNGATED_WAIT_SECONDS,
    VIEW_ENTRY,
    VIEW_EXIT,
    VIEW_OVERHEAD,
)
from .drawing import Image, release_memory
from .lane import LaneCar, LaneRenderer
from .layout import SLOTS
from .overhead import OverheadRenderer
from .schedule import Schedule, Visit

__all__ = ["DemoLot"]


class DemoLot:
    """A virtual lot whose state is a pure function of the seed and the hub's clock.

    Simulated time runs `time_scale` times faster than the hub clock from `start`. Every
    question takes an optional hub timestamp (`at`; default: now on the hub clock), so a
    test can ask what a frame taken at that moment must show.
    """

    def __init__(
        self,
        *,
        seed: int,
        time_scale: float,
        arrivals_per_hour: float,
        mean_stay: float,
        known_plates: tuple[str, ...],
        returning_share: float,
        gates: dict[str, str],
        start: float,
        clock: Callable[[], float],
        gate_state: Callable[[str], str | None],
        time_zone: tzinfo,
        day_night: bool = False,
    ) -> None:
        self.time_scale = time_scale
        self.gates = gates
        self._start = start
        self._clock = clock
        self._gate_state = gate_state
        self.schedule = Schedule(
            seed, time_scale, arrivals_per_hour, mean_stay, known_plates, returning_share
        )
        self._seed = seed
        self._time_zone = time_zone
        self._day_night = day_night
        # Simulated days start at the hub's local time of day when the demo started.
        local = datetime.fromtimestamp(start, time_zone)
        self._day_offset = local.hour * 3600 + local.minute * 60 + local.second
        self._renderers: dict[str, OverheadRenderer | LaneRenderer] = {}
        self._lock = threading.Lock()
        # Simulated times each lane's gate turned open (recent ones), see `gate_opened`.
        self._opened: dict[str, list[float]] = {lane: [] for lane in LANES}

    # -- time -----------------------------------------------------------------------------

    def sim_time(self, at: float | None = None) -> float:
        """Simulated seconds since the demo started, at hub time `at` (default now)."""
        return ((self._clock() if at is None else at) - self._start) * self.time_scale

    def hub_time(self, sim: float) -> float:
        """The hub timestamp of simulated time `sim` (the inverse of `sim_time`)."""
        return self._start + sim / self.time_scale

    def darkness(self, at: float | None = None) -> float:
        """0 by day, 1 in the middle of the night (always 0 unless `day_night` is on).

        Simulated time of day: the hub's local time when the demo started, plus simulated
        seconds. Dawn from 06:00 to 08:00, dusk from 18:00 to 20:00.
        """
        if not self._day_night:
            return 0.0
        hour = ((self._day_offset + self.sim_time(at)) % 86400) / 3600
        if 8 <= hour < 18:
            return 0.0
        if 6 <= hour < 8:
            return _smooth(1 - (hour - 6) / 2)
        if 18 <= hour < 20:
            return _smooth((hour - 18) / 2)
        return 1.0

    # -- ground truth ---------------------------------------------------------------------

    @property
    def slot_polygons(self) -> dict[str, list[tuple[int, int]]]:
        """Slot id -> polygon in overhead-camera pixels (also in slots.yaml)."""
        return {slot.id: slot.polygon for slot in SLOTS}

    def occupied_slots(self, at: float | None = None) -> dict[str, str]:
        """Slot id -> plate of the car standing in it (cars driving in or out are not in one)."""
        parked = self.schedule.parked(self.sim_time(at))
        return {slot: visit.car.plate for slot, visit in sorted(parked.items())}

    def driving(self, at: float | None = None) -> dict[str, str]:
        """Slot id -> plate of each car driving to or away from that space (in the aisle, or
        half in the space while it turns): the moments a frame and `occupied_slots` may
        disagree about that one space."""
        return {v.slot: v.car.plate for v in self.schedule.driving(self.sim_time(at))}

    def lane_car(self, lane: str, at: float | None = None) -> LaneCar | None:
        """The car in view of the `entry` or `exit` lane camera: plate, phase, plate box."""
        if lane not in LANES:
            raise ValueError(f"unknown lane {lane!r} (expected entry or exit)")
        t = self.sim_time(at)
        renderer = self._lane_renderer(lane)
        visit = self.schedule.in_lane(lane, t)
        return renderer.car_in_view(visit, t, self._release(lane, visit))

    def visits(self, at: float | None = None) -> list[Visit]:
        """Every visit that has arrived by `at` (recent ones; older ones are forgotten)."""
        return self.schedule.visits_until(self.sim_time(at))

    # -- frames (camera threads) -----------------------------------------------------------

    def render(self, view: str, timestamp: float) -> Image:
        t = self.sim_time(timestamp)
        if view == VIEW_OVERHEAD:
            overhead = self._renderer(view)
            assert isinstance(overhead, OverheadRenderer)
            return overhead.render(t, self.schedule.visits_around(t), self.darkness(timestamp))
        lane = self._lane_renderer(view)
        gate = self.gates.get(view)
        state = self._gate_state(gate) if gate else None
        visit = self.schedule.in_lane(view, t)
        return lane.render(
            t, timestamp, visit, state, self.darkness(timestamp), self._release(view, visit)
        )

    # -- barriers ---------------------------------------------------------------------------

    def gate_opened(self, lane: str, at: float | None = None) -> None:
        """The lane's gate turned `open` at hub time `at`: a car waiting there drives on.

        Called on the loop by the demo integration; the camera threads read the list.
        Only the last few openings matter (a car looks at those since it came into view).
        """
        opened = [*self._opened[lane][-7:], self.sim_time(at)]
        self._opened[lane] = opened

    def _release(self, lane: str, visit: Visit | None) -> float | None:
        """When (simulated seconds) the barrier let `visit` go: the first time its gate
        opened after the car came into view. A lane without a gate entity lets each car
        go after UNGATED_WAIT_SECONDS; None: not yet (it waits, up to WAIT_SECONDS)."""
        if visit is None:
            return None
        renderer = self._lane_renderer(lane)
        start = renderer.window_start(visit)
        gate = self.gates.get(lane)
        if not gate or self._gate_state(gate) is None:
            return start + (APPROACH_SECONDS + UNGATED_WAIT_SECONDS) * self.time_scale
        return next((moment for moment in self._opened[lane] if moment >= start), None)

    def _lane_renderer(self, view: str) -> LaneRenderer:
        renderer = self._renderer(view)
        assert isinstance(renderer, LaneRenderer)
        return renderer

    def _renderer(self, view: str) -> OverheadRenderer | LaneRenderer:
        """Made on first use (the background takes a moment), once per view."""
        with self._lock:
            renderer = self._renderers.get(view)
            if renderer is None:
                if view == VIEW_OVERHEAD:
                    renderer = OverheadRenderer(self._seed, self.time_scale)
                elif view in (VIEW_ENTRY, VIEW_EXIT):
                    renderer = LaneRenderer(
                        self._seed, self.time_scale, view == VIEW_EXIT, self._time_zone
                    )
                else:
                    raise ValueError(f"unknown demo view {view!r}")
                self._renderers[view] = renderer
                release_memory()
            return renderer


def _smooth(x: float) -> float:
    """0..1 eased at both ends (light fades in and out, it does not switch)."""
    return x * x * (3 - 2 * x)
