"""Tariff rules as pure functions, on explicit datetimes in a real time zone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.integrations.parking.const import DAILY_PER_CALENDAR_DAY
from hub.integrations.parking.tariff import (
    Surcharge,
    Tariff,
    TimeRate,
    compute_fee,
    rate_at,
    surcharge_multiplier,
)

AMS = ZoneInfo("Europe/Amsterdam")
ENTRY = datetime(2026, 11, 22, 13, 0, tzinfo=AMS)
HOURLY = Tariff(rate=250, grace=timedelta(minutes=15))


def fee(
    tariff: Tariff,
    minutes: float,
    entry: datetime = ENTRY,
    *,
    lists: Iterable[str] = (),
    multiplier: float = 1.0,
) -> int:
    exit = entry + timedelta(minutes=minutes)
    return compute_fee(tariff, entry, exit, AMS, lists=lists, multiplier=multiplier)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, 0),
        (10, 0),
        (15, 0),  # the grace is inclusive
        (16, 250),  # past the grace: the first period is charged from the start
        (60, 250),
        (61, 500),  # every started period counts
        (179, 750),
    ],
)
def test_hourly_rate_with_grace(minutes: float, expected: int) -> None:
    assert fee(HOURLY, minutes) == expected


def test_billing_period_is_configurable() -> None:
    quarter = Tariff(rate=75, period=timedelta(minutes=15))
    assert fee(quarter, 14) == 75
    assert fee(quarter, 46) == 300


def test_free_lists_pay_nothing() -> None:
    tariff = Tariff(rate=250, free_lists=frozenset({"residents", "staff"}))
    assert fee(tariff, 600, lists=["residents"]) == 0
    assert fee(tariff, 600, lists=["visitors"]) == 2500
    assert fee(tariff, 600) == 2500


def test_daily_max_per_24_hours_from_entry() -> None:
    tariff = Tariff(rate=250, daily_max=1500)
    assert fee(tariff, 5 * 60) == 1250
    assert fee(tariff, 10 * 60) == 1500  # capped
    # 24 h + 1 h: a second day starts at entry + 24 h and pays its own hour.
    assert fee(tariff, 25 * 60) == 1500 + 250
    assert fee(tariff, 3 * 24 * 60) == 3 * 1500


def test_daily_max_per_calendar_day_crossing_midnight() -> None:
    tariff = Tariff(rate=250, daily_max=1500, daily_max_per=DAILY_PER_CALENDAR_DAY)
    evening = datetime(2026, 11, 22, 20, 0, tzinfo=AMS)
    # 20:00 -> 04:00 next day: 4 periods on the 22nd, 4 on the 23rd, each day under the cap.
    assert fee(tariff, 8 * 60, entry=evening) == 2000
    # 20:00 -> 14:00: 4 periods on the 22nd (1000), 14 on the 23rd (capped at 1500).
    assert fee(tariff, 18 * 60, entry=evening) == 2500
    rolling = Tariff(rate=250, daily_max=1500)
    assert fee(rolling, 18 * 60, entry=evening) == 1500  # one 24-hour window


def test_night_rate_crossing_midnight_in_local_time() -> None:
    night = TimeRate(time(22, 0), time(6, 0), 100)
    tariff = Tariff(rate=300, time_rates=(night,))
    assert rate_at(tariff, datetime(2026, 11, 22, 21, 59, tzinfo=AMS)) == 300
    assert rate_at(tariff, datetime(2026, 11, 22, 22, 0, tzinfo=AMS)) == 100
    assert rate_at(tariff, datetime(2026, 11, 23, 0, 30, tzinfo=AMS)) == 100
    assert rate_at(tariff, datetime(2026, 11, 23, 6, 0, tzinfo=AMS)) == 300
    # 20:30 -> 07:30 local: periods start 20:30, 21:30 (day), 22:30 ... 05:30 (8 night), 06:30.
    entry = datetime(2026, 11, 22, 20, 30, tzinfo=AMS)
    assert fee(tariff, 11 * 60, entry=entry) == 3 * 300 + 8 * 100
    # The same stay given in UTC is billed on the hub's local clock, not UTC's.
    assert compute_fee(tariff, entry.astimezone(UTC), entry + timedelta(hours=11), AMS) == 1700


def test_day_rate_window() -> None:
    peak = TimeRate(time(8, 0), time(18, 0), 400)
    tariff = Tariff(rate=200, time_rates=(peak,))
    entry = datetime(2026, 11, 22, 16, 0, tzinfo=AMS)
    assert fee(tariff, 4 * 60, entry=entry) == 400 + 400 + 200 + 200


def test_occupancy_surcharge() -> None:
    tariff = Tariff(rate=200, surcharge=Surcharge(below_free=3, multiplier=1.5), daily_max=1000)
    assert surcharge_multiplier(tariff, None) == 1.0  # free spaces unknown
    assert surcharge_multiplier(tariff, 3) == 1.0
    assert surcharge_multiplier(tariff, 2) == 1.5
    assert surcharge_multiplier(Tariff(rate=200), 0) == 1.0
    assert fee(tariff, 120, multiplier=1.5) == 600
    # The daily maximum still holds with the surcharge.
    assert fee(tariff, 10 * 60, multiplier=1.5) == 1000
    # Half a cent rounds up.
    assert fee(Tariff(rate=125), 30, multiplier=1.5) == 188


def test_daylight_saving_day_bills_real_hours() -> None:
    """On the night clocks go back (25 hours), each real hour is a period."""
    tariff = Tariff(rate=100)
    entry = datetime(2026, 10, 25, 0, 0, tzinfo=AMS)
    exit = datetime(2026, 10, 26, 0, 0, tzinfo=AMS)
    assert compute_fee(tariff, entry, exit, AMS) == 2500


def test_no_time_no_fee() -> None:
    assert compute_fee(HOURLY, ENTRY, ENTRY - timedelta(hours=1), AMS) == 0
