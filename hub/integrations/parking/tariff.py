"""Tariffs: what a stay costs, as pure functions of the tariff, the times and the zone.

Money is integer minor units (cents) throughout; the currency is the hub's (`hub:
currency`). The rules, in the order they apply:

1. A plate on one of the tariff's `free_lists` (residents, staff) pays nothing.
2. A stay no longer than `grace` pays nothing; a longer one pays from its first minute.
3. The stay is cut into billing periods (`period`, default one hour) counted from entry;
   every started period is charged whole, at the rate in force (local time, the hub's
   zone) when that period starts: a `time_rates` entry that covers that time of day
   (`22:00`-`06:00` crosses midnight), else the base `rate`.
4. An occupancy surcharge `multiplier` (decided once, at entry, from the free spaces then)
   scales each period's charge, rounded half up to a minor unit.
5. `daily_max` caps what one day costs: per 24 hours counted from entry (`daily_max_per:
   24h`, the default), or per local calendar day the periods start in (`calendar_day`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from .const import DAILY_PER_24H

__all__ = ["Surcharge", "Tariff", "TimeRate", "compute_fee", "rate_at", "surcharge_multiplier"]

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class TimeRate:
    """A rate for part of the day, `start` inclusive to `end` exclusive (may cross midnight)."""

    start: time
    end: time
    rate: int

    def covers(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True, slots=True)
class Surcharge:
    """Charge `multiplier` times the rates when fewer than `below_free` spaces are free at entry."""

    below_free: int
    multiplier: float


@dataclass(frozen=True, slots=True)
class Tariff:
    rate: int = 0
    period: timedelta = timedelta(hours=1)
    grace: timedelta = timedelta(0)
    daily_max: int | None = None
    daily_max_per: str = DAILY_PER_24H
    free_lists: frozenset[str] = frozenset()
    time_rates: tuple[TimeRate, ...] = ()
    surcharge: Surcharge | None = None


def rate_at(tariff: Tariff, local: datetime) -> int:
    """The rate of a period starting at `local` (a time in the hub's zone)."""
    moment = local.timetz().replace(tzinfo=None)
    for time_rate in tariff.time_rates:
        if time_rate.covers(moment):
            return time_rate.rate
    return tariff.rate


def surcharge_multiplier(tariff: Tariff, free_spaces: int | None) -> float:
    """The multiplier a car entering now pays: 1.0 unless the lot is nearly full."""
    surcharge = tariff.surcharge
    if surcharge is None or free_spaces is None or free_spaces >= surcharge.below_free:
        return 1.0
    return surcharge.multiplier


def _scaled(rate: int, multiplier: float) -> int:
    if multiplier == 1.0:
        return rate
    exact = Decimal(rate) * Decimal(str(multiplier))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compute_fee(
    tariff: Tariff,
    entry: datetime,
    exit: datetime,
    zone: tzinfo,
    *,
    lists: Iterable[str] = (),
    multiplier: float = 1.0,
) -> int:
    """The fee in minor units for a stay from `entry` to `exit` (aware datetimes)."""
    # In UTC: Python subtracts and adds datetimes of one zone on the wall clock, which
    # would bill the night the clocks change by the hour it does not have.
    entry, exit = entry.astimezone(UTC), exit.astimezone(UTC)
    if exit <= entry or tariff.free_lists.intersection(lists):
        return 0
    if exit - entry <= tariff.grace:
        return 0
    by_day: dict[object, int] = defaultdict(int)
    start = entry
    while start < exit:
        local = start.astimezone(zone)
        per_24h = tariff.daily_max_per == DAILY_PER_24H
        key: object = (start - entry) // _DAY if per_24h else local.date()
        by_day[key] += _scaled(rate_at(tariff, local), multiplier)
        start += tariff.period
    if tariff.daily_max is None:
        return sum(by_day.values())
    return sum(min(total, tariff.daily_max) for total in by_day.values())
