"""`GET /api/parking/report`: per lot and node, for a period, what a lot owner reads.

    GET /api/parking/report?from=2026-11-01&to=2026-11-30&lot=main&node=west_lot

For each (node, lot): `sessions` (entered in the period), `ended`, `fees` and `paid` (of
the sessions that ended in it, minor units), `average_stay_s` (of those), `overstays`
(sessions entered in the period that overstayed) and `peak_occupancy` (most sessions
open at once during the period) with `peak_at`; `total` sums them over the rows (its
peak is the most open at once across all of them).

Several hubs may share one PostgreSQL database, each writing its sessions under its
node. An ordinary hub reports on its own node only; a central reporting hub, configured
with `parking: report_all_nodes: true`, reads every node's rows (filter with `?node=`).
Operators and admins only (hub/web/policy.py): revenue is not a resident's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from aiohttp import web

from hub import validation as cv
from hub.core.exceptions import ServiceValidationError
from hub.web.api_doc import api_doc
from hub.web.helpers import async_register_route, json_response, validate

from .http import query_moment, query_timestamp
from .models import iso

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .manager import ParkingManager

__all__ = ["REPORT_QUERY", "LotFigures", "async_register_report", "peak"]

DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 3700  # ten years and some: a bound, so a typo cannot scan forever

REPORT_QUERY: Final = vol.Schema(
    {
        vol.Optional("from", description="Start: a date or ISO time (default: 30 days ago)"): (
            query_moment
        ),
        vol.Optional("to", description="End: a date (through that day) or ISO time"): query_moment,
        vol.Optional("lot", description="One lot id"): vol.All(str, vol.Length(max=64)),
        vol.Optional("node", description="One hub's node (a reporting hub)"): cv.slug,
    }
)

_ENTERED: Final = """
SELECT node, lot, COUNT(*), SUM(CASE WHEN overstay_fired <> 0 THEN 1 ELSE 0 END)
FROM sessions WHERE entry_time >= ? AND entry_time < ? {where} GROUP BY node, lot
"""
_ENDED: Final = """
SELECT node, lot, COUNT(*), COALESCE(SUM(fee), 0), COALESCE(SUM(paid_amount), 0),
    COALESCE(SUM(exit_time - entry_time), 0)
FROM sessions WHERE exit_time >= ? AND exit_time < ? {where} GROUP BY node, lot
"""
# Every stay that overlaps the period, for the peak (open sessions have no exit yet).
_STAYS: Final = """
SELECT node, lot, entry_time, exit_time FROM sessions
WHERE entry_time < ? AND (exit_time IS NULL OR exit_time > ?) {where}
"""


@dataclass(slots=True)
class LotFigures:
    """One row of the report."""

    node: str
    lot: str
    sessions: int = 0
    ended: int = 0
    fees: int = 0
    paid: int = 0
    stay_s: float = 0.0  # total, for the average
    overstays: int = 0
    peak_occupancy: int = 0
    peak_at: float | None = None
    stays: list[tuple[float, float | None]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "lot": self.lot,
            "sessions": self.sessions,
            "ended": self.ended,
            "fees": self.fees,
            "paid": self.paid,
            "average_stay_s": round(self.stay_s / self.ended, 1) if self.ended else None,
            "overstays": self.overstays,
            "peak_occupancy": self.peak_occupancy,
            "peak_at": iso(self.peak_at),
        }


def peak(
    stays: Iterable[tuple[float, float | None]], start: float, end: float
) -> tuple[int, float | None]:
    """Most stays open at once within [start, end), and when it was first reached.

    A sweep over entries and exits: an exit at the same moment as an entry counts first
    (a car leaving as another comes in is not two at once). Stays open before `start`
    count from `start`."""
    moments: list[tuple[float, int]] = []
    for entry, exit_time in stays:
        moments.append((max(entry, start), 1))
        if exit_time is not None and exit_time < end:
            moments.append((exit_time, -1))
    moments.sort()
    best, when, current = 0, None, 0
    for moment, step in moments:
        current += step
        if current > best:
            best, when = current, moment
    return best, when


async def async_report(
    hub: Hub,
    manager: ParkingManager,
    start: float,
    end: float,
    nodes: Sequence[str] | None,
    lot: str | None,
) -> dict[str, Any]:
    """The report's body; `nodes` None: every node in the database."""
    where, args = "", []
    if nodes is not None:
        where += f" AND node IN ({', '.join('?' for _ in nodes)})"
        args += list(nodes)
    if lot is not None:
        where += " AND lot = ?"
        args.append(lot)
    await manager.store.async_after_saves()
    db = manager.store.database
    rows: dict[tuple[str, str], LotFigures] = {}

    def figures(node: str, lot_id: str) -> LotFigures:
        return rows.setdefault((node, lot_id), LotFigures(node, lot_id))

    for node, lot_id, count, overstays in await db.fetchall(
        _ENTERED.format(where=where), (start, end, *args)
    ):
        found = figures(node, lot_id)
        found.sessions, found.overstays = int(count), int(overstays)
    for node, lot_id, count, fees, paid, stay_s in await db.fetchall(
        _ENDED.format(where=where), (start, end, *args)
    ):
        found = figures(node, lot_id)
        found.ended, found.fees, found.paid, found.stay_s = (
            int(count),
            int(fees),
            int(paid),
            float(stay_s),
        )
    for node, lot_id, entry, exit_time in await db.fetchall(
        _STAYS.format(where=where), (end, start, *args)
    ):
        figures(node, lot_id).stays.append((entry, exit_time))
    ordered = [rows[key] for key in sorted(rows)]
    total = await hub.async_add_executor_job(_finish, ordered, start, end)
    return {
        "from": iso(start),
        "to": iso(end),
        "currency": manager.currency,
        "scope": "all_nodes" if nodes is None else "own_node",
        "lots": [item.as_dict() for item in ordered],
        "total": total.as_dict() | {"node": None, "lot": None},
    }


def _finish(rows: list[LotFigures], start: float, end: float) -> LotFigures:
    """Each row's peak, and the total row (CPU work: in the executor)."""
    total = LotFigures("", "")
    for item in rows:
        item.peak_occupancy, item.peak_at = peak(item.stays, start, end)
        total.sessions += item.sessions
        total.ended += item.ended
        total.fees += item.fees
        total.paid += item.paid
        total.stay_s += item.stay_s
        total.overstays += item.overstays
    total.peak_occupancy, total.peak_at = peak(
        (stay for item in rows for stay in item.stays), start, end
    )
    return total


def async_register_report(hub: Hub, manager: ParkingManager) -> None:
    """The report route; what it may read follows `parking: report_all_nodes`."""
    all_nodes = manager.config.report_all_nodes
    own = manager.store.node

    @api_doc(
        "Sessions, revenue, average stay, overstays and peak occupancy per lot and node",
        tag="parking",
        query=REPORT_QUERY.schema,
        response={"type": "object"},
        errors=(400, 403),
        role="operator",
    )
    async def report(request: web.Request) -> web.Response:
        data = validate(REPORT_QUERY, dict(request.query), "query")
        zone = hub.time_zone
        now = hub.scheduler.timestamp()
        end = query_timestamp(data["to"], zone, end=True) if "to" in data else now
        start = (
            query_timestamp(data["from"], zone, end=False)
            if "from" in data
            else end - timedelta(days=DEFAULT_DAYS).total_seconds()
        )
        if end <= start:
            raise ServiceValidationError("invalid query: to: must be after from")
        if end - start > timedelta(days=MAX_DAYS).total_seconds():
            raise ServiceValidationError(f"invalid query: from: at most {MAX_DAYS} days back")
        node, lot = data.get("node"), data.get("lot")
        if not all_nodes:
            if node not in (None, own):
                raise ServiceValidationError(
                    f"invalid query: node: this hub reports on its own node ({own}) only;"
                    " a central hub sets parking: report_all_nodes: true"
                )
            if lot is not None and lot not in manager.config.lots:
                raise ServiceValidationError(f"invalid query: lot: unknown lot {lot!r}")
        nodes = [node] if node is not None else (None if all_nodes else [own])
        return json_response(await async_report(hub, manager, start, end, nodes, lot))

    async_register_route(hub, "GET", "/api/parking/report", report)
