"""Sessions as CSV, and anomalies with their acknowledgements, for the panel.

Both are pure functions of rows the HTTP handlers fetched, so they are tested without
a hub. An anomaly is identified by the context id of its `anomaly` event (unique, and
kept by the recorder); acknowledging one fires `parking_anomaly_acknowledged` naming
that id, so the acknowledgement is history like the anomaly itself, with its user.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, Final

import voluptuous as vol

from .const import EVENT_ANOMALY, EVENT_ANOMALY_ACKNOWLEDGED

__all__ = ["ANOMALY_QUERY", "CSV_COLUMNS", "anomaly_list", "sessions_csv_bytes"]

CSV_COLUMNS: Final = (
    "id",
    "lot",
    "plate",
    "status",
    "entry_time",
    "exit_time",
    "duration_s",
    "fee",
    "fee_so_far",
    "currency",
    "paid",
    "paid_amount",
    "payment_method",
    "end_reason",
    "list",
)

ANOMALY_QUERY: Final = vol.Schema(
    {
        vol.Optional("days", default=7): vol.All(
            vol.Coerce(int, msg="expected a whole number of days"), vol.Range(min=1, max=90)
        )
    }
)

# Cells a spreadsheet would run as a formula (CSV injection): quoted with a leading '.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def sessions_csv_bytes(rows: Iterable[dict[str, Any]]) -> bytes:
    """The sessions as CSV (UTF-8 with a BOM, so spreadsheet programs read it right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()


def anomaly_list(
    events: Iterable[dict[str, Any]], names: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Anomaly events (recorder shape) newest first, each with `id` and `acknowledged`
    (by whom: `user`, a name from `names` when the user id is known)."""
    names = names or {}
    acknowledged: dict[str, dict[str, Any]] = {}
    anomalies: list[dict[str, Any]] = []
    for event in events:
        data = event.get("data") or {}
        context = event.get("context") or {}
        if event.get("event_type") == EVENT_ANOMALY_ACKNOWLEDGED:
            anomaly_id = data.get("anomaly_id")
            if isinstance(anomaly_id, str):
                user_id = context.get("user_id")
                acknowledged[anomaly_id] = {
                    "time": event.get("time_fired"),
                    "user_id": user_id,
                    "user": names.get(user_id, user_id) if user_id else None,
                    "note": data.get("note"),
                }
        elif event.get("event_type") == EVENT_ANOMALY:
            anomalies.append({**data, "id": context.get("id"), "time": event.get("time_fired")})
    for anomaly in anomalies:
        anomaly["acknowledged"] = acknowledged.get(anomaly["id"])
    anomalies.reverse()
    return anomalies
