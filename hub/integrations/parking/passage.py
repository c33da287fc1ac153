"""Passages with no plate read: a barrier that opened while its lane's camera read nothing.

The rule, kept simple so an owner can reason about it: a lot's gate (configured under
`gates:` with the lane it closes, entry or exit) turning `open` is a passage. If the
lot's cameras read a plate in that direction within `passage_window` before the gate
opened, or read one within `passage_window` after it, the passage is explained;
otherwise an `anomaly` of kind `no_plate_passage` fires, naming the gate. A read in
direction `unknown` explains passages in both directions. A gate opened by hand for a
car whose plate the camera missed is exactly what this reports.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from hub.core.bus import CALLBACK_TYPE, Event

from .config import LotConfig, ParkingConfig
from .const import ANOMALY_NO_PLATE_PASSAGE, DIRECTION_UNKNOWN

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["PassageWatcher"]

OPEN = "open"
AnomalyFirer = Callable[..., None]


class PassageWatcher:
    def __init__(self, hub: Hub, config: ParkingConfig, fire_anomaly: AnomalyFirer) -> None:
        self.hub = hub
        self.config = config
        self._fire = fire_anomaly
        self._last_read: dict[tuple[str, str], float] = {}
        self._waiting: dict[str, tuple[str, str, CALLBACK_TYPE]] = {}
        self._unsubscribe: list[CALLBACK_TYPE] = []

    def async_start(self) -> None:
        for lot in self.config.lots.values():
            for gate, direction in lot.gates.items():
                self._unsubscribe.append(
                    self.hub.states.async_track(gate, partial(self._on_gate, lot, gate, direction))
                )

    def async_stop(self) -> None:
        while self._unsubscribe:
            self._unsubscribe.pop()()
        for _lot, _direction, cancel in self._waiting.values():
            cancel()
        self._waiting.clear()

    def note_read(self, lot_id: str, direction: str) -> None:
        """A plate read on the lot's camera: it explains a gate waiting for one."""
        now = self.hub.scheduler.timestamp()
        self._last_read[(lot_id, direction)] = now
        for gate, (lot, gate_direction, cancel) in list(self._waiting.items()):
            if lot == lot_id and direction in (gate_direction, DIRECTION_UNKNOWN):
                cancel()
                del self._waiting[gate]

    def _recent(self, lot: LotConfig, direction: str, now: float) -> bool:
        window = lot.passage_window.total_seconds()
        for key in ((lot.id, direction), (lot.id, DIRECTION_UNKNOWN)):
            read = self._last_read.get(key)
            if read is not None and now - read <= window:
                return True
        return False

    def _on_gate(self, lot: LotConfig, gate: str, direction: str, event: Event) -> None:
        new = event.data.get("new_state")
        old = event.data.get("old_state")
        if new is None or new.state != OPEN or (old is not None and old.state == OPEN):
            return
        now = self.hub.scheduler.timestamp()
        if self._recent(lot, direction, now) or gate in self._waiting:
            return
        context = new.context

        def unexplained(_now: Any) -> None:
            self._waiting.pop(gate, None)
            self._fire(
                ANOMALY_NO_PLATE_PASSAGE,
                lot,
                None,
                None,
                context,
                gate=gate,
                direction=direction,
            )

        cancel = self.hub.scheduler.async_call_later(lot.passage_window, unexplained)
        self._waiting[gate] = (lot.id, direction, cancel)
