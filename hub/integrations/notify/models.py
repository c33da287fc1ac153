"""One notification to one recipient: the unit the outbox stores, retries and sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Notification"]


@dataclass(slots=True)
class Notification:
    """What a platform sends. `id` doubles as the idempotency key of every attempt.

    A service call with three targets becomes three notifications, so each recipient is
    retried, rate limited and reported on its own.
    """

    id: str
    notifier: str
    target: str
    message: str
    title: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    attachments: list[Path] = field(default_factory=list)
    created: float = 0.0
    tries: int = 0
    next_attempt: float = 0.0
    context_id: str | None = None
    last_error: str | None = None

    def describe(self) -> dict[str, Any]:
        """The event data of `notification_sent` / `notification_failed`."""
        return {
            "id": self.id,
            "notifier": self.notifier,
            "target": self.target,
            "title": self.title,
            "message": self.message,
            "tries": self.tries,
        }
