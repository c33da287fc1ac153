"""The `parking:` block: lots (cameras, gates, capacity, tariff, stay limits).

Validated once into frozen dataclasses. A single lot is the common case: `parking: {}`
gives one lot, `lot`, that takes every camera's plate reads with the direction the
camera reports; list a lot's `cameras` only when there are several lots or a camera's
role needs overriding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import voluptuous as vol

from hub import validation as cv
from hub.database import postgres_url

from .const import (
    CONF_BELOW_FREE,
    CONF_CAMERAS,
    CONF_CAPACITY,
    CONF_DAILY_MAX,
    CONF_DAILY_MAX_PER,
    CONF_DB_URL,
    CONF_FREE_LISTS,
    CONF_GATES,
    CONF_GRACE,
    CONF_LONG_STAY,
    CONF_LOTS,
    CONF_MAX_STAY,
    CONF_MAX_STAY_LISTS,
    CONF_MULTIPLIER,
    CONF_NAME,
    CONF_NEAR_MATCH_DISTANCE,
    CONF_OCCUPANCY_LOT,
    CONF_PASSAGE_WINDOW,
    CONF_PERIOD,
    CONF_RATE,
    CONF_REPORT_ALL_NODES,
    CONF_RESERVATION_GRACE,
    CONF_SURCHARGE,
    CONF_TARIFF,
    CONF_TIME_RATES,
    DAILY_PER_24H,
    DAILY_PER_CALENDAR_DAY,
    DEFAULT_LONG_STAY_DAYS,
    DEFAULT_LOT,
    DEFAULT_NEAR_MATCH_DISTANCE,
    DEFAULT_PASSAGE_WINDOW,
    DEFAULT_RESERVATION_GRACE,
    DIRECTION_ENTRY,
    DIRECTION_EXIT,
)
from .tariff import Surcharge, Tariff, TimeRate

__all__ = ["CONFIG_SCHEMA", "LotConfig", "ParkingConfig", "parking_config"]

BOTH = "both"  # a camera whose reads carry their own direction
_ROLES = [DIRECTION_ENTRY, DIRECTION_EXIT, BOTH]

_money = cv.money  # minor units, 0 to 10^9


def _role_map(value: Any) -> dict[str, str]:
    """`{camera.entry: entry}`, or a list of ids whose reads keep their own direction."""
    if isinstance(value, list):
        value = {item: BOTH for item in value}
    schema = vol.Schema({cv.entity_id: vol.In(_ROLES, msg=f"expected one of {', '.join(_ROLES)}")})
    result: dict[str, str] = schema(value)
    return result


TIME_RATE_SCHEMA = vol.Schema(
    {
        # Local time (hub time zone) the rate starts, inclusive ...
        vol.Required("from"): cv.time_of_day,
        # ... and ends, exclusive; earlier than `from` crosses midnight (22:00-06:00).
        vol.Required("to"): cv.time_of_day,
        vol.Required(CONF_RATE): _money,
    }
)

TARIFF_SCHEMA = vol.Schema(
    {
        # Minor units (cents) per started period.
        vol.Optional(CONF_RATE, default=0): _money,
        vol.Optional(CONF_PERIOD, default=timedelta(hours=1)): cv.positive_time_period,
        # Stays up to this long are free; longer ones pay from the first minute.
        vol.Optional(CONF_GRACE, default=timedelta(0)): cv.time_period,
        # The most one day costs, in minor units ...
        vol.Optional(CONF_DAILY_MAX): _money,
        # ... per 24 h from entry, or per local calendar day.
        vol.Optional(CONF_DAILY_MAX_PER, default=DAILY_PER_24H): vol.In(
            [DAILY_PER_24H, DAILY_PER_CALENDAR_DAY]
        ),
        # Plates on these lists (from the lpr section) park free.
        vol.Optional(CONF_FREE_LISTS, default=[]): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(CONF_TIME_RATES, default=[]): vol.All(cv.ensure_list, [TIME_RATE_SCHEMA]),
        # Dearer when nearly full: decided at entry from sensor.<occupancy lot>_free_spaces.
        vol.Optional(CONF_SURCHARGE): vol.Schema(
            {
                vol.Required(CONF_BELOW_FREE): cv.positive_int,
                vol.Required(CONF_MULTIPLIER): vol.All(vol.Coerce(float), vol.Range(min=0)),
            }
        ),
    }
)

LOT_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_NAME): cv.string,
        # Spaces for reservations' capacity check; default: the occupancy lot's total.
        vol.Optional(CONF_CAPACITY): cv.positive_int,
        # The occupancy lot whose free spaces and slots this lot uses (default: same id).
        vol.Optional(CONF_OCCUPANCY_LOT): cv.slug,
        # Plate cameras of this lot and their role: entry, exit or both.
        vol.Optional(CONF_CAMERAS): _role_map,
        # Barriers of this lot and the lane they close (for passages with no plate read).
        vol.Optional(CONF_GATES, default={}): vol.Schema(
            {cv.entity_id: vol.In([DIRECTION_ENTRY, DIRECTION_EXIT])}
        ),
        vol.Optional(CONF_TARIFF, default={}): TARIFF_SCHEMA,
        # Longest allowed stay (overstay after it), for every plate ...
        vol.Optional(CONF_MAX_STAY): cv.positive_time_period,
        # ... or per list (wins over max_stay for plates on that list; null: no limit).
        vol.Optional(CONF_MAX_STAY_LISTS, default={}): vol.Schema(
            {cv.string: vol.Any(None, cv.positive_time_period)}
        ),
        # A stay this long is reported as an anomaly (long_stay).
        vol.Optional(CONF_LONG_STAY, default=timedelta(days=DEFAULT_LONG_STAY_DAYS)): (
            cv.positive_time_period
        ),
        # An exit read this close (edit distance) to a plate inside ends that session.
        vol.Optional(CONF_NEAR_MATCH_DISTANCE, default=DEFAULT_NEAR_MATCH_DISTANCE): vol.All(
            vol.Coerce(int), vol.Range(min=0, max=3)
        ),
        # A gate opening with no plate read on its lane this long before or after it.
        vol.Optional(CONF_PASSAGE_WINDOW, default=timedelta(seconds=DEFAULT_PASSAGE_WINDOW)): (
            cv.positive_time_period
        ),
        # A reservation whose car has not come this long after its start expires.
        vol.Optional(
            CONF_RESERVATION_GRACE, default=timedelta(seconds=DEFAULT_RESERVATION_GRACE)
        ): cv.time_period,
    }
)


def _one_default_lot(lots: dict[str, Any]) -> dict[str, Any]:
    """Each camera in one lot at most; at most one lot without cameras (it takes the rest)."""
    seen: dict[str, str] = {}
    catch_all = [name for name, lot in lots.items() if CONF_CAMERAS not in lot]
    if len(catch_all) > 1:
        raise vol.Invalid(
            f"lots {', '.join(catch_all)} list no cameras; only one lot may take every camera"
        )
    for name, lot in lots.items():
        for camera in lot.get(CONF_CAMERAS, {}):
            if camera in seen:
                raise vol.Invalid(f"camera {camera} is in lots {seen[camera]} and {name}")
            seen[camera] = name
    return lots


CONFIG_SCHEMA = vol.Schema(
    {
        vol.Optional(
            CONF_DB_URL, description="postgresql://user@host/db instead of parking.db"
        ): postgres_url,
        vol.Optional(
            CONF_REPORT_ALL_NODES,
            default=False,
            description="Reports read every hub's sessions in the shared database",
        ): cv.boolean,
        vol.Optional(CONF_LOTS): vol.All(
            vol.Schema({cv.slug: vol.Any(None, LOT_SCHEMA)}),
            lambda lots: {name: LOT_SCHEMA(lot or {}) for name, lot in lots.items()},
            vol.Length(min=1, msg="expected at least one lot"),
            _one_default_lot,
        ),
    }
)


@dataclass(frozen=True, slots=True)
class LotConfig:
    id: str
    name: str
    capacity: int | None
    occupancy_lot: str
    cameras: dict[str, str] | None  # None: every camera not claimed by another lot
    gates: dict[str, str]
    tariff: Tariff
    max_stay: timedelta | None
    max_stay_lists: dict[str, timedelta | None]
    long_stay: timedelta
    near_match_distance: int
    passage_window: timedelta
    reservation_grace: timedelta

    def max_stay_for(self, plate_list: str | None) -> timedelta | None:
        if plate_list is not None and plate_list in self.max_stay_lists:
            return self.max_stay_lists[plate_list]
        return self.max_stay

    @property
    def free_spaces_entity(self) -> str:
        return f"sensor.{self.occupancy_lot}_free_spaces"


@dataclass(frozen=True, slots=True)
class ParkingConfig:
    lots: dict[str, LotConfig]
    db_url: str | None = None  # postgresql://...; None: parking.db in the data directory
    report_all_nodes: bool = False  # a central reporting hub (report.py)

    def lot_for_camera(self, camera: str) -> tuple[LotConfig, str] | None:
        """The lot a camera belongs to and its role there (None: no lot takes it)."""
        fallback = None
        for lot in self.lots.values():
            if lot.cameras is None:
                fallback = lot
            elif camera in lot.cameras:
                return lot, lot.cameras[camera]
        return (fallback, BOTH) if fallback is not None else None


def _tariff(conf: dict[str, Any]) -> Tariff:
    surcharge = conf.get(CONF_SURCHARGE)
    return Tariff(
        rate=conf[CONF_RATE],
        period=conf[CONF_PERIOD],
        grace=conf[CONF_GRACE],
        daily_max=conf.get(CONF_DAILY_MAX),
        daily_max_per=conf[CONF_DAILY_MAX_PER],
        free_lists=frozenset(conf[CONF_FREE_LISTS]),
        time_rates=tuple(
            TimeRate(item["from"], item["to"], item[CONF_RATE]) for item in conf[CONF_TIME_RATES]
        ),
        surcharge=(
            Surcharge(surcharge[CONF_BELOW_FREE], surcharge[CONF_MULTIPLIER]) if surcharge else None
        ),
    )


def parking_config(config: dict[str, Any]) -> ParkingConfig:
    """Validated block -> one frozen ParkingConfig."""
    lots_conf = config.get(CONF_LOTS) or {DEFAULT_LOT: LOT_SCHEMA({})}
    lots = {}
    for lot_id, conf in lots_conf.items():
        lots[lot_id] = LotConfig(
            id=lot_id,
            name=conf.get(CONF_NAME, lot_id),
            capacity=conf.get(CONF_CAPACITY),
            occupancy_lot=conf.get(CONF_OCCUPANCY_LOT, lot_id),
            cameras=conf.get(CONF_CAMERAS),
            gates=conf[CONF_GATES],
            tariff=_tariff(conf[CONF_TARIFF]),
            max_stay=conf.get(CONF_MAX_STAY),
            max_stay_lists=conf[CONF_MAX_STAY_LISTS],
            long_stay=conf[CONF_LONG_STAY],
            near_match_distance=conf[CONF_NEAR_MATCH_DISTANCE],
            passage_window=conf[CONF_PASSAGE_WINDOW],
            reservation_grace=conf[CONF_RESERVATION_GRACE],
        )
    return ParkingConfig(lots, config.get(CONF_DB_URL), config.get(CONF_REPORT_ALL_NODES, False))
