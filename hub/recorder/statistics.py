"""Hourly statistics of numeric sensors: time-weighted mean, min and max.

States are purged after `keep_days`, but a lot owner wants a year of "free spaces per hour".
So a few seconds after each hour ends, the recorder folds that hour of `sensor.*` states into
one row per sensor, kept for `STATISTICS_KEEP_DAYS`. Hours are UTC hours (as in HA), and each
compiled hour is written to `statistics_runs`, so after downtime the missed hours are caught
up from the states still on disk, and compiling an hour twice changes nothing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any, Final

from hub.core.json import json_dumps
from hub.database import Database

from .history import iso
from .schema import last_state_id

__all__ = [
    "HOUR",
    "STATISTICS_DELAY",
    "STATISTICS_KEEP_DAYS",
    "StatRow",
    "async_fetch_hour",
    "async_last_run",
    "async_save_hour",
    "async_statistics_during",
    "compile_hour",
    "hour_start",
]

_LOGGER = logging.getLogger(__name__)

HOUR: Final = 3600.0
# Compile this long after the hour ends, so states set right at the hour are queued by then.
STATISTICS_DELAY: Final = 10.0
STATISTICS_KEEP_DAYS: Final = 365

# (entity_id, hour start, mean, min, max)
StatRow = tuple[str, float, float, float, float]

_HOUR_STATES: Final = f"""
SELECT m.entity_id, s.state, s.last_updated_ts, s.state_id
FROM states_meta m
JOIN states s ON s.state_id = ({last_state_id("start")})
WHERE m.node = :node AND m.entity_id LIKE 'sensor.%'
UNION ALL
SELECT m.entity_id, s.state, s.last_updated_ts, s.state_id
FROM states_meta m
JOIN states s ON s.metadata_id = m.metadata_id
WHERE m.node = :node AND m.entity_id LIKE 'sensor.%'
  AND s.last_updated_ts >= :start AND s.last_updated_ts < :end
ORDER BY 1, 3, 4
"""

_STATISTICS_BETWEEN: Final = """
SELECT statistic_id, start_ts, mean, min, max FROM statistics
WHERE node = :node AND statistic_id IN (SELECT value FROM json_each(:ids))
  AND start_ts >= :start AND start_ts < :end
ORDER BY statistic_id, start_ts
"""


_SAVE_STATISTIC: Final = """
INSERT INTO statistics (node, statistic_id, start_ts, mean, min, max) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (node, statistic_id, start_ts)
DO UPDATE SET mean = excluded.mean, min = excluded.min, max = excluded.max
"""


def hour_start(timestamp: float) -> float:
    """The start of the UTC hour holding `timestamp`."""
    return timestamp - timestamp % HOUR


def _number(state: str | None) -> float | None:
    """The state as a finite float, or None ("unavailable", "nan", a removal)."""
    if state is None:
        return None
    try:
        value = float(state)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def compile_hour(rows: Iterable[tuple[str, str | None, float]], start: float) -> list[StatRow]:
    """Fold one hour of states, sorted by entity then time, into one row per numeric sensor.

    Each value counts for as long as it was in effect within the hour (the first row may
    be the state carried in from before `start`); non-numeric stretches ("unavailable")
    count for nothing rather than as zero. A sensor with no numeric value in the hour
    gets no row. Pure and CPU-only, so it runs in a worker thread.
    """
    end = start + HOUR
    by_entity: dict[str, list[tuple[float | None, float]]] = {}
    for entity_id, state, updated in rows:
        by_entity.setdefault(entity_id, []).append((_number(state), max(updated, start)))
    result: list[StatRow] = []
    for entity_id, points in by_entity.items():
        weighted = duration = 0.0
        values: list[float] = []
        for index, (value, since) in enumerate(points):
            if value is None:
                continue
            until = points[index + 1][1] if index + 1 < len(points) else end
            weighted += value * (until - since)
            duration += until - since
            values.append(value)
        if values:
            mean = weighted / duration if duration > 0 else sum(values) / len(values)
            result.append((entity_id, start, mean, min(values), max(values)))
    return result


async def async_fetch_hour(
    db: Database, node: str, start: float
) -> list[tuple[str, str | None, float]]:
    """The `sensor.*` states of the hour from `start`, each sensor led by its state at `start`."""
    params = {"node": node, "start": start, "end": start + HOUR}
    return [(row[0], row[1], row[2]) for row in await db.fetchall(_HOUR_STATES, params)]


async def async_last_run(db: Database, node: str) -> float | None:
    """The start of the newest hour already compiled, if any."""
    row = await db.fetchone("SELECT MAX(start_ts) FROM statistics_runs WHERE node = ?", (node,))
    return None if row is None or row[0] is None else float(row[0])


async def async_save_hour(db: Database, node: str, start: float, rows: list[StatRow]) -> None:
    """Store one compiled hour and mark it done, in one transaction."""
    async with db.transaction():
        await db.executemany(_SAVE_STATISTIC, [(node, *row) for row in rows])
        await db.execute(
            "INSERT INTO statistics_runs VALUES (?, ?) ON CONFLICT DO NOTHING", (node, start)
        )


async def async_statistics_during(
    db: Database, node: str, statistic_ids: list[str], start_ts: float, end_ts: float | None
) -> dict[str, list[dict[str, Any]]]:
    """Hourly rows whose hour starts in [start, end), per sensor, oldest first."""
    params = {
        "node": node,
        "ids": json_dumps(statistic_ids),
        "start": start_ts,
        "end": math.inf if end_ts is None else end_ts,
    }
    result: dict[str, list[dict[str, Any]]] = {}
    for statistic_id, start, mean, low, high in await db.fetchall(_STATISTICS_BETWEEN, params):
        result.setdefault(statistic_id, []).append(
            {"start": iso(start), "mean": mean, "min": low, "max": high}
        )
    return result
