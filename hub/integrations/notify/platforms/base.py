"""What every notify platform is: a named sender with default recipients and a timeout."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp

from hub.redact import redact_text, redact_url

from ..errors import PermanentError, RetryableError

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from ..models import Notification
    from ..store import OutboxStore

__all__ = ["Notifier", "Shared", "http_send"]

# HTTP answers that mean "busy or broken right now": try again later.
_RETRY_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class Shared:
    """What the platforms share: the hub, one HTTP session, the outbox file."""

    hub: Hub
    session: aiohttp.ClientSession
    store: OutboxStore


class Notifier(ABC):
    """One `notify.<name>` service. Subclasses send one notification to one recipient.

    `async_send` raises RetryableError when the far side may accept it later and
    PermanentError when it never will; the outbox does the rest (timeouts included).
    """

    platform: ClassVar[str]
    supports_attachments: ClassVar[bool] = False
    needs_target: ClassVar[bool] = False

    def __init__(self, config: dict[str, Any], shared: Shared) -> None:
        self.name: str = config["name"]
        self.targets: list[str] = config.get("target", [])
        self.timeout: float = config["timeout"].total_seconds()
        self.shared = shared

    @abstractmethod
    async def async_send(self, note: Notification) -> None:
        """Deliver `note` once; `note.id` is the idempotency key to pass on."""


async def http_send(
    session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, str]:
    """Send one HTTP request; (status, body) of a 2xx, else the error to retry or not.

    Refused connections, resets and 5xx/408/429 are RetryableError; any other 4xx is
    PermanentError with the server's own words. The outbox applies the timeout.
    """
    shown = redact_url(url)  # errors are logged and stored: no ?apikey= in clear
    try:
        async with session.request(method, url, **kwargs) as response:
            body = await response.text(errors="replace")
            status = response.status
    except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as err:
        reason = redact_text(str(err)) or type(err).__name__
        raise RetryableError(f"{method} {shown}: {reason}") from None
    if 200 <= status < 300:
        return status, body
    detail = f"{method} {shown} answered {status}: {redact_text(body[:200])}"
    if status >= 500 or status in _RETRY_STATUSES:
        raise RetryableError(detail)
    raise PermanentError(detail)
