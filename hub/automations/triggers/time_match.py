"""The next wall-clock moment matching hours/minutes/seconds, with Home Assistant's DST rules.

Both `time` (`at: "02:30"`) and `time_pattern` (`minutes: 0`) triggers ask this module
when to fire next, as Home Assistant 2024.3's `async_track_time_change` asks
`homeassistant.util.dt.find_next_time_expression_time` (ported here; Apache-2.0, as
ParkHub). Its rules across a daylight-saving change, which automations written for HA
expect:

- Clocks forward (Europe/Amsterdam 2026-03-29, 02:00 -> 03:00): a time that does not
  exist that day is skipped; `at: "02:30"` fires next at 02:30 the day after.
- Clocks back (2026-10-25, 03:00 -> 02:00): a time in the repeated hour matches twice;
  an hourly `minutes: 0` fires at 02:00 summer time and again at 02:00 winter time.

`after` returns the first match strictly after `now`, as a local aware datetime whose
`fold` tells the two repeated hours apart (`timestamp()` honours it).
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, timedelta

__all__ = ["after", "pattern_values"]


def pattern_values(pattern: str, limit: int) -> list[int]:
    """`*`, `/N` or a number (already validated) as the sorted values it matches."""
    if pattern == "*":
        return list(range(limit))
    if pattern.startswith("/"):
        return list(range(0, limit, int(pattern[1:])))
    return [int(pattern)]


def after(now: datetime, seconds: list[int], minutes: list[int], hours: list[int]) -> datetime:
    """The first whole second strictly after `now` (aware, local) that matches."""
    # The second is added in UTC, as HA does: wall-clock arithmetic would drop `fold` and
    # land back in the first pass of a repeated hour, matching the same moment forever.
    start = (now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)).astimezone(
        now.tzinfo
    )
    return _find_next(start, seconds, minutes, hours)


def _lower_bound(values: list[int], at_least: int) -> int | None:
    index = bisect.bisect_left(values, at_least)
    return values[index] if index < len(values) else None


def _exists(moment: datetime) -> bool:
    assert moment.tzinfo is not None
    return moment == moment.astimezone(UTC).astimezone(moment.tzinfo)


def _ambiguous(moment: datetime) -> bool:
    other = moment.replace(fold=not moment.fold)
    return _exists(moment) and moment.utcoffset() != other.utcoffset()


def _dst_offset_diff(moment: datetime) -> timedelta:
    day = timedelta(hours=24)
    later, earlier = (moment + day).utcoffset(), (moment - day).utcoffset()
    return (later or timedelta()) - (earlier or timedelta())


def _find_next(now: datetime, seconds: list[int], minutes: list[int], hours: list[int]) -> datetime:
    """The first moment at or after `now` that matches (HA's algorithm, unit by unit)."""
    if not seconds or not minutes or not hours:
        raise ValueError("time pattern never matches")
    while True:
        result = now.replace(microsecond=0, fold=0)
        if (second := _lower_bound(seconds, result.second)) is None:
            second = seconds[0]
            result += timedelta(minutes=1)
        if result.second != second:
            result = result.replace(second=second)
        minute = _lower_bound(minutes, result.minute)
        if minute != result.minute:
            result = result.replace(second=seconds[0])
        if minute is None:
            minute = minutes[0]
            result += timedelta(hours=1)
        if result.minute != minute:
            result = result.replace(minute=minute)
        hour = _lower_bound(hours, result.hour)
        if hour != result.hour:
            result = result.replace(second=seconds[0], minute=minutes[0])
        if hour is None:
            hour = hours[0]
            result += timedelta(days=1)
        if result.hour != hour:
            result = result.replace(hour=hour)
        if result.tzinfo in (None, UTC):
            return result
        if not _exists(result):
            # Clocks went forward over it: try each next second until a match exists.
            now += timedelta(seconds=1)
            continue
        if not _ambiguous(now):
            return result
        if _ambiguous(result):
            # Both in the repeated hour: the next match is within the current fold.
            return result.replace(fold=now.fold)
        if now.fold == 0:
            # In the first pass of the repeated hour with no match left in it: the same
            # wall time may come round again in the second pass.
            check = _find_next(now + _dst_offset_diff(now), seconds, minutes, hours)
            if _ambiguous(check):
                return check.replace(fold=1)
        return result
