"""One authenticated WebSocket client: its commands, its subscriptions and its writer.

Messages to the client go through a bounded queue drained by one writer task, so a
listener firing on the loop never waits on the network. A client that falls
MAX_PENDING messages behind is dropped rather than let the queue eat the hub's memory
(Home Assistant's MAX_PENDING_MSG). Each command is tagged with its schema
(`websocket_command`) and dispatched on `type`; whatever a handler raises becomes an
error result with a code, never a dead connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from aiohttp import WSCloseCode, WSMsgType, web

from hub.core.bus import CALLBACK_TYPE
from hub.core.context import Context
from hub.core.exceptions import HubError, ServiceNotFound, ServiceValidationError, Unauthorized
from hub.core.hub import Hub
from hub.core.json import json_bytes
from hub.core.services import describe_invalid

from . import policy
from .auth import TokenInfo

if TYPE_CHECKING:
    from .access import AccessControl

__all__ = [
    "ERR_HUB_ERROR",
    "ERR_ID_REUSE",
    "ERR_INVALID_FORMAT",
    "ERR_NOT_FOUND",
    "ERR_UNAUTHORIZED",
    "ERR_UNKNOWN_COMMAND",
    "ERR_UNKNOWN_ERROR",
    "MAX_PENDING",
    "ActiveConnection",
    "CommandHandler",
    "WSCommand",
    "websocket_command",
]

_LOGGER = logging.getLogger(__name__)

ERR_INVALID_FORMAT: Final = "invalid_format"
ERR_NOT_FOUND: Final = "not_found"
ERR_UNKNOWN_COMMAND: Final = "unknown_command"
ERR_ID_REUSE: Final = "id_reuse"
ERR_UNAUTHORIZED: Final = "unauthorized"
ERR_HUB_ERROR: Final = "hub_error"
ERR_UNKNOWN_ERROR: Final = "unknown_error"

# Messages a client may have waiting before it is dropped.
MAX_PENDING = 1024
# How long a dropped client gets to acknowledge the close before the socket is cut.
DROP_TIMEOUT = 5.0

CommandHandler = Callable[["ActiveConnection", dict[str, Any]], Coroutine[Any, Any, None] | None]


@dataclass(frozen=True, slots=True)
class WSCommand:
    """A command type, the schema its messages must pass, and the handler that runs it."""

    type: str
    schema: vol.Schema
    handler: CommandHandler


def websocket_command(schema: dict[Any, Any]) -> Callable[[CommandHandler], WSCommand]:
    """Tag a handler with its message schema; `schema` must pin `type` to the command name.

    The handler may be a plain function (answers at once, in order) or a coroutine
    function (runs as a hub task, so a slow service call does not hold up pings).
    """
    command = schema["type"]  # voluptuous markers hash and compare as their key

    def decorate(handler: CommandHandler) -> WSCommand:
        full = vol.Schema({vol.Required("id"): int, **schema})
        return WSCommand(command, full, handler)

    return decorate


def result_message(msg_id: int, result: Any = None) -> dict[str, Any]:
    return {"id": msg_id, "type": "result", "success": True, "result": result}


def error_message(msg_id: int | None, code: str, message: str) -> dict[str, Any]:
    return {
        "id": msg_id,
        "type": "result",
        "success": False,
        "error": {"code": code, "message": message},
    }


class ActiveConnection:
    """A client past the auth handshake: what command handlers talk to."""

    def __init__(
        self,
        hub: Hub,
        wsock: web.WebSocketResponse,
        auth: TokenInfo,
        commands: Mapping[str, WSCommand],
        access: AccessControl | None = None,
    ) -> None:
        self.hub = hub
        self.auth = auth
        # The policy's enforcer; None only for a connection built by hand in a test.
        self.access = access
        # Message id of each subscribe -> its unsubscribe; all undone when the socket closes.
        self.subscriptions: dict[int, CALLBACK_TYPE] = {}
        self._wsock = wsock
        self._commands = commands
        self._pending: deque[bytes] = deque()
        self._ready = asyncio.Event()
        self._closing = False
        self._last_id = 0
        self._drop_task: asyncio.Task[None] | None = None
        # Home Assistant's `coalesce_messages` feature: once the client asks for it, the
        # messages waiting when the writer wakes go out as one JSON array in one frame.
        self.coalesce = False
        # Contexts of audited commands in flight, by message id.
        self._contexts: dict[int, Context] = {}
        # The client's address, for the audit log (set by the handshake).
        self.remote = "unknown"

    def __repr__(self) -> str:
        return f"<ActiveConnection {self.auth.name}>"

    @property
    def pending(self) -> int:
        """Messages queued for this client and not yet written (for /metrics)."""
        return len(self._pending)

    def context(self, msg_id: int | None = None) -> Context:
        """The Context of what command `msg_id` causes (made once, so the audit log names
        it), or a new one; it carries the client's user."""
        if msg_id is not None and (context := self._contexts.get(msg_id)) is not None:
            return context
        return Context(user_id=self.auth.user_id)

    # -- sending ---------------------------------------------------------------------------

    def send_bytes(self, payload: bytes) -> None:
        """Queue one serialized message; drop the client if it is too far behind."""
        if self._closing:
            return
        if len(self._pending) >= MAX_PENDING:
            self._drop()
            return
        self._pending.append(payload)
        self._ready.set()

    def send_message(self, message: dict[str, Any]) -> None:
        try:
            payload = json_bytes(message)
        except TypeError as err:
            _LOGGER.error("Cannot send %s to %s: %s", message.get("type"), self, err)
            payload = json_bytes(
                error_message(
                    message.get("id"), ERR_UNKNOWN_ERROR, "result is not JSON serializable"
                )
            )
        self.send_bytes(payload)

    def send_result(self, msg_id: int, result: Any = None) -> None:
        self.send_message(result_message(msg_id, result))

    def send_error(self, msg_id: int | None, code: str, message: str) -> None:
        self.send_message(error_message(msg_id, code, message))

    async def async_write(self) -> None:
        """The one writer: send queued messages in order until the connection closes."""
        pending, wsock = self._pending, self._wsock
        try:
            while not self._closing:
                if not pending:
                    self._ready.clear()
                    await self._ready.wait()
                    continue
                if not self.coalesce:
                    await wsock.send_frame(pending.popleft(), WSMsgType.TEXT)
                    continue
                # One frame for all that waits: at 1,000 changes a second the frame count,
                # not the bytes, is what costs (the writer and the client's reader). An
                # item may hold several comma-joined messages (ws_broadcast), so a
                # coalescing client always gets an array, even of one.
                batch = list(pending)
                pending.clear()
                await wsock.send_frame(b"[" + b",".join(batch) + b"]", WSMsgType.TEXT)
        except ConnectionError as err:
            _LOGGER.debug("Stopped writing to %s: %s", self, err)

    def _drop(self) -> None:
        _LOGGER.warning(
            "Disconnecting WebSocket client %s: %d messages were waiting for it", self, MAX_PENDING
        )
        self._closing = True
        self._pending.clear()
        self._ready.set()
        self._drop_task = asyncio.get_running_loop().create_task(self._async_drop())

    async def _async_drop(self) -> None:
        # A client that reads nothing may not ack the close either: cut it off then.
        with contextlib.suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(DROP_TIMEOUT):
                await self._wsock.close(
                    code=WSCloseCode.TRY_AGAIN_LATER, message=b"too far behind", drain=False
                )

    def async_close_for(self, reason: str) -> None:
        """Close the socket from the hub's side (credentials revoked): nothing more is sent."""
        if self._drop_task is not None:
            return
        _LOGGER.info("Closing WebSocket client %s: %s", self, reason)
        self._closing = True
        self._pending.clear()
        self._ready.set()
        self._drop_task = asyncio.get_running_loop().create_task(
            self._async_close_socket(WSCloseCode.POLICY_VIOLATION, reason)
        )

    async def _async_close_socket(self, code: int, reason: str) -> None:
        with contextlib.suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(DROP_TIMEOUT):
                await self._wsock.close(code=code, message=reason.encode()[:120], drain=False)

    async def async_close(self) -> None:
        """Undo every subscription; after this nothing more is sent."""
        self._closing = True
        self._pending.clear()
        self._ready.set()
        for unsubscribe in self.subscriptions.values():
            unsubscribe()
        self.subscriptions.clear()
        if self._drop_task is not None:
            await self._drop_task

    # -- receiving -------------------------------------------------------------------------

    def async_handle(self, message: Any) -> None:
        """Check one decoded message and run its command (at once, or as a task)."""
        if not isinstance(message, dict):
            self.send_error(None, ERR_INVALID_FORMAT, "a message must be a JSON object")
            return
        msg_id, msg_type = message.get("id"), message.get("type")
        if type(msg_id) is not int or msg_id < 1:
            self.send_error(None, ERR_INVALID_FORMAT, "id must be a positive integer")
            return
        if not isinstance(msg_type, str):
            self.send_error(msg_id, ERR_INVALID_FORMAT, "type must be a string")
            return
        if msg_id <= self._last_id:
            self.send_error(msg_id, ERR_ID_REUSE, "identifier values have to increase")
            return
        self._last_id = msg_id
        if (command := self._commands.get(msg_type)) is None:
            self.send_error(msg_id, ERR_UNKNOWN_COMMAND, f"unknown command {msg_type!r}")
            return
        access = self.access
        audited = access is not None and access.audit is not None and msg_type in policy.WS_AUDITED
        checked: dict[str, Any] = message
        try:
            if access is not None:
                checked = access.authorize_ws(self.auth, msg_type, command.schema, message)
            else:
                checked = command.schema(message)
            if audited:
                self._contexts[msg_id] = self.context()
            coro = command.handler(self, checked)
        except Exception as err:
            if audited:
                self._audit(msg_id, msg_type, checked, err)
            self._send_exception(msg_id, msg_type, err)
            return
        if coro is not None:
            run = self._async_run(msg_id, msg_type, coro, checked if audited else None)
            self.hub.async_run_coroutine(run, f"ws {msg_type}")
        elif audited:
            self._audit(msg_id, msg_type, checked, None)

    def _audit(
        self, msg_id: int, msg_type: str, checked: dict[str, Any], err: Exception | None
    ) -> None:
        """One audit row for a command that changes something (policy.WS_AUDITED)."""
        context = self._contexts.pop(msg_id, None)
        if self.access is not None:
            self.access.audit_ws(self, msg_type, checked, err, context)

    async def _async_run(
        self,
        msg_id: int,
        msg_type: str,
        coro: Coroutine[Any, Any, None],
        audited: dict[str, Any] | None = None,
    ) -> None:
        try:
            await coro
        except Exception as err:
            if audited is not None:
                self._audit(msg_id, msg_type, audited, err)
            self._send_exception(msg_id, msg_type, err)
        else:
            if audited is not None:
                self._audit(msg_id, msg_type, audited, None)

    def _send_exception(self, msg_id: int, msg_type: str, err: Exception) -> None:
        """Map an error to a code; only a bug is logged with its traceback."""
        if isinstance(err, vol.Invalid):
            code, message = ERR_INVALID_FORMAT, describe_invalid(err)
        elif isinstance(err, ServiceNotFound):
            code, message = ERR_NOT_FOUND, str(err)
        elif isinstance(err, ServiceValidationError):
            code, message = ERR_INVALID_FORMAT, str(err)
        elif isinstance(err, Unauthorized):
            code, message = ERR_UNAUTHORIZED, str(err) or "not allowed"
        elif isinstance(err, HubError):
            code, message = ERR_HUB_ERROR, str(err) or type(err).__name__
        else:
            _LOGGER.error("Error handling WebSocket command %s", msg_type, exc_info=err)
            code, message = ERR_UNKNOWN_ERROR, "unknown error"
        self.send_error(msg_id, code, message)
