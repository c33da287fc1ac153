"""A virtual parking lot, so ParkHub shows a living lot with no camera at all.

Three views, rendered with OpenCV for the hub's current time (see `lot.py`):

- `overhead`: 24 spaces (a01..a12 top row, b01..b12 bottom row) seen from above; cars
  arrive, park and leave on a seeded timetable, over textured asphalt with worn paint,
  tree shadows, a drifting cloud and camera grain.
- `entry` and `exit`: lane cameras on a pole past the barrier, facing the oncoming cars;
  each car drives in at the top front plate first and stops with that plate (plain black
  FONT_HERSHEY_SIMPLEX text on a white or yellow plate) in full view. The
  barrier arm follows its gate entity's state (`gates:`; default gate.entry / gate.exit:
  open, opening, closing, closed); with no such entity it lifts as each car passes.

With `day_night: true` the simulated clock also turns day into night (from the hub's
local time when the demo starts): the lot goes dark but for pools of lamp light, and the
lanes dim. Cameras show the views with `source: demo` and `view: overhead|entry|exit` (camera
integration). The same moment always looks the same for the same `seed`.

Ground truth, for tests and evaluation, on `hub.data["demo"].lot` (a `DemoLot`):

- `occupied_slots(at=None)` -> `{"a03": "DH36SGL", ...}` (slot id -> plate),
- `driving(at=None)` -> `{"b07": "XC26WMV"}`: cars on their way into or out of a space
  (in the aisle or turning), not counted in `occupied_slots`,
- `lane_car("entry" | "exit", at=None)` -> `LaneCar(plate, phase, plate_box)` or None,
- `slot_polygons` -> `{"a01": [(x, y), ...]}` in overhead pixels, the same as the
  `slots.yaml` file beside this module (`camera_size` + `slots: [{id, polygon}]`),
- `visits(at=None)`, `sim_time(at=None)`, `darkness(at=None)` (0 day .. 1 night); `at`
  is a hub timestamp (default: now).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import Event
from hub.core.hub import Hub

from .const import (
    CONF_ARRIVALS_PER_HOUR,
    CONF_DAY_NIGHT,
    CONF_ENTRY,
    CONF_EXIT,
    CONF_GATES,
    CONF_MEAN_STAY,
    CONF_PLATES,
    CONF_RETURNING_SHARE,
    CONF_SEED,
    CONF_TIME_SCALE,
    DEFAULT_ARRIVALS_PER_HOUR,
    DEFAULT_ENTRY_GATE,
    DEFAULT_EXIT_GATE,
    DEFAULT_MEAN_STAY_MINUTES,
    DEFAULT_RETURNING_SHARE,
    DEFAULT_SEED,
    DEFAULT_TIME_SCALE,
    DOMAIN,
)
from .drawing import Image
from .lot import DemoLot

__all__ = ["CONFIG_SCHEMA", "DemoData", "DemoLot", "async_setup"]


def _plate(value: Any) -> str:
    text = cv.string(value).strip().upper().replace(" ", "").replace("-", "")
    if not text.isalnum() or not 2 <= len(text) <= 10:
        raise vol.Invalid(f"expected a plate of 2 to 10 letters and digits, got {value!r}")
    return text


CONFIG_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_SEED, default=DEFAULT_SEED): int,
        vol.Optional(CONF_TIME_SCALE, default=DEFAULT_TIME_SCALE): vol.All(
            vol.Coerce(float), vol.Range(min=0.1, max=1000, msg="expected 0.1 to 1000")
        ),
        vol.Optional(CONF_ARRIVALS_PER_HOUR, default=DEFAULT_ARRIVALS_PER_HOUR): vol.All(
            vol.Coerce(float), vol.Range(min=0.1, max=120, msg="expected 0.1 to 120")
        ),
        vol.Optional(
            CONF_MEAN_STAY, default={"minutes": DEFAULT_MEAN_STAY_MINUTES}
        ): cv.positive_time_period,
        vol.Optional(CONF_PLATES, default=list): vol.All(cv.ensure_list, [_plate]),
        vol.Optional(CONF_RETURNING_SHARE, default=DEFAULT_RETURNING_SHARE): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=1, msg="expected 0 to 1")
        ),
        vol.Optional(CONF_DAY_NIGHT, default=False): cv.boolean,
        vol.Optional(CONF_GATES, default=dict): vol.Schema(
            {
                vol.Optional(CONF_ENTRY, default=DEFAULT_ENTRY_GATE): cv.entity_id,
                vol.Optional(CONF_EXIT, default=DEFAULT_EXIT_GATE): cv.entity_id,
            }
        ),
    }
)


@dataclass(slots=True)
class DemoData:
    """`hub.data["demo"]`: the lot, and the renderer the camera integration calls."""

    lot: DemoLot

    def render(self, view: str, timestamp: float) -> Image:
        return self.lot.render(view, timestamp)


async def async_setup(hub: Hub, config: dict[str, Any]) -> bool:
    gates = CONFIG_SCHEMA({CONF_GATES: {}})[CONF_GATES] | config[CONF_GATES]

    def gate_state(entity_id: str) -> str | None:
        # Called from camera threads: one dict lookup of an immutable State.
        state = hub.states.get(entity_id)
        return state.state if state is not None else None

    lot = DemoLot(
        seed=config[CONF_SEED],
        time_scale=config[CONF_TIME_SCALE],
        arrivals_per_hour=config[CONF_ARRIVALS_PER_HOUR],
        mean_stay=config[CONF_MEAN_STAY].total_seconds(),
        known_plates=tuple(config[CONF_PLATES]),
        returning_share=config[CONF_RETURNING_SHARE],
        gates=gates,
        start=hub.scheduler.timestamp(),
        clock=lambda: hub.scheduler.timestamp(),
        gate_state=gate_state,
        time_zone=hub.time_zone,
        day_night=config[CONF_DAY_NIGHT],
    )
    hub.data[DOMAIN] = DemoData(lot)
    for lane, gate in gates.items():
        hub.states.async_track(gate, _on_gate(lot, lane))
    return True


def _on_gate(lot: DemoLot, lane: str) -> Callable[[Event], None]:
    """A car waiting at this lane's barrier drives on once its gate is open."""

    def on_change(event: Event) -> None:
        new, old = event.data["new_state"], event.data["old_state"]
        if new is not None and new.state == "open" and (old is None or old.state != "open"):
            lot.gate_opened(lane, new.last_changed_timestamp)

    return on_change
