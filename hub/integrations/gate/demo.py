"""The demo gate: a barrier that moves by itself, for the demo lot and for trying automations."""

from __future__ import annotations

from hub.core.bus import CALLBACK_TYPE

from .const import COMMAND_CLOSE, COMMAND_OPEN, STATE_CLOSED
from .entity import GateEntity

__all__ = ["DemoGate"]


class DemoGate(GateEntity):
    """Reports opening -> open (or closing -> closed) after `travel_time` seconds on the
    hub's clock, so tests and the panel see the whole movement. With `auto_close`, it
    closes by itself that long after it is open (as a barrier with a loop detector does
    once the car is through), so an automation that waits for it to be closed runs again."""

    _attr_should_restore = False

    def __init__(
        self,
        object_id: str,
        name: str | None,
        travel_time: float,
        auto_close: float | None = None,
    ) -> None:
        super().__init__()
        self.entity_id = f"gate.{object_id}"
        self._attr_name = name
        self._attr_state = STATE_CLOSED
        self._travel_time = travel_time
        self._auto_close = auto_close
        self._cancel_move: CALLBACK_TYPE | None = None

    async def async_open(self) -> None:
        self._move(COMMAND_OPEN)

    async def async_close(self) -> None:
        self._move(COMMAND_CLOSE)

    def _move(self, command: str) -> None:
        if self._cancel_move is not None:
            self._cancel_move()
            self._cancel_move = None
        if self.state == self.final_state(command):
            self.async_set_gate_state(self.state)
            self._hold(command)  # opened again: the wait before closing starts over
            return
        self.async_set_gate_state(self.moving_state(command))

        def arrive(_now: object) -> None:
            self._cancel_move = None
            self.async_set_gate_state(self.final_state(command))
            self._hold(command)

        self._cancel_move = self.hub.scheduler.async_call_later(self._travel_time, arrive)

    def _hold(self, command: str) -> None:
        """Once open, close again after `auto_close` (if set)."""
        if command != COMMAND_OPEN or self._auto_close is None:
            return

        def close(_now: object) -> None:
            self._cancel_move = None
            self._move(COMMAND_CLOSE)

        self._cancel_move = self.hub.scheduler.async_call_later(self._auto_close, close)

    async def async_remove(self) -> None:
        if self._cancel_move is not None:
            self._cancel_move()
        await super().async_remove()
