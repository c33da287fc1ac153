"""Gates behind an HTTP relay (Shelly-style): a URL to call to open, optionally one to close.

The relay reports nothing, so the gate is optimistic: opening for `travel_time`, then
open; with `auto_close`, closing and closed again after that time, as a pulse relay's
barrier closes by itself.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import aiohttp
import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE
from hub.core.exceptions import HubError, ServiceValidationError

from .const import (
    COMMAND_CLOSE,
    COMMAND_OPEN,
    CONF_AUTO_CLOSE,
    CONF_BODY,
    CONF_CLOSE_URL,
    CONF_HEADERS,
    CONF_METHOD,
    CONF_OPEN_URL,
    CONF_TIMEOUT,
    CONF_TRAVEL_TIME,
    DEFAULT_HTTP_TIMEOUT,
    DEFAULT_TRAVEL_TIME,
    STATE_CLOSED,
)
from .entity import GateEntity

__all__ = ["HTTP_KEYS", "HttpGate"]

_LOGGER = logging.getLogger(__name__)


def _http_url(value: Any) -> str:
    text = cv.url(value)
    if not text.lower().startswith(("http://", "https://")):
        raise vol.Invalid(f"expected an http:// or https:// URL, got {text!r}")
    return text


HTTP_KEYS: dict[Any, Any] = {
    vol.Required(CONF_OPEN_URL): _http_url,
    vol.Optional(CONF_CLOSE_URL): _http_url,
    vol.Optional(CONF_METHOD, default="GET"): vol.All(
        cv.string, vol.Upper, vol.In(["GET", "POST", "PUT"])
    ),
    vol.Optional(CONF_BODY): cv.string,
    vol.Optional(CONF_HEADERS, default={}): {cv.string: cv.string},
    vol.Optional(CONF_TIMEOUT, default=timedelta(seconds=DEFAULT_HTTP_TIMEOUT)): (
        cv.positive_time_period
    ),
    vol.Optional(CONF_TRAVEL_TIME, default=timedelta(seconds=DEFAULT_TRAVEL_TIME)): (
        cv.time_period
    ),
    vol.Optional(CONF_AUTO_CLOSE): cv.positive_time_period,
}


class HttpGate(GateEntity):
    def __init__(
        self,
        object_id: str,
        name: str | None,
        config: dict[str, Any],
        session: aiohttp.ClientSession,
    ) -> None:
        super().__init__()
        self.entity_id = f"gate.{object_id}"
        self._attr_name = name
        self._attr_state = STATE_CLOSED
        self._config = config
        self._session = session
        self._cancel_move: CALLBACK_TYPE | None = None

    async def async_open(self) -> None:
        await self._call(self._config[CONF_OPEN_URL])
        self._move(COMMAND_OPEN)

    async def async_close(self) -> None:
        url = self._config.get(CONF_CLOSE_URL)
        if url is None:
            raise ServiceValidationError(
                f"{self.entity_id} has no close_url: its relay closes the barrier by itself"
            )
        await self._call(url)
        self._move(COMMAND_CLOSE)

    async def _call(self, url: str) -> None:
        # A task of its own: aiohttp's timeout needs one, and a service may be called
        # inline from a bus listener (an automation reacting to a plate read).
        # Awaited at once (its error is ours to raise), so not one of the hub's tracked tasks.
        await self.hub.loop.create_task(self._request(url), name=f"{self.entity_id} relay")

    async def _request(self, url: str) -> None:
        timeout = aiohttp.ClientTimeout(total=self._config[CONF_TIMEOUT].total_seconds())
        try:
            async with self._session.request(
                self._config[CONF_METHOD],
                url,
                data=self._config.get(CONF_BODY),
                headers=self._config[CONF_HEADERS],
                timeout=timeout,
            ) as response:
                if response.status >= 400:
                    raise HubError(f"{self.entity_id}: relay answered HTTP {response.status}")
        except (TimeoutError, aiohttp.ClientError) as err:
            raise HubError(
                f"{self.entity_id}: relay at {url} unreachable: {err or type(err).__name__}"
            ) from None

    def _move(self, command: str) -> None:
        if self._cancel_move is not None:
            self._cancel_move()
        self.async_set_gate_state(self.moving_state(command))
        self._cancel_move = self.hub.scheduler.async_call_later(
            self._config[CONF_TRAVEL_TIME], lambda _now: self._arrive(command)
        )

    def _arrive(self, command: str) -> None:
        self._cancel_move = None
        self.async_set_gate_state(self.final_state(command))
        auto_close: timedelta | None = self._config.get(CONF_AUTO_CLOSE)
        if command == COMMAND_OPEN and auto_close is not None:
            self._cancel_move = self.hub.scheduler.async_call_later(
                auto_close, lambda _now: self._move(COMMAND_CLOSE)
            )

    async def async_remove(self) -> None:
        if self._cancel_move is not None:
            self._cancel_move()
        await super().async_remove()
