"""Names and defaults of the demo lot."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "demo"

CONF_SEED: Final = "seed"
CONF_TIME_SCALE: Final = "time_scale"
CONF_ARRIVALS_PER_HOUR: Final = "arrivals_per_hour"
CONF_MEAN_STAY: Final = "mean_stay"
CONF_PLATES: Final = "plates"
CONF_RETURNING_SHARE: Final = "returning_share"
CONF_GATES: Final = "gates"
CONF_DAY_NIGHT: Final = "day_night"
CONF_ENTRY: Final = "entry"
CONF_EXIT: Final = "exit"

VIEW_OVERHEAD: Final = "overhead"
VIEW_ENTRY: Final = "entry"
VIEW_EXIT: Final = "exit"
LANES: Final = (VIEW_ENTRY, VIEW_EXIT)

DEFAULT_SEED: Final = 7
DEFAULT_TIME_SCALE: Final = 10.0
DEFAULT_ARRIVALS_PER_HOUR: Final = 24.0
DEFAULT_MEAN_STAY_MINUTES: Final = 45.0
DEFAULT_RETURNING_SHARE: Final = 0.3
DEFAULT_ENTRY_GATE: Final = "gate.entry"
DEFAULT_EXIT_GATE: Final = "gate.exit"

# Sizes of the rendered views (pixels).
OVERHEAD_SIZE: Final = (1280, 720)
LANE_SIZE: Final = (960, 540)

# Lane and driving phases last this many *real* seconds whatever the time scale, so a
# plate stays in view long enough for a reader at a few frames per second.
APPROACH_SECONDS: Final = 2.0
# A car waits at a closed barrier until its gate is open, for at most WAIT_SECONDS, then
# drives on (a lane with no gate entity lifts its arm after UNGATED_WAIT_SECONDS).
WAIT_SECONDS: Final = 12.0
UNGATED_WAIT_SECONDS: Final = 4.0
PASS_SECONDS: Final = 2.0
DRIVE_SECONDS: Final = 4.0
# How long, at least, a car stays parked (simulated seconds).
MIN_STAY: Final = 300.0
MAX_STAY: Final = 4 * 3600.0
# Share of the spaces taken when the demo starts.
INITIAL_OCCUPANCY: Final = 0.5
