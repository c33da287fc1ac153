"""GateEntity: the base every barrier backend (demo, http, mqtt) implements."""

from __future__ import annotations

from typing import Any, ClassVar

from hub.core.context import Context
from hub.entity import Entity

from .const import (
    ATTR_LAST_COMMAND,
    ATTR_LAST_PLATE,
    COMMAND_CLOSE,
    COMMAND_OPEN,
    STATE_CLOSED,
    STATE_CLOSING,
    STATE_OPEN,
    STATE_OPENING,
)

__all__ = ["GateEntity"]

FINAL_STATES = frozenset({STATE_OPEN, STATE_CLOSED})


class GateEntity(Entity):
    """A barrier: state open / opening / closed / closing (or unavailable).

    Backends implement `async_open` and `async_close`. The command's context sticks to
    the state writes that follow until the gate settles (open or closed), so "gate
    opening" and "gate open" both point back to the plate or user that asked for them.
    """

    domain: ClassVar[str] = "gate"
    _attr_device_class = "gate"

    def __init__(self) -> None:
        super().__init__()
        self._last_command: str | None = None
        self._last_plate: str | None = None
        self._command_context: Context | None = None

    @property
    def is_open_or_opening(self) -> bool:
        return self.state in (STATE_OPEN, STATE_OPENING)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return {ATTR_LAST_COMMAND: self._last_command, ATTR_LAST_PLATE: self._last_plate}

    async def async_open(self) -> None:
        raise NotImplementedError

    async def async_close(self) -> None:
        raise NotImplementedError

    async def async_command(self, command: str, context: Context, plate: str | None) -> None:
        """Run `open` or `close` on behalf of `context` (the caller's)."""
        self._last_command = command
        if plate:
            self._last_plate = plate
        self._command_context = context
        if command == COMMAND_OPEN:
            await self.async_open()
        elif command == COMMAND_CLOSE:
            await self.async_close()
        else:
            raise ValueError(f"unknown gate command {command!r}")

    def async_set_gate_state(self, state: str | None) -> None:
        """Write a new state, carrying the last command's context until the gate settles."""
        self._attr_state = state
        if self._command_context is not None:
            self.async_set_context(self._command_context)
            if state in FINAL_STATES or state is None:
                self._command_context = None
        self.async_write_state()

    def async_write_command(self) -> None:
        """Record a command sent to a controller that will report the movement itself."""
        if self._command_context is not None:
            self.async_set_context(self._command_context)
        self.async_write_state()

    @staticmethod
    def moving_state(command: str) -> str:
        return STATE_OPENING if command == COMMAND_OPEN else STATE_CLOSING

    @staticmethod
    def final_state(command: str) -> str:
        return STATE_OPEN if command == COMMAND_OPEN else STATE_CLOSED
